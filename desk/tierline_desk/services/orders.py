"""Order ownership, serialisation and the changes allowed while an order is processing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from ..api.schemas import (
    AddressIn,
    LastScan,
    OrderOut,
    OrderSummaryOut,
    Proof,
    TradeInOut,
)
from ..errors import ApiError
from ..models import Order, Refund, utcnow
from ..responses import from_row
from ..schemas import is_order_number
from ..settings import get_settings
from ..store import CancelOrder, ChangeAddress, ChangeQuantity, get_store, keys
from . import audit
from .ids import unique_random_id

SHIPPED_STATES = {"shipped", "out_for_delivery", "delivered", "delayed", "lost"}
CLOSED_STATES = {"returned", "refunded"}
REFUND_DAYS = 5
REFUND_METHOD = "original_payment_method"


def ensure_order_number(number: str) -> str:
    if not is_order_number(number):
        raise ApiError(
            422,
            "invalid_order_number",
            "Order numbers look like 123-1234567-1234567 (3-7-7 digits).",
        )
    return number


def _norm(value: str | None) -> str:
    return (value or "").strip()


def check_ownership(order: Order, proof: Proof) -> None:
    """403 unless every proof given matches the order's customer (email case-insensitive)."""
    email, customer_id = _norm(proof.email), _norm(proof.customer_id)
    if not email and not customer_id:
        raise ApiError(
            403,
            "verification_required",
            "Give the email address on the order or a verified customer id.",
        )
    if email and email.casefold() != order.customer.email.strip().casefold():
        raise ApiError(403, "verification_failed", "That email does not match this order.")
    if customer_id and customer_id != order.customer_id:
        raise ApiError(403, "verification_failed", "That customer id does not match this order.")


def get_owned_order(
    session: Session, number: str, proof: Proof, *, for_update: bool = False
) -> Order:
    """The order, if ``proof`` shows it is the shopper's. ``for_update`` (a change is coming):
    locked, and read from the store itself rather than the index."""
    ensure_order_number(number)
    order = get_store().order(session, number, for_update=for_update, fresh=for_update)
    if order is None:
        raise ApiError(404, "order_not_found", f"No order {number}.")
    check_ownership(order, proof)
    return order


def recent_orders(session: Session, customer_id: str | None, limit: int) -> list[Order]:
    """A signed-in customer's newest orders, each checked like any other read of an order."""
    if not _norm(customer_id):
        raise ApiError(403, "verification_required", "Only a verified customer id can list orders.")
    proof = Proof(customer_id=customer_id)
    orders = get_store().customer_orders(session, _norm(customer_id))[:limit]
    for order in orders:
        check_ownership(order, proof)
    return orders


def to_summary(order: Order) -> OrderSummaryOut:
    return OrderSummaryOut(
        order_number=order.order_number,
        status=order.status,
        placed_at=order.placed_at,
        first_item=order.items[0].name if order.items else None,
        item_count=sum(item.quantity for item in order.items),
    )


def return_deadline(order: Order, window_days: int | None = None) -> date | None:
    if order.delivered_at is None:
        return None
    days = get_settings().return_window_days if window_days is None else window_days
    return order.delivered_at.date() + timedelta(days=days)


def shipping_address(order: Order) -> dict[str, str | None]:
    """The order's ``ship_*`` columns under an address's field names (as in AddressOut)."""
    return {
        "name": order.ship_name,
        "line1": order.ship_line1,
        "line2": order.ship_line2,
        "city": order.ship_city,
        "region": order.ship_region,
        "postal_code": order.ship_postal_code,
        "country": order.ship_country,
    }


def to_out(order: Order) -> OrderOut:
    last_scan = (
        LastScan(
            at=order.last_scan_at,
            location=order.last_scan_location,
            description=order.last_scan_description,
        )
        if order.last_scan_at is not None
        else None
    )
    trade_in = (
        TradeInOut(
            device=order.trade_in_device,
            quoted_credit=order.trade_in_quoted_credit or Decimal("0"),
            status=order.trade_in_status or "unknown",
        )
        if order.trade_in_device
        else None
    )
    # The customer, items and refunds are read from the order's rows of those names.
    return from_row(
        OrderOut,
        order,
        last_scan=last_scan,
        shipping_address=shipping_address(order),
        return_deadline=return_deadline(order),
        trade_in=trade_in,
    )


def _require_processing(order: Order, what: str) -> None:
    if order.status == "processing":
        return
    if order.status in SHIPPED_STATES:
        message = f"Order {order.order_number} has already shipped ({order.status}); {what}."
    else:
        message = f"Order {order.order_number} is {order.status}; {what}."
    # The contract names one code for every non-processing state here.
    raise ApiError(409, "already_shipped", message, status=order.status)


def cancel(session: Session, order: Order, reason: str | None, actor: str) -> Order:
    if order.status == "cancelled":
        return order  # idempotent
    if order.status in SHIPPED_STATES:
        raise ApiError(
            409,
            "already_shipped",
            f"Order {order.order_number} has already shipped ({order.status}) "
            "and can no longer be cancelled.",
            status=order.status,
        )
    if order.status != "processing":
        raise ApiError(
            409,
            "not_cancellable",
            f"Order {order.order_number} is {order.status} and cannot be cancelled.",
            status=order.status,
        )
    # The store first: if it fails, nothing here has changed.
    key = keys.cancel(order.order_number)
    store_ref = get_store().cancel_order(
        session, CancelOrder(order=order, reason=reason, idempotency_key=key)
    )
    now = utcnow()
    amount = order.total
    refund = Refund(
        refund_id=unique_random_id(session, Refund, "refund_id", "RF", 8),
        amount=amount,
        status="pending",
        method=REFUND_METHOD,
        created_at=now,
        expected_by=(now + timedelta(days=REFUND_DAYS)).date(),
        store_ref=store_ref,
    )
    order.refunds.append(refund)
    order.status = "cancelled"
    order.cancelled_at = now
    audit.record(
        session,
        "order.cancel",
        actor=actor,
        order_number=order.order_number,
        details={"reason": reason, "refund_id": refund.refund_id, "amount": f"{amount:.2f}"},
    )
    return order


def change_address(session: Session, order: Order, address: AddressIn, actor: str) -> Order:
    _require_processing(order, "the shipping address can no longer be changed")
    key = keys.address(order.order_number, address)
    get_store().change_address(
        session, ChangeAddress(order=order, address=address, idempotency_key=key)
    )
    before = shipping_address(order)
    if address.name:
        order.ship_name = address.name
    order.ship_line1 = address.line1
    order.ship_line2 = address.line2 or None
    order.ship_city = address.city
    order.ship_region = address.region
    order.ship_postal_code = address.postal_code
    order.ship_country = address.country
    after = shipping_address(order)
    audit.record(
        session,
        "order.address_change",
        actor=actor,
        order_number=order.order_number,
        details={"before": before, "after": after},
    )
    return order


def change_quantity(session: Session, order: Order, sku: str, quantity: int, actor: str) -> Order:
    _require_processing(order, "quantities can no longer be changed")
    item = next((i for i in order.items if i.sku == sku), None)
    if item is None:
        raise ApiError(404, "item_not_found", f"Order {order.order_number} has no item {sku}.")
    if quantity == item.quantity:
        return order
    if quantity == 0 and len(order.items) == 1:
        raise ApiError(
            409,
            "would_empty_order",
            "That is the only item on the order; cancel the order instead.",
        )
    key = keys.quantity(order.order_number, sku, quantity)
    get_store().change_quantity(
        session, ChangeQuantity(order=order, sku=sku, quantity=quantity, idempotency_key=key)
    )
    before = item.quantity
    if quantity == 0:
        order.items.remove(item)
        session.flush()
    else:
        item.quantity = quantity
    audit.record(
        session,
        "order.quantity_change",
        actor=actor,
        order_number=order.order_number,
        details={
            "sku": sku,
            "before": before,
            "after": quantity,
            "new_total": f"{order.total:.2f}",
        },
    )
    return order
