"""BuiltinStore on the demo tables: reads are the desk's queries, writes change no row."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from tierline_desk.api.schemas import AddressIn
from tierline_desk.store import port
from tierline_desk.store.builtin import BuiltinStore

# The services and stand-in adapters: nothing here depends on the store under test.
pytestmark = pytest.mark.parametrize("store_name", ["builtin"], indirect=True)

PROCESSING = "114-2093847-1122334"  # C-1001, two lines
CANCELLED = "122-8888888-9999999"  # C-1005, one issued refund


def test_order_with_its_items_and_refunds(session: Session) -> None:
    store = BuiltinStore()
    order = store.order(session, CANCELLED)
    assert order is not None and order.order_number == CANCELLED
    assert [r.refund_id for r in order.refunds] == ["RF-DEMO1220"]
    assert [i.sku for i in order.items] == ["SKU-MN-1600"]
    assert order.customer.email == "lee.wong@example.com"
    assert store.order(session, "999-0000000-0000000") is None


def test_order_for_update_and_fresh_are_the_same_row(session: Session) -> None:
    store = BuiltinStore()
    first = store.order(session, PROCESSING)
    locked = store.order(session, PROCESSING, for_update=True, fresh=True)
    assert first is not None and locked is first


def test_customer_and_their_orders_newest_first(session: Session) -> None:
    store = BuiltinStore()
    customer = store.customer(session, "C-1001")
    assert customer is not None and customer.email == "maya.chen@example.com"
    assert store.customer(session, "C-9999") is None
    orders = store.customer_orders(session, "C-1001")
    assert {o.customer_id for o in orders} == {"C-1001"}
    assert PROCESSING in {o.order_number for o in orders} and len(orders) >= 8
    placed = [o.placed_at for o in orders]
    assert placed == sorted(placed, reverse=True)
    assert store.customer_orders(session, "C-9999") == []


def test_promo_code_is_upper_cased(session: Session) -> None:
    store = BuiltinStore()
    promo = store.promo_code(session, " welcome10 ")
    assert promo is not None and promo.code == "WELCOME10"
    assert store.promo_code(session, "NOPE") is None


def test_writes_change_no_row_and_return_no_reference(session: Session) -> None:
    store = BuiltinStore()
    order = store.order(session, PROCESSING)
    assert order is not None
    address = AddressIn(line1="1 Main St", city="Springfield", region="IL", postal_code="62701")
    store.change_address(
        session, port.ChangeAddress(order=order, address=address, idempotency_key="address:x")
    )
    store.change_quantity(
        session,
        port.ChangeQuantity(
            order=order, sku="SKU-CF-5200", quantity=1, idempotency_key="quantity:x"
        ),
    )
    five = Decimal("5.00")
    results = [
        store.cancel_order(
            session,
            port.CancelOrder(order=order, reason="changed my mind", idempotency_key="cancel:x"),
        ),
        store.request_return(
            session,
            port.RequestReturn(
                order=order,
                sku="SKU-CG-5100",
                reason="too big",
                rma_number="RMA-X",
                idempotency_key="return:x",
            ),
        ),
        store.refund(
            session,
            port.RefundPayment(order=order, amount=five, note="note", idempotency_key="agent:1:k"),
        ),
        store.issue_certificate(
            session,
            port.IssueCertificate(
                order=order, code="PC-X", amount=five, note="note", idempotency_key="agent:1:c"
            ),
        ),
        store.reship(
            session,
            port.ReshipItems(
                order=order,
                lines=(port.ReshipLine("SKU-CG-5100", "Mug", 1),),
                note="note",
                idempotency_key="RS-X",
            ),
        ),
    ]
    assert results == [None] * 5
    assert not session.new and not session.dirty and not session.deleted
    assert order.status == "processing" and order.refunds == []
