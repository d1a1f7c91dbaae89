"""The medusa store: Tierline on a Medusa v2 store (2.21) through its Admin API.

Medusa holds the orders; the desk's tables hold Tierline's **index** of them (store/port.py,
docs/store.md), rows carrying Medusa's ids (``store_ref``) and, on orders, ``synced_at``.

Reads return index rows, refreshed from Medusa when asked (``fresh``), when older than
``STORE_CACHE_SECONDS``, or when missing (an order number the index does not know is looked for
in Medusa's orders' ``metadata.tierline_order_number``). Customers and promo codes are read
again after the same time, per desk process.

Writes happen in Medusa first, each checked against what Medusa already has for it (docs/store.md,
"Idempotency keys"), on the order as Medusa has it now: the services call them under the
order's row lock, after a fresh read. Each write then reads the order again into the index,
leaving out the row its service records itself (index.Skip). What each one does in Medusa is
in docs/store-medusa.md.

Order numbers: an order placed in Medusa without one (any storefront's checkout) gets a
17-digit 3-7-7 number from the desk, once, written to its ``metadata.tierline_order_number``
(with ``tierline_customer_id``) so Medusa's admin shows it. Desks sharing the database take a
lock first and read the metadata again, inside it, after writing it: an order never gets two.

How new and changed orders reach the index: Medusa's subscriber posts each order event
(public/store_events.py: :meth:`MedusaStore.refresh`), and every ``STORE_POLL_SECONDS``
(:meth:`MedusaStore.poll_once`, started in main.py's lifespan) the desk reads the orders
Medusa changed since its last pass, for events that were lost or came while it was down.

Errors: the client's :class:`StoreUnavailable` (no answer, 5xx) and :class:`StoreRefused` (a 4xx)
pass through, the desk's one error shape; a write that fails half-way cancels what it began in
Medusa before it raises.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ...models import Customer, Order, PromoCode
from ...settings import Settings
from .. import keys as store_keys
from .. import port
from ..port import StoreRefused, StoreUnavailable
from . import keys as k
from .client import MedusaClient
from .index import NOTHING, Skip, lock_order, write_customer, write_order, write_promo_code
from .mapping import (
    CustomerRow,
    MappingError,
    OrderRow,
    amount,
    claim_item_ids,
    customer_row,
    order_row,
    promo_code_row,
    when,
)

logger = logging.getLogger("tierline_desk.store.medusa")

Json = dict[str, Any]
CURRENCY = "usd"
BATCH = 50  # orders read per call in a pass
# A pass asks for orders changed since the last one's newest change, minus this: Medusa's
# clock and the order of its commits are not ours to trust to the millisecond.
POLL_OVERLAP = timedelta(seconds=5)
OPEN_CHANGES = ("pending", "requested")
CLOSED_RETURNS = ("canceled",)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _now() -> datetime:
    return datetime.now(UTC)


def _meta(obj: Json) -> Json:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _number_of(order: Json) -> str | None:
    number = _meta(order).get(k.ORDER_NUMBER)
    return number if isinstance(number, str) and number else None


def new_order_number() -> str:
    """A random 3-7-7 number (the desk checks the index for it before use)."""
    digits = [secrets.randbelow(10) for _ in range(17)]
    digits[0] = 1 + secrets.randbelow(9)
    text_ = "".join(map(str, digits))
    return f"{text_[:3]}-{text_[3:10]}-{text_[10:]}"


def certificate_campaign(key: str) -> str:
    return k.CERTIFICATE_CAMPAIGN.format(digest=hashlib.sha256(key.encode()).hexdigest()[:32])


@dataclass(frozen=True)
class Snapshot:
    """One order as Medusa has it: the order, its returns and its claims."""

    order: Json
    returns: list[Json]
    claims: list[Json]

    @property
    def id(self) -> str:
        return str(self.order["id"])

    @property
    def number(self) -> str | None:
        return _number_of(self.order)

    def items(self) -> list[Json]:
        """The order's lines, without the replacements its claims added."""
        extra = claim_item_ids(self.claims)
        return [i for i in self.order.get("items") or [] if i.get("id") not in extra]

    def line(self, sku: str) -> Json | None:
        return next((i for i in self.items() if (i.get("variant_sku") or i.get("id")) == sku), None)

    def payments(self) -> list[Json]:
        return [
            p
            for pc in self.order.get("payment_collections") or []
            for p in pc.get("payments") or []
            if not p.get("canceled_at")
        ]

    def refunds(self) -> list[Json]:
        return [r for p in self.payments() for r in p.get("refunds") or []]


class _Freshness:
    """When this process last read a customer or a promo code from Medusa (monotonic)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def fresh(self, key: str, seconds: float) -> bool:
        with self._lock:
            seen = self._seen.get(key)
        return seen is not None and time.monotonic() - seen < seconds

    def mark(self, key: str) -> None:
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[key] = time.monotonic()


class MedusaStore:
    """:class:`~tierline_desk.store.port.StorePort` over a Medusa v2 store (module docstring)."""

    name = "medusa"

    def __init__(self, client: MedusaClient, *, cache_seconds: float = 15.0) -> None:
        self.client = client
        self.cache_seconds = cache_seconds
        self._fresh = _Freshness()
        self._poll_lock = threading.Lock()
        self._closing = threading.Event()
        # The newest ``updated_at`` the last pass saw (Medusa's clock); None: no pass yet, so
        # the next is a full one.
        self._since: str | None = None
        self._options: dict[str, str] = {}
        self._reads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="medusa-read")

    @classmethod
    def from_settings(cls, settings: Settings) -> MedusaStore:
        """Cheap (create_app builds the store at start-up): nothing is asked of Medusa here."""
        return cls(MedusaClient.from_settings(settings), cache_seconds=settings.store_cache_seconds)

    def close(self) -> None:
        self._closing.set()
        self._reads.shutdown(wait=True)
        self.client.close()

    def __repr__(self) -> str:
        return f"MedusaStore({self.client!r})"

    # ================================================================ reading Medusa

    def _read(self, order_id: str, what: str) -> Snapshot:
        """The order, its returns and its claims: three Admin API reads, made at once (a
        shopper waits for them when the index's copy is stale)."""
        returns = self._reads.submit(
            self._list, "/admin/returns", "returns", order_id, k.RETURN_FIELDS, what
        )
        claims = self._reads.submit(
            self._list, "/admin/claims", "claims", order_id, k.CLAIM_FIELDS, what
        )
        order = self.client.get(f"/admin/orders/{order_id}", {"fields": k.ORDER_FIELDS}, what=what)
        return Snapshot(order["order"], returns.result(), claims.result())

    def _list(self, path: str, key: str, order_id: str, fields: str, what: str) -> list[Json]:
        params = {"order_id": order_id, "fields": fields}
        return list(self.client.list_all(path, key, params, what=what))

    def _read_many(self, order_ids: list[str], what: str) -> Iterator[Snapshot]:
        """Orders by id, :data:`BATCH` per call (with their returns and claims)."""
        for start in range(0, len(order_ids), BATCH):
            ids = order_ids[start : start + BATCH]
            orders = list(
                self.client.list_all(
                    "/admin/orders", "orders", {"id": ids, "fields": k.ORDER_FIELDS}, what=what
                )
            )
            returns: dict[str, list[Json]] = {}
            for ret in self.client.list_all(
                "/admin/returns",
                "returns",
                {"order_id": ids, "fields": k.RETURN_FIELDS},
                what=what,
            ):
                returns.setdefault(str(ret.get("order_id")), []).append(ret)
            claims: dict[str, list[Json]] = {}
            for claim in self.client.list_all(
                "/admin/claims", "claims", {"order_id": ids, "fields": k.CLAIM_FIELDS}, what=what
            ):
                claims.setdefault(str(claim.get("order_id")), []).append(claim)
            for order in orders:
                oid = str(order["id"])
                yield Snapshot(order, returns.get(oid, []), claims.get(oid, []))

    def _customer_json(self, customer_id: str, what: str) -> Json:
        customer: Json = self.client.get(
            f"/admin/customers/{customer_id}", {"fields": k.CUSTOMER_FIELDS}, what=what
        )["customer"]
        return customer

    # ================================================================ Medusa -> the index

    def _customer_row(self, customer: Json, order: Json | None = None) -> CustomerRow:
        """The customer's row; one without an address (a guest) takes the order's."""
        try:
            return customer_row(customer)
        except MappingError:
            address = (order or {}).get("shipping_address") or {}
            return customer_row({**customer, "addresses": [address]})

    def _row(self, session: Session, snap: Snapshot, what: str) -> OrderRow:
        """The order's index row, its customer in the index (read from Medusa if new)."""
        row = order_row(snap.order, snap.returns, snap.claims)
        medusa_customer = snap.order.get("customer_id")
        tierline_id = _meta(snap.order).get(k.CUSTOMER_ID)
        if isinstance(tierline_id, str) and session.get(Customer, tierline_id) is not None:
            return row
        if not medusa_customer:
            raise MappingError(f"order {row.order_number} has no customer")
        customer = self._customer_row(self._customer_json(str(medusa_customer), what), snap.order)
        if isinstance(tierline_id, str) and tierline_id:
            customer = replace(customer, id=tierline_id)
        write_customer(session, customer)
        return replace(row, customer_id=customer.id)

    def _apply(
        self, session: Session, snap: Snapshot, read_at: datetime, what: str, skip: Skip = NOTHING
    ) -> Order | None:
        """Write the snapshot into the index (caller's session); the order row, or None when
        the index already has a newer reading."""
        return write_order(session, self._row(session, snap, what), read_at, skip)

    def _reread(self, session: Session, order_id: str, what: str, skip: Skip = NOTHING) -> Snapshot:
        """After a write: the order as Medusa has it now, into the index."""
        read_at = _now()
        snap = self._read(order_id, what)
        self._apply(session, snap, read_at, what, skip)
        return snap

    # ---- order numbers

    def _number_lock(self, session: Session, order_id: str) -> None:
        """Serialise number assignment between desks sharing the database, until commit."""
        if session.get_bind().dialect.name == "postgresql":
            digest = hashlib.sha256(f"tierline-number:{order_id}".encode()).digest()
            key = int.from_bytes(digest[:8], "big", signed=True)
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        else:  # SQLite: any write statement takes the database's write lock
            lock_order(session, "")

    def _unused_number(self, session: Session) -> str:
        while True:
            number = new_order_number()
            if session.get(Order, number) is None:
                return number

    def _numbered(self, session: Session, snap: Snapshot, what: str) -> Snapshot:
        """The snapshot of an order that has a Tierline number (given one now if it had none)."""
        if snap.number is not None:
            return snap
        self._number_lock(session, snap.id)
        snap = self._read(snap.id, what)  # inside the lock: another desk may have numbered it
        if snap.number is not None:
            return snap
        number = self._unused_number(session)
        meta: Json = {k.ORDER_NUMBER: number}
        medusa_customer = snap.order.get("customer_id")
        if medusa_customer and not _meta(snap.order).get(k.CUSTOMER_ID):
            customer = self._customer_row(self._customer_json(str(medusa_customer), what))
            meta[k.CUSTOMER_ID] = customer.id
        self.client.post(f"/admin/orders/{snap.id}", {"metadata": meta}, what=what)
        snap = self._read(snap.id, what)  # keep what Medusa holds
        if snap.number is None:
            raise StoreRefused(what, f"Medusa did not keep the order number on {snap.id}")
        logger.info("medusa order %s: Tierline number %s", snap.id, snap.number)
        return snap

    def refresh(self, session: Session, order_id: str, *, what: str = "the order update") -> str:
        """Read one Medusa order into the index (numbering it first if it has no number); its
        Tierline number. The caller commits (public/store_events.py)."""
        read_at = _now()
        snap = self._numbered(session, self._read(order_id, what), what)
        self._apply(session, snap, read_at, what)
        return str(snap.number)

    # ---- passes: new and changed orders into the index, each in a transaction of its own

    def _changed_since(self, since: str | None, what: str) -> list[Json]:
        params: dict[str, Any] = {"fields": "id,metadata,updated_at", "order": "updated_at"}
        if since is not None:
            start = (when(since) or _now()) - POLL_OVERLAP
            params["updated_at[$gte]"] = _iso(start)
        return list(self.client.list_all("/admin/orders", "orders", params, what=what))

    def poll_once(self, session_factory: sessionmaker[Session] | None = None) -> int:
        """One pass (a full one the first time in this process): the orders Medusa changed
        since the last pass, read into the index; how many were written."""
        from ...db import get_session_factory

        factory = session_factory or get_session_factory()
        what = "reading the store's changes"
        with self._poll_lock:
            listed = self._changed_since(self._since, what)
            newest = max((str(o.get("updated_at") or "") for o in listed), default="")
            written = self._index_orders([str(o["id"]) for o in listed], factory, what)
            if newest and (self._since is None or newest > self._since):
                self._since = newest
            elif self._since is None:
                self._since = _iso(_now())
            return written

    def _index_orders(self, order_ids: list[str], factory: sessionmaker[Session], what: str) -> int:
        written = 0
        read_at = _now()
        for snap in self._read_many(order_ids, what):
            if self._closing.is_set():
                break
            with factory() as session:
                try:
                    numbered = self._numbered(session, snap, what)
                    if numbered is not snap:  # read again: the reading time moves on
                        read_at = _now()
                    if self._apply(session, numbered, read_at, what) is not None:
                        written += 1
                    session.commit()
                except (MappingError, StoreRefused) as exc:
                    session.rollback()
                    logger.warning("medusa order %s not indexed: %s", snap.id, exc)
                except IntegrityError:  # another desk wrote it first: theirs stands
                    session.rollback()
                    logger.info("medusa order %s: indexed by another desk meanwhile", snap.id)
        return written

    def index_all(self, session_factory: sessionmaker[Session] | None = None) -> int:
        """Every Medusa order into the index (a full pass, whatever was done before)."""
        with self._poll_lock:
            self._since = None
        return self.poll_once(session_factory)

    # ---- finding an order the index lacks

    def _find(self, number: str, what: str) -> str | None:
        """The Medusa id of the order carrying ``number``, or None. After a full pass in this
        process, only orders changed since are looked at (older ones are in the index)."""
        since = self._since
        params: dict[str, Any] = {"fields": "id,metadata", "order": "-created_at"}
        if since is not None:
            params["updated_at[$gte]"] = _iso((when(since) or _now()) - POLL_OVERLAP)
        for order in self.client.list_all("/admin/orders", "orders", params, what=what):
            if _number_of(order) == number:
                return str(order["id"])
        return None

    def snapshot(self, number: str, *, what: str = "the order") -> Snapshot | None:
        """Medusa's own view of the order carrying ``number`` (not the index's), or None."""
        order_id = self._find(number, what)
        return None if order_id is None else self._read(order_id, what)

    # ================================================================ reads

    def _index_order(self, session: Session, number: str) -> Order | None:
        return session.scalar(select(Order).where(Order.order_number == number))

    def _stale(self, order: Order) -> bool:
        synced = order.synced_at
        return synced is None or (_now() - synced).total_seconds() >= self.cache_seconds

    def order(
        self, session: Session, number: str, *, for_update: bool = False, fresh: bool = False
    ) -> Order | None:
        what = "the order lookup"
        order = self._index_order(session, number)
        if order is None:
            found = self._find(number, what)
            if found is None:
                return None
            read_at = _now()
            snap = self._read(found, what)
            if snap.number != number:  # renumbered meanwhile: never
                return None
            order = self._apply(session, snap, read_at, what)
            return order or self._index_order(session, number)
        if for_update:
            lock_order(session, number)
        if (fresh or for_update or self._stale(order)) and order.store_ref:
            read_at = _now()
            snap = self._read(order.store_ref, what)
            self._apply(session, snap, read_at, what)
        return order

    def customer(self, session: Session, customer_id: str) -> Customer | None:
        what = "the customer lookup"
        row = session.get(Customer, customer_id)
        key = f"customer:{customer_id}"
        if row is not None and self._fresh.fresh(key, self.cache_seconds):
            return row
        try:
            found = self._find_customer(row, customer_id, what)
        except StoreUnavailable:
            if row is not None:  # who the shopper is rarely changes: the chat carries on
                logger.warning("medusa down: customer %s from the index", customer_id)
                return row
            raise
        if found is None:
            return None
        customer = self._customer_row(found)
        if row is not None:  # the index's id stays (Medusa's tierline_customer_id may be new)
            customer = replace(customer, id=row.id)
        self._fresh.mark(key)
        return write_customer(session, customer)

    def _find_customer(self, row: Customer | None, customer_id: str, what: str) -> Json | None:
        medusa_id = row.store_ref if row is not None else None
        if medusa_id is None and customer_id.startswith("cus_"):
            medusa_id = customer_id
        if medusa_id is not None:
            try:
                return self._customer_json(medusa_id, what)
            except StoreRefused:
                return None  # gone from Medusa
        for customer in self.client.list_all(
            "/admin/customers", "customers", {"fields": k.CUSTOMER_FIELDS}, what=what
        ):
            if _meta(customer).get(k.CUSTOMER_ID) == customer_id:
                return customer
        return None

    def customer_orders(self, session: Session, customer_id: str) -> list[Order]:
        what = "the customer's orders"
        customer = self.customer(session, customer_id)
        if customer is None:
            return []
        key = f"orders:{customer_id}"
        if customer.store_ref and not self._fresh.fresh(key, self.cache_seconds):
            listed = self.client.list_all(
                "/admin/orders",
                "orders",
                {"customer_id": customer.store_ref, "fields": "id,metadata"},
                what=what,
            )
            ids = [str(o["id"]) for o in listed]
            read_at = _now()
            for snap in self._read_many(ids, what):
                snap = self._numbered(session, snap, what)
                try:
                    self._apply(session, snap, read_at, what)
                except MappingError as exc:
                    logger.warning("medusa order %s not indexed: %s", snap.id, exc)
            self._fresh.mark(key)
        stmt = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .order_by(Order.placed_at.desc(), Order.order_number)
        )
        return list(session.scalars(stmt))

    def promo_code(self, session: Session, code: str) -> PromoCode | None:
        what = "the promo code check"
        code = code.strip().upper()
        row = session.get(PromoCode, code)
        key = f"promo:{code}"
        if row is not None and self._fresh.fresh(key, self.cache_seconds):
            return row
        listed = (
            self.client.get(
                "/admin/promotions", {"code": code, "fields": k.PROMOTION_FIELDS}, what=what
            ).get("promotions")
            or []
        )
        promotion = next((p for p in listed if str(p.get("code", "")).upper() == code), None)
        mapped = promo_code_row(promotion) if promotion is not None else None
        self._fresh.mark(key)
        if mapped is None:
            if row is not None:
                session.delete(row)
                session.flush()
            return None
        write_promo_code(session, mapped)
        return session.get(PromoCode, code)

    # ================================================================ writes

    def _fresh_snapshot(self, order: Order, what: str) -> Snapshot:
        if not order.store_ref:
            raise StoreRefused(what, f"order {order.order_number} is not in the store")
        return self._read(order.store_ref, what)

    def _cancel_change(self, change: Json, what: str) -> None:
        """Cancel an order change Tierline began and did not finish (best effort)."""
        order_id = change.get("order_id")
        try:
            if change.get("return_id"):
                self.client.delete(f"/admin/returns/{change['return_id']}/request", what=what)
            elif change.get("claim_id"):
                self.client.delete(f"/admin/claims/{change['claim_id']}/request", what=what)
            elif change.get("change_type") == "edit":
                self.client.delete(f"/admin/order-edits/{order_id}", what=what)
        except (StoreUnavailable, StoreRefused) as exc:
            logger.warning("medusa: could not cancel order change %s: %s", change.get("id"), exc)

    def _order_changes(self, snap: Snapshot, what: str) -> list[Json]:
        """The order's changes (Medusa's order changes: edits, returns, claims)."""
        changes: list[Json] = (
            self.client.get(f"/admin/orders/{snap.id}/changes", what=what).get("order_changes")
            or []
        )
        return changes

    def _clear_leftovers(self, snap: Snapshot, what: str) -> None:
        """An order change Tierline began on this order and never finished (a desk that died
        half-way) blocks every other change: cancel it. Others' changes are left alone."""
        ours_returns = {r["id"] for r in snap.returns if _meta(r).get(k.IDEMPOTENCY_KEY)}
        ours_claims = {c["id"] for c in snap.claims if _meta(c).get(k.IDEMPOTENCY_KEY)}
        changes = self._order_changes(snap, what)
        for change in changes:
            if change.get("status") not in OPEN_CHANGES:
                continue
            ours = (
                str(change.get("description") or "").startswith("Tierline ")
                or change.get("return_id") in ours_returns
                or change.get("claim_id") in ours_claims
            )
            if ours:
                logger.warning(
                    "medusa order %s: cancelling unfinished change %s", snap.id, change["id"]
                )
                self._cancel_change(change, what)

    # ---- cancel

    def cancel_order(self, session: Session, change: port.CancelOrder) -> str | None:
        what = "the cancellation"
        snap = self._fresh_snapshot(change.order, what)
        before = {r["id"] for r in snap.refunds()}
        if snap.order.get("status") != "canceled":
            self._clear_leftovers(snap, what)
            # Medusa changes nothing on a canceled order, not even its metadata: first.
            note = {"key": change.idempotency_key, "reason": change.reason, "at": _iso(_now())}
            self.client.post(f"/admin/orders/{snap.id}", {"metadata": {k.CANCEL: note}}, what=what)
            self.client.post(f"/admin/orders/{snap.id}/cancel", what=what)
            read_at = _now()
            snap = self._read(snap.id, what)
            made = [r for r in snap.refunds() if r["id"] not in before]
        else:  # cancelled already (a retry): the refunds its cancel made
            read_at = _now()
            canceled = when(snap.order.get("canceled_at")) or _now()
            made = [
                r
                for r in snap.refunds()
                if (when(r.get("created_at")) or canceled) >= canceled - timedelta(minutes=1)
            ]
        ref = str(made[-1]["id"]) if made else None
        self._apply(session, snap, read_at, what, Skip(refunds=frozenset(r["id"] for r in made)))
        return ref

    # ---- address

    @staticmethod
    def _address_now(address: Json) -> list[str]:
        name = " ".join(p for p in (address.get("first_name"), address.get("last_name")) if p)
        fields = (
            name,
            address.get("address_1"),
            address.get("address_2"),
            address.get("city"),
            address.get("province"),
            address.get("postal_code"),
            str(address.get("country_code") or "").upper(),
        )
        return [" ".join(str(v or "").split()) for v in fields]

    def change_address(self, session: Session, change: port.ChangeAddress) -> None:
        what = "the address change"
        snap = self._fresh_snapshot(change.order, what)
        wanted = store_keys.normalised_address(change.address)
        now = self._address_now(snap.order.get("shipping_address") or {})
        if not wanted[0]:  # no name given: the order keeps its recipient
            wanted[0] = now[0]
        if wanted != now:
            first, _, last = wanted[0].partition(" ")
            body = {
                "first_name": first,
                "last_name": last,
                "address_1": wanted[1],
                "address_2": wanted[2],
                "city": wanted[3],
                "province": wanted[4],
                "postal_code": wanted[5],
                "country_code": wanted[6].lower(),
            }
            self._clear_leftovers(snap, what)
            self.client.post(f"/admin/orders/{snap.id}", {"shipping_address": body}, what=what)
        self._reread(session, snap.id, what)

    # ---- quantity (an order edit: begin, update the line, request, confirm)

    def change_quantity(self, session: Session, change: port.ChangeQuantity) -> None:
        what = "the quantity change"
        snap = self._fresh_snapshot(change.order, what)
        sku, quantity = change.sku, change.quantity
        line = snap.line(sku)
        if line is None and quantity > 0:
            raise StoreRefused(what, f"the order has no line {sku} in the store")
        if line is not None and int(line.get("quantity") or 0) != quantity:
            self._clear_leftovers(snap, what)
            edits = f"/admin/order-edits/{snap.id}"
            self.client.post(
                "/admin/order-edits",
                {
                    "order_id": snap.id,
                    "description": k.CHANGE_DESCRIPTION.format(key=change.idempotency_key),
                },
                what=what,
            )
            try:
                self.client.post(
                    f"{edits}/items/item/{line['id']}", {"quantity": quantity}, what=what
                )
                self.client.post(f"{edits}/request", {"no_notification": True}, what=what)
                self.client.post(f"{edits}/confirm", what=what)
            except (StoreUnavailable, StoreRefused):
                self._cancel_change({"order_id": snap.id, "change_type": "edit"}, what)
                raise
        self._reread(session, snap.id, what, Skip(skus=frozenset({sku})))

    # ---- return (a return of the line, requested; Tierline's RMA in its metadata)

    def request_return(self, session: Session, change: port.RequestReturn) -> str | None:
        what = "the return"
        snap = self._fresh_snapshot(change.order, what)
        sku, reason, rma_number = change.sku, change.reason, change.rma_number
        found = next(
            (
                r
                for r in snap.returns
                if _meta(r).get(k.IDEMPOTENCY_KEY) == change.idempotency_key
                and r.get("status") not in CLOSED_RETURNS
            ),
            None,
        )
        if found is not None and found.get("status") in ("open", "pending"):
            # Begun, never requested (a desk that died half-way): start again.
            self._cancel_change({"return_id": found["id"]}, what)
            found = None
        if found is not None:
            if _meta(found).get(k.RMA_NUMBER) != rma_number:
                # Medusa keeps a requested return's metadata as it is; the index reads the
                # return (and its RMA) from Medusa before the service checks for one.
                logger.warning(
                    "medusa return %s carries %s, not %s",
                    found["id"],
                    _meta(found).get(k.RMA_NUMBER),
                    rma_number,
                )
            self._reread(session, snap.id, what, Skip(returns=frozenset({found["id"]})))
            return str(found["id"])
        line = snap.line(sku)
        if line is None:
            raise StoreRefused(what, f"the order has no line {sku} in the store")
        self._clear_leftovers(snap, what)
        created = _now()
        location = next(
            (
                f.get("location_id")
                for f in snap.order.get("fulfillments") or []
                if f.get("location_id") and not f.get("canceled_at")
            ),
            None,
        )
        body: Json = {
            "order_id": snap.id,
            "description": reason,
            "metadata": {
                k.RMA_NUMBER: rma_number,
                k.RETURN_SKU: sku,
                k.RETURN_REASON: reason,
                k.RETURN_CREATED_AT: _iso(created),
                k.RETURN_BY: (created + timedelta(days=k.RETURN_DAYS)).date().isoformat(),
                k.RETURN_CARRIER: k.RETURN_CARRIER_NAME,
                k.IDEMPOTENCY_KEY: change.idempotency_key,
            },
        }
        if location:
            body["location_id"] = location
        ret = self.client.post("/admin/returns", body, what=what)["return"]
        path = f"/admin/returns/{ret['id']}"
        try:
            self.client.post(
                f"{path}/request-items",
                {"items": [{"id": line["id"], "quantity": int(line.get("quantity") or 1)}]},
                what=what,
            )
            self.client.post(f"{path}/request", {"no_notification": True}, what=what)
        except (StoreUnavailable, StoreRefused):
            self._cancel_change({"return_id": ret["id"]}, what)
            raise
        self._reread(session, snap.id, what, Skip(returns=frozenset({ret["id"]})))
        return str(ret["id"])

    # ---- refund (on the captured payment; the key in the refund's note)

    @staticmethod
    def _refund_with_key(snap: Snapshot, idempotency_key: str) -> Json | None:
        tag = k.REFUND_KEY_NOTE.format(key=idempotency_key)
        return next((r for r in snap.refunds() if tag in str(r.get("note") or "")), None)

    def refund_made(self, session: Session, order: Order, idempotency_key: str) -> str | None:
        found = self._refund_with_key(self._fresh_snapshot(order, "the refund"), idempotency_key)
        return None if found is None else str(found["id"])

    def refund(self, session: Session, change: port.RefundPayment) -> str | None:
        what = "the refund"
        snap = self._fresh_snapshot(change.order, what)
        tag = k.REFUND_KEY_NOTE.format(key=change.idempotency_key)
        found = self._refund_with_key(snap, change.idempotency_key)
        if found is None:
            payment = self._refundable_payment(snap, change.amount, what)
            paid = self.client.post(
                f"/admin/payments/{payment['id']}/refund",
                {"amount": float(change.amount), "note": f"{change.note} {tag}"},
                what=what,
            )["payment"]
            found = next(
                (r for r in paid.get("refunds") or [] if tag in str(r.get("note") or "")), None
            )
            if found is None:
                found = self._refund_with_key(self._read(snap.id, what), change.idempotency_key)
            if found is None:
                raise StoreUnavailable(what)  # refunded, but Medusa does not show it: retry
        self._reread(session, snap.id, what, Skip(refunds=frozenset({str(found["id"])})))
        return str(found["id"])

    @staticmethod
    def _refundable_payment(snap: Snapshot, wanted: Decimal, what: str) -> Json:
        best: tuple[Decimal, Json] | None = None
        for payment in snap.payments():
            captured = sum(
                (amount(c.get("amount")) for c in payment.get("captures") or []), Decimal(0)
            )
            refunded = sum(
                (amount(r.get("amount")) for r in payment.get("refunds") or []), Decimal(0)
            )
            left = captured - refunded
            if left >= wanted:
                return payment
            if best is None or left > best[0]:
                best = (left, payment)
        if best is None or best[0] <= 0:
            raise StoreRefused(what, "nothing was charged on this order's payment to refund")
        raise StoreRefused(
            what, f"only {best[0]:.2f} of the order's payment is left to refund in the store"
        )

    # ---- certificate (a promotion for the customer only, used once)

    def issue_certificate(self, session: Session, change: port.IssueCertificate) -> str | None:
        what = "the certificate"
        snap = self._fresh_snapshot(change.order, what)
        order, code, note = change.order, change.code, change.note
        identifier = certificate_campaign(change.idempotency_key)
        campaigns = (
            self.client.get(
                "/admin/campaigns",
                {"campaign_identifier": identifier, "fields": "id,campaign_identifier,*promotions"},
                what=what,
            ).get("campaigns")
            or []
        )
        for campaign in campaigns:
            for promotion in campaign.get("promotions") or []:
                if promotion.get("code") != code:
                    # Made for this key by an attempt whose code the desk never kept (its
                    # commit failed): the shopper will be given this attempt's code.
                    self.client.post(
                        f"/admin/promotions/{promotion['id']}", {"code": code}, what=what
                    )
                self._reread(session, snap.id, what)
                return str(promotion["id"])
        customer_id = snap.order.get("customer_id")
        if not customer_id:
            raise StoreRefused(what, "the order has no customer in the store")
        promotion = self.client.post(
            "/admin/promotions",
            {
                "code": code,
                "type": "standard",
                "status": "active",
                "is_automatic": False,
                "limit": 1,
                "application_method": {
                    "type": "fixed",
                    "target_type": "order",
                    "allocation": "across",
                    "value": float(change.amount),
                    "currency_code": str(snap.order.get("currency_code") or CURRENCY),
                    "description": f"Tierline certificate {code}",
                },
                "rules": [
                    {"attribute": "customer_id", "operator": "eq", "values": [customer_id]},
                    {
                        "attribute": "currency_code",
                        "operator": "eq",
                        "values": [str(snap.order.get("currency_code") or CURRENCY)],
                    },
                ],
                "metadata": {
                    k.IDEMPOTENCY_KEY: change.idempotency_key,
                    k.ORDER_NUMBER: order.order_number,
                    k.CUSTOMER_ID: order.customer_id,
                    k.NOTE: note,
                    k.PROMO_DESCRIPTION: f"Certificate for order {order.order_number}",
                },
                "campaign": {
                    "name": f"Tierline certificate {code}",
                    "campaign_identifier": identifier,
                    "description": note,
                    "budget": {"type": "usage", "limit": 1},
                },
            },
            what=what,
        )["promotion"]
        self._reread(session, snap.id, what)
        return str(promotion["id"])

    # ---- reship (a claim of type replace: the lines again, shipped, nothing charged)

    def _shipping_option(self, *, is_return: bool, what: str) -> str:
        kind = "return" if is_return else "outbound"
        cached = self._options.get(kind)
        if cached:
            return cached
        options = (
            self.client.get("/admin/shipping-options", {"fields": "id,name,*rules"}, what=what).get(
                "shipping_options"
            )
            or []
        )
        for option in options:
            rules = {r.get("attribute"): r.get("value") for r in option.get("rules") or []}
            if (rules.get("is_return") == "true") == is_return:
                self._options[kind] = str(option["id"])
                return self._options[kind]
        raise StoreRefused(what, f"the store has no {kind} shipping option")

    def reship(self, session: Session, change: port.ReshipItems) -> str | None:
        what = "the reship"
        snap = self._fresh_snapshot(change.order, what)
        note, idempotency_key = change.note, change.idempotency_key
        open_claims = self._open_claim_ids(snap, what)
        for claim in snap.claims:
            if claim.get("canceled_at") or _meta(claim).get(k.IDEMPOTENCY_KEY) != idempotency_key:
                continue
            if claim["id"] in open_claims:  # begun, never requested: start again
                self._cancel_change({"claim_id": claim["id"]}, what)
                continue
            self._reread(session, snap.id, what)
            return str(claim["id"])
        variants = []
        for wanted in change.lines:
            line = snap.line(wanted.sku)
            if line is None or not line.get("variant_id"):
                raise StoreRefused(what, f"the order has no line {wanted.sku} in the store")
            variants.append((str(line["variant_id"]), wanted.quantity))
        self._clear_leftovers(snap, what)
        claim = self.client.post(
            "/admin/claims",
            {
                "type": "replace",
                "order_id": snap.id,
                "description": note,
                "internal_note": idempotency_key,
                "metadata": {k.IDEMPOTENCY_KEY: idempotency_key, k.NOTE: note},
            },
            what=what,
        )["claim"]
        path = f"/admin/claims/{claim['id']}"
        try:
            self.client.post(
                f"{path}/outbound/items",
                {"items": [{"variant_id": v, "quantity": q, "unit_price": 0} for v, q in variants]},
                what=what,
            )
            self.client.post(
                f"{path}/outbound/shipping-method",
                {
                    "shipping_option_id": self._shipping_option(is_return=False, what=what),
                    "custom_amount": 0,
                },
                what=what,
            )
            self.client.post(f"{path}/request", {"no_notification": True}, what=what)
        except (StoreUnavailable, StoreRefused):
            self._cancel_change({"claim_id": claim["id"]}, what)
            raise
        self._reread(session, snap.id, what)
        return str(claim["id"])

    def _open_claim_ids(self, snap: Snapshot, what: str) -> set[str]:
        if not snap.claims:
            return set()
        changes = self._order_changes(snap, what)
        return {
            str(c["claim_id"])
            for c in changes
            if c.get("claim_id") and c.get("status") in OPEN_CHANGES
        }
