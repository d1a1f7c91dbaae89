"""The store port: every read and write of the retailer's commerce data goes through here.

Orders, customers, items, payments, shipments, returns, refunds, replacements, certificates and
promo codes belong to the *store* (the retailer's commerce platform). The desk keeps Tierline's
**index** of them in its own tables (``models.Customer``, ``Order``, ``OrderItem``, ``Refund``,
``Return``, ``Reship``, ``Certificate``, ``PromoCode``): the rest of the desk (authority budgets,
handoff cards, routing, emails, audit) reads those rows, exactly as before the port existed.

Two adapters implement :class:`StorePort`:

- ``builtin`` (``store/builtin.py``): the index *is* the store (the demo tables, loaded by the
  importer). Reads are queries; a write has nothing to do beyond the rows the service changes.
- ``medusa`` (``store/medusa/``): a Medusa v2 store through its Admin API. Reads refresh the index
  from Medusa (always for ``fresh=True``, which every write path uses; otherwise when the row is
  older than a short TTL or a store event marked it stale). A write happens in Medusa first and
  returns Medusa's id; the index is then refreshed from what Medusa confirmed.

The index rows carry ``store_ref`` (the store's own id: Medusa ``order_...``, ``cus_...``,
``ref_...``, ``return_...``, ``claim_...``, ``promo_...``; None on builtin) and orders carry
``synced_at`` (when the index last read the order from the store).

Rules every adapter keeps (the contract suite, ``tests/store/``, checks them on both):

- Tierline's own rules (authority, return window, "only before it ships", idempotency, audit)
  are checked by the services *before* they call a write here; the adapter does the effect in
  the store; the service then records it in the index rows as it always did (``Refund``,
  ``Return``, ``Certificate``, ``Reship`` rows with the returned ``store_ref``; status, address
  and quantity on ``Order``/``OrderItem``).
- A write either happens in the store and in the index, or not at all: it raises
  :class:`StoreUnavailable` / :class:`StoreRefused` and changes no row. The caller's transaction
  is rolled back by the router, so nothing is half-done on Tierline's side either.
- Each write carries an ``idempotency_key``; repeating it never repeats the effect in the store
  (Medusa: check-before-write against what the store already has for that key).
- Nothing commits: the router commits once per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from sqlalchemy.orm import Session

from ..api.schemas import AddressIn
from ..errors import ApiError
from ..models import Customer, Order, PromoCode


class StoreUnavailable(ApiError):
    """The store did not answer (down, timeout, 5xx). Nothing was changed."""

    def __init__(self, what: str) -> None:
        super().__init__(
            503,
            "store_unavailable",
            f"The store is not answering right now, so {what} did not happen. Nothing was "
            "changed; please try again in a few minutes, or ask for a person.",
            headers={"Retry-After": "30"},
        )


class StoreRefused(ApiError):
    """The store answered but refused the change (4xx). Nothing was changed."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(
            409,
            "store_refused",
            f"The store refused {what}: {reason}. Nothing was changed.",
            store_reason=reason,
        )


@dataclass(frozen=True)
class ReshipLine:
    sku: str
    name: str
    quantity: int


# ---- the writes: one parameter object each, handed to the port's method of the same name


@dataclass(frozen=True, kw_only=True)
class StoreWrite:
    """What every write carries: the order (an index row, locked and freshly read by the
    service) and the ``idempotency_key`` under which repeating it never repeats the effect."""

    order: Order
    idempotency_key: str


@dataclass(frozen=True, kw_only=True)
class CancelOrder(StoreWrite):
    """Cancel the order in the store and refund what was captured (:meth:`StorePort.cancel_order`
    returns the store refund's id)."""

    reason: str | None


@dataclass(frozen=True, kw_only=True)
class ChangeAddress(StoreWrite):
    """Ship the order to ``address`` instead."""

    address: AddressIn


@dataclass(frozen=True, kw_only=True)
class ChangeQuantity(StoreWrite):
    """Set the line's quantity; 0 removes the line (the service refuses emptying the order)."""

    sku: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class RequestReturn(StoreWrite):
    """Open a return of the line in the store; the store's reference (builtin: None).

    The service has already checked delivery, the window and the returnable flag, and writes
    the ``Return`` row; ``rma_number`` is Tierline's RMA, kept with the store's return (Medusa:
    in the return's metadata). A repeat is found by ``idempotency_key``
    (``return:<order>:<sku>``), not by the RMA: a retry after the desk's commit failed carries
    a new RMA number, and then the store's return should take that one.
    """

    sku: str
    reason: str
    rma_number: str


@dataclass(frozen=True, kw_only=True)
class RefundPayment(StoreWrite):
    """Refund ``amount`` of the captured payment; the store's refund reference."""

    amount: Decimal
    note: str


@dataclass(frozen=True, kw_only=True)
class IssueCertificate(StoreWrite):
    """A single-use promotion ``code`` worth ``amount`` for the order's customer only."""

    code: str
    amount: Decimal
    note: str


@dataclass(frozen=True, kw_only=True)
class ReshipItems(StoreWrite):
    """A replacement shipment of ``lines`` (Medusa: a claim of type ``replace``)."""

    lines: tuple[ReshipLine, ...]
    note: str


class StorePort(Protocol):
    """One interface, two adapters (``builtin``, ``medusa``); see the module docstring."""

    name: str

    # ---- reads: return Tierline's index rows, brought up to date by the adapter
    def order(
        self, session: Session, number: str, *, for_update: bool = False, fresh: bool = False
    ) -> Order | None:
        """The order with this 17-digit number, or None. ``fresh``: re-read from the store."""
        ...

    def customer(self, session: Session, customer_id: str) -> Customer | None: ...

    def customer_orders(self, session: Session, customer_id: str) -> list[Order]:
        """The customer's orders, newest first."""
        ...

    def promo_code(self, session: Session, code: str) -> PromoCode | None:
        """The promo code (upper-cased), or None; evaluated by ``api/promos.py``."""
        ...

    # ---- writes: the effect in the store, then in the index (same transaction, no commit).
    # Each takes its parameter object (above, documented there) and returns the store's
    # reference of what it made, or None (builtin; or a write that makes nothing to refer to).
    def cancel_order(self, session: Session, change: CancelOrder) -> str | None: ...

    def change_address(self, session: Session, change: ChangeAddress) -> None: ...

    def change_quantity(self, session: Session, change: ChangeQuantity) -> None: ...

    def request_return(self, session: Session, change: RequestReturn) -> str | None: ...

    def refund(self, session: Session, change: RefundPayment) -> str | None: ...

    def refund_made(self, session: Session, order: Order, idempotency_key: str) -> str | None:
        """The store's reference of a refund it already made under ``idempotency_key`` (a
        retry after the desk's commit failed), or None. Its amount is then not "already
        refunded" for the retry: the retry is the same refund."""
        ...

    def issue_certificate(self, session: Session, change: IssueCertificate) -> str | None: ...

    def reship(self, session: Session, change: ReshipItems) -> str | None: ...
