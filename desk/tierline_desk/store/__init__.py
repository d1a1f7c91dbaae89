"""The store port (docs/store.md): :func:`get_store` is the one way the desk reaches the
store's data (orders, customers, payments, returns, promo codes).

The adapter is chosen by the ``STORE`` setting and built on first use (nothing is done when
this package is imported): ``builtin`` (the desk's own tables) or ``medusa`` (a Medusa v2
store, ``store/medusa/adapter.py``).
"""

from __future__ import annotations

import threading

from ..settings import SettingsError, get_settings
from .port import (
    CancelOrder,
    ChangeAddress,
    ChangeQuantity,
    IssueCertificate,
    RefundPayment,
    RequestReturn,
    ReshipItems,
    ReshipLine,
    StorePort,
    StoreRefused,
    StoreUnavailable,
    StoreWrite,
)

__all__ = [
    "CancelOrder",
    "ChangeAddress",
    "ChangeQuantity",
    "IssueCertificate",
    "RefundPayment",
    "RequestReturn",
    "ReshipItems",
    "ReshipLine",
    "StorePort",
    "StoreRefused",
    "StoreUnavailable",
    "StoreWrite",
    "get_store",
    "reset_store",
]

_lock = threading.Lock()
_store: StorePort | None = None


def _build() -> StorePort:
    settings = get_settings()
    if settings.store == "medusa":
        try:
            from .medusa.adapter import MedusaStore
        except ImportError as exc:
            raise SettingsError(
                "STORE=medusa, but the medusa adapter is not available in this desk "
                f"(tierline_desk/store/medusa: {exc}); set STORE=builtin or install a desk "
                "that has it."
            ) from exc
        store: StorePort = MedusaStore.from_settings(settings)
        return store
    from .builtin import BuiltinStore

    return BuiltinStore()


def get_store() -> StorePort:
    """The configured store adapter (built once; :func:`reset_store` forgets it)."""
    global _store
    store = _store
    if store is None:
        with _lock:
            if _store is None:
                _store = _build()
            store = _store
    return store


def reset_store() -> None:
    """Forget the adapter (tests, or after the settings changed); closes it if it can."""
    global _store
    with _lock:
        store, _store = _store, None
    close = getattr(store, "close", None)
    if callable(close):
        close()
