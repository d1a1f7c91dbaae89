"""Writing what Medusa says (``mapping.py``'s rows) into the desk's index tables.

Rules (docs/store.md, "The index"):

- Medusa is the truth for an order's own fields, its items, and the refunds and returns it has;
  the index row is overwritten with them, and ``synced_at`` says when Medusa was read.
- A row is never overwritten with an older reading: each write names the moment its Medusa
  read began (``read_at``), takes the order's row lock, and leaves the row alone when it was
  synced at or after that moment (another desk, or an event, read Medusa later).
- Rows the desk made itself stay the desk's: a refund or return already in the index (found by
  Medusa's id, ``store_ref``, or by Tierline's id) keeps its Tierline id, status, agent and
  ticket; only what Medusa has and the index lacks is added.
- ``Skip`` names what a write in progress is about to record itself (the refund its cancel made,
  the return it opened, the line whose quantity it changed), so the service's own rows are the
  only ones for it (a row an earlier reading made of a skipped refund is removed).

Nothing here talks to Medusa or commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...models import Customer, Order, OrderItem, PromoCode, Refund, Return
from .mapping import CustomerRow, OrderItemRow, OrderRow, PromoCodeRow

ORDER_FIELDS = (
    "customer_id",
    "status",
    "placed_at",
    "shipped_at",
    "delivered_at",
    "cancelled_at",
    "estimated_delivery",
    "carrier",
    "tracking_number",
    "last_scan_at",
    "last_scan_location",
    "last_scan_description",
    "ship_name",
    "ship_line1",
    "ship_line2",
    "ship_city",
    "ship_region",
    "ship_postal_code",
    "ship_country",
    "currency",
    "trade_in_device",
    "trade_in_quoted_credit",
    "trade_in_status",
    "store_ref",
)
CUSTOMER_FIELDS = (
    "name",
    "email",
    "phone",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "store_ref",
)


@dataclass(frozen=True)
class Skip:
    """What the write in progress records itself (its service adds these rows)."""

    refunds: frozenset[str] = field(default_factory=frozenset)  # Medusa refund ids
    returns: frozenset[str] = field(default_factory=frozenset)  # Medusa return ids
    skus: frozenset[str] = field(default_factory=frozenset)  # lines whose quantity it changed


NOTHING = Skip()


def _set(row: object, name: str, value: object) -> None:
    """Assign only a different value (an equal one would still mark the row for UPDATE on
    some types, and take a lock a read does not need)."""
    if getattr(row, name) != value:
        setattr(row, name, value)


def lock_order(session: Session, number: str) -> None:
    """The order's row lock (PostgreSQL; SQLite's write lock), taken by a write that changes
    nothing: services/authority_budget.lock_order takes the same one."""
    session.execute(
        update(Order)
        .where(Order.order_number == number)
        .values(synced_at=Order.synced_at)
        .execution_options(synchronize_session=False)
    )


def write_customer(session: Session, row: CustomerRow) -> Customer:
    customer = session.get(Customer, row.id)
    if customer is None:
        customer = Customer(
            id=row.id,
            created_at=row.created_at,
            **{name: getattr(row, name) for name in CUSTOMER_FIELDS},
        )
        session.add(customer)
        session.flush()
        return customer
    for name in CUSTOMER_FIELDS:
        _set(customer, name, getattr(row, name))
    return customer


def _merged_items(items: tuple[OrderItemRow, ...]) -> list[OrderItemRow]:
    """One row per SKU (the index keeps one line per SKU; Medusa may have two)."""
    out: dict[str, OrderItemRow] = {}
    for item in items:
        first = out.get(item.sku)
        if first is None:
            out[item.sku] = item
        else:
            out[item.sku] = OrderItemRow(
                position=first.position,
                sku=first.sku,
                name=first.name,
                quantity=first.quantity + item.quantity,
                unit_price=first.unit_price,
                returnable=first.returnable and item.returnable,
                return_status=first.return_status or item.return_status,
            )
    return list(out.values())


def write_order(
    session: Session, row: OrderRow, read_at: datetime, skip: Skip = NOTHING
) -> Order | None:
    """The order as Medusa has it (the customer's row must exist); None when the index already
    holds a reading at or after ``read_at`` (the row is then left as it is)."""
    lock_order(session, row.order_number)
    session.flush()
    order = session.scalar(
        select(Order)
        .where(Order.order_number == row.order_number)
        .execution_options(populate_existing=True)
    )
    if order is not None and order.synced_at is not None and order.synced_at >= read_at:
        return None
    if order is None:
        order = Order(
            order_number=row.order_number,
            **{name: getattr(row, name) for name in ORDER_FIELDS},
        )
        session.add(order)
    else:
        for name in ORDER_FIELDS:
            _set(order, name, getattr(row, name))
    order.synced_at = read_at

    # ---- items, one per SKU
    wanted = {item.sku: item for item in _merged_items(row.items)}
    for item in list(order.items):
        if item.sku in skip.skus:
            continue
        if item.sku not in wanted:
            order.items.remove(item)
    have = {item.sku: item for item in order.items}
    for sku, got in wanted.items():
        if sku in skip.skus and sku in have:
            continue
        line = have.get(sku)
        if line is None:
            order.items.append(
                OrderItem(
                    position=got.position,
                    sku=sku,
                    name=got.name,
                    quantity=got.quantity,
                    unit_price=got.unit_price,
                    returnable=got.returnable,
                    return_status=got.return_status,
                )
            )
            continue
        for name in ("position", "name", "quantity", "unit_price", "returnable", "return_status"):
            _set(line, name, getattr(got, name))

    # ---- refunds: Medusa's are added; the desk's own rows stay as the desk wrote them
    by_ref = {r.store_ref: r for r in order.refunds if r.store_ref}
    by_id = {r.refund_id: r for r in order.refunds}
    for refund in row.refunds:
        if refund.store_ref and refund.store_ref in skip.refunds:
            # The service records this one: a row an earlier reading made of it (a retry of
            # a refund Medusa made while the desk's commit failed) gives way to the service's.
            taken = by_ref.get(refund.store_ref)
            if taken is not None and taken.refund_id == taken.store_ref:
                order.refunds.remove(taken)
            continue
        known = (by_ref.get(refund.store_ref) if refund.store_ref else None) or by_id.get(
            refund.refund_id
        )
        if known is not None:
            if refund.store_ref and known.store_ref is None:
                known.store_ref = refund.store_ref
            continue
        if session.get(Refund, refund.refund_id) is not None:
            continue  # that id belongs to another order's refund: never move it
        order.refunds.append(
            Refund(
                refund_id=refund.refund_id,
                amount=refund.amount,
                status=refund.status,
                method=refund.method,
                created_at=refund.created_at,
                expected_by=refund.expected_by,
                store_ref=refund.store_ref,
            )
        )
    session.flush()

    # ---- returns: one per (order, SKU); the desk's own RMA numbers stay
    existing = {
        r.sku: r
        for r in session.scalars(select(Return).where(Return.order_number == row.order_number))
    }
    for ret in row.returns:
        if ret.store_ref in skip.returns:
            continue
        known_return = existing.get(ret.sku)
        if known_return is not None:
            if known_return.store_ref is None:
                known_return.store_ref = ret.store_ref
            continue
        if session.get(Return, ret.rma_number) is not None:
            continue
        existing[ret.sku] = new = Return(
            rma_number=ret.rma_number,
            order_number=row.order_number,
            sku=ret.sku,
            item_name=ret.item_name,
            reason=ret.reason,
            return_by=ret.return_by,
            refund_estimate=ret.refund_estimate,
            carrier=ret.carrier,
            created_at=ret.created_at,
            store_ref=ret.store_ref,
        )
        session.add(new)
    session.flush()
    return order


def write_promo_code(session: Session, row: PromoCodeRow) -> None:
    promo = session.get(PromoCode, row.code)
    fields = (
        "description",
        "discount_percent",
        "discount_amount",
        "free_shipping",
        "min_spend",
        "starts_at",
        "expires_at",
        "store_ref",
    )
    if promo is None:
        session.add(PromoCode(code=row.code, **{name: getattr(row, name) for name in fields}))
    else:
        for name in fields:
            _set(promo, name, getattr(row, name))
    session.flush()
