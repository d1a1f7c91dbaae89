"""Order lookup and the changes a shopper may make while an order is processing."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks

from ..deps import ActorDep, SessionDep
from ..mail import notify
from ..services import orders as svc
from .schemas import (
    AddressChangeRequest,
    CancelRequest,
    LookupRequest,
    OrderOut,
    QuantityRequest,
    RecentOrdersOut,
    RecentOrdersRequest,
)

router = APIRouter(prefix="/orders", tags=["orders"])


@router.post("/lookup", response_model=OrderOut)
def lookup(body: LookupRequest, session: SessionDep) -> OrderOut:
    out = svc.to_out(svc.get_owned_order(session, body.order_number, body))
    session.commit()  # what the store's adapter refreshed in its index (docs/store.md)
    return out


@router.post("/recent", response_model=RecentOrdersOut)
def recent(body: RecentOrdersRequest, session: SessionDep) -> RecentOrdersOut:
    """The signed-in customer's newest orders, for the bot to offer instead of asking for a
    number."""
    orders = svc.recent_orders(session, body.customer_id, body.limit)
    out = RecentOrdersOut(orders=[svc.to_summary(order) for order in orders])
    session.commit()  # what the store's adapter refreshed in its index (docs/store.md)
    return out


@router.post("/{order_number}/cancel", response_model=OrderOut)
def cancel(
    order_number: str,
    body: CancelRequest,
    session: SessionDep,
    actor: ActorDep,
    background: BackgroundTasks,
) -> OrderOut:
    order = svc.get_owned_order(session, order_number, body, for_update=True)
    already_cancelled = order.status == "cancelled"
    svc.cancel(session, order, body.reason, actor)
    session.commit()
    out = svc.to_out(order)
    if not already_cancelled:  # mailed after the commit and the response; a repeat mails nothing
        notify.order_cancelled(background, out, body.reason)
    return out


@router.post("/{order_number}/shipping-address", response_model=OrderOut)
def change_address(
    order_number: str, body: AddressChangeRequest, session: SessionDep, actor: ActorDep
) -> OrderOut:
    order = svc.get_owned_order(session, order_number, body, for_update=True)
    svc.change_address(session, order, body.address, actor)
    session.commit()
    return svc.to_out(order)


@router.post("/{order_number}/items/{sku}/quantity", response_model=OrderOut)
def change_quantity(
    order_number: str, sku: str, body: QuantityRequest, session: SessionDep, actor: ActorDep
) -> OrderOut:
    order = svc.get_owned_order(session, order_number, body, for_update=True)
    svc.change_quantity(session, order, sku, body.quantity, actor)
    session.commit()
    return svc.to_out(order)
