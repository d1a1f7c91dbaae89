"""Helpers for the store contract suite (tests/store): the desk's API as a shopper, the bot and
an agent use it, the demo data it runs on, and a store that fails on purpose."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tierline_desk.models import Order
from tierline_desk.settings import DESK_DIR
from tierline_desk.store import StoreRefused, StoreUnavailable, StoreWrite
from tierline_desk.store.builtin import BuiltinStore

DEMO_FILE = DESK_DIR / "tierline_desk" / "demo" / "orders.json"


def demo_orders() -> list[dict[str, Any]]:
    """The demo orders every adapter's store holds (the builtin store loads them; another
    adapter's fixture puts them in its store)."""
    data: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    return list(data["orders"])


def lookup(client: TestClient, number: str, **proof: str) -> Any:
    return client.post("/api/v1/orders/lookup", json={"order_number": number, **proof})


def order_action(client: TestClient, number: str, action: str, body: dict[str, Any]) -> Any:
    """``action``: ``cancel``, ``shipping-address`` or ``items/<sku>/quantity``."""
    return client.post(f"/api/v1/orders/{number}/{action}", json=body)


def ask_return(client: TestClient, number: str, sku: str, **proof: str) -> Any:
    return client.post(
        "/api/v1/returns",
        json={"order_number": number, "sku": sku, "reason": "Too small", **proof},
    )


def _hooked_write(name: str) -> Callable[..., str | None]:
    """The port's write ``name``, sent to :meth:`WriteHookStore._write` with the idempotency
    key its caller passed in the write's parameter object."""

    def write(self: WriteHookStore, session: Session, change: StoreWrite) -> str | None:
        return self._write(name, change.idempotency_key)

    write.__name__ = write.__qualname__ = name
    return write


class WriteHookStore(BuiltinStore):
    """The builtin store's reads; every write of the port goes to :meth:`_write` with its
    method's name and idempotency key, and answers what it returns. (``refund_made`` takes a
    key too, but only reads: the builtin store's answer stands.)"""

    cancel_order = _hooked_write("cancel_order")
    change_address = _hooked_write("change_address")
    change_quantity = _hooked_write("change_quantity")
    request_return = _hooked_write("request_return")
    refund = _hooked_write("refund")
    issue_certificate = _hooked_write("issue_certificate")
    reship = _hooked_write("reship")

    def _write(self, what: str, idempotency_key: str) -> str | None:
        raise NotImplementedError


class FailingStore(WriteHookStore):
    """The builtin store's reads, but every write raises ``error`` (a store that is down, or
    refuses), as an adapter does before it has changed anything."""

    def __init__(self, error: StoreUnavailable | StoreRefused) -> None:
        self.error = error
        self.writes: list[str] = []

    def _write(self, what: str, idempotency_key: str) -> str | None:
        self.writes.append(what)
        raise self.error


class RecordingStore(WriteHookStore):
    """The builtin store, noting every write's idempotency key and answering with a store
    reference (``<method>_ref``), as an adapter for a real store does."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, str]] = []
        self.reads: list[tuple[str, bool, bool]] = []

    def _write(self, what: str, idempotency_key: str) -> str | None:
        self.keys.append((what, idempotency_key))
        return f"{what}_ref"

    def order(
        self, session: Session, number: str, *, for_update: bool = False, fresh: bool = False
    ) -> Order | None:
        self.reads.append((number, for_update, fresh))
        return super().order(session, number, for_update=for_update, fresh=fresh)
