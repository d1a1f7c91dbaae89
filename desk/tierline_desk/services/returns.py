"""Return authorisations: delivery, window, returnable flag, idempotency."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api.schemas import ReturnOut
from ..errors import ApiError
from ..models import Order, Return, utcnow
from ..responses import from_row
from ..store import RequestReturn, get_store, keys
from . import audit
from .ids import unique_random_id
from .orders import return_deadline

DROP_OFF_DAYS = 14
DROP_OFF = {
    "UPS": "Take the item, in any box, to a UPS Store or UPS Access Point and show the QR code "
    "on your return label ({rma}). No printing or tape needed.",
    "FedEx": "Take the item, in any box, to a FedEx Office or Walgreens drop-off and show the QR "
    "code on your return label ({rma}). No printing needed.",
    "USPS": "Pack the item, attach the prepaid label for {rma}, and drop it at any Post Office "
    "or hand it to your mail carrier.",
}


def to_out(ret: Return) -> ReturnOut:
    template = DROP_OFF.get(ret.carrier, DROP_OFF["UPS"])
    return from_row(
        ReturnOut,
        ret,
        drop_off_instructions=template.format(rma=ret.rma_number),
        label_url=f"/returns/{ret.rma_number}/label",
    )


def request_return(
    session: Session, order: Order, sku: str, reason: str, actor: str
) -> tuple[Return, bool]:
    """The return for ``sku`` and whether it was created now (False: it already existed)."""
    item = next((i for i in order.items if i.sku == sku), None)
    if item is None:
        raise ApiError(404, "item_not_found", f"Order {order.order_number} has no item {sku}.")
    existing = session.scalar(
        select(Return).where(Return.order_number == order.order_number, Return.sku == sku)
    )
    if existing is not None:
        return existing, False
    if order.delivered_at is None:
        raise ApiError(
            409,
            "not_delivered",
            f"Order {order.order_number} has not been delivered yet ({order.status}).",
            status=order.status,
        )
    if not item.returnable:
        raise ApiError(409, "not_returnable", f"{item.name} is final sale and cannot be returned.")
    deadline = return_deadline(order)
    now = utcnow()
    if deadline is not None and now.date() > deadline:
        raise ApiError(
            409,
            "outside_return_window",
            f"The return window for this order closed on {deadline.isoformat()}.",
            return_deadline=deadline.isoformat(),
        )
    rma_number = unique_random_id(session, Return, "rma_number", "RMA", 6)
    store_ref = get_store().request_return(
        session,
        RequestReturn(
            order=order,
            sku=sku,
            reason=reason,
            rma_number=rma_number,
            idempotency_key=keys.return_request(order.order_number, sku),
        ),
    )
    ret = Return(
        rma_number=rma_number,
        order_number=order.order_number,
        sku=sku,
        item_name=item.name,
        reason=reason,
        return_by=(now + timedelta(days=DROP_OFF_DAYS)).date(),
        refund_estimate=item.unit_price * item.quantity,
        carrier="UPS",
        created_at=now,
        store_ref=store_ref,
    )
    session.add(ret)
    item.return_status = "authorized"
    audit.record(
        session,
        "return.create",
        actor=actor,
        order_number=order.order_number,
        details={"rma_number": ret.rma_number, "sku": sku, "reason": reason},
    )
    return ret, True
