"""What holds on every store adapter (tests/store/conftest.py: ``store_name``), through the
desk's own API: the bot's side (bearer token) and the agent console (session cookie + CSRF).

Reads run on the demo orders (tierline_desk/demo/orders.json), which every adapter's store
holds; a test that changes an order makes its own, like a demo order (``new_order``,
tests/utils/store_orders.py): a real store is shared by every test of the session.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.console import (
    BIG_ORDER,
    LoginFn,
    TicketFn,
    claimed_ticket,
    ticket_url,
)
from tests.utils.desk import JORDAN, MAYA, MAYA_NEW_HOME, PRIYA, code_of
from tests.utils.store_actions import ask_return, demo_orders, lookup, order_action
from tests.utils.store_orders import OrderMaker
from tierline_desk.store import get_store

SHIPPED = "112-4839201-5573910"  # C-1001 (Maya), 142.98
DELIVERED = "113-5550192-7781234"  # C-1001, delivered 10 days ago
PROCESSING = "114-2093847-1122334"  # C-1001: SKU-CG-5100 x1 at 49.99, SKU-CF-5200 x2 at 14.00
NEW_ADDRESS = {**MAYA_NEW_HOME, "country": "us"}  # the store is given the country upper-cased


# ------------------------------------------------------------------ reads
@pytest.mark.parametrize("proof", [MAYA, {"customer_id": "C-1001"}])
def test_lookup_by_number_with_email_or_customer_id(
    client: TestClient, proof: dict[str, str]
) -> None:
    resp = lookup(client, SHIPPED, **proof)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["order_number"] == SHIPPED and body["status"] == "shipped"
    assert body["customer"] == {"id": "C-1001", "name": "Maya Chen", "email": MAYA["email"]}
    assert [(i["sku"], i["quantity"]) for i in body["items"]] == [
        ("SKU-HP-1001", 1),
        ("SKU-CB-2001", 1),
    ]
    assert body["total"] == "142.98" and body["refunds"] == []


def test_lookup_refuses_another_shopper_and_knows_no_unknown_order(client: TestClient) -> None:
    assert code_of(lookup(client, SHIPPED, **JORDAN)) == "verification_failed"
    assert lookup(client, SHIPPED, customer_id="C-1002").status_code == 403
    assert code_of(lookup(client, SHIPPED)) == "verification_required"
    unknown = lookup(client, "999-0000000-0000001", **MAYA)
    assert unknown.status_code == 404 and code_of(unknown) == "order_not_found"


def test_a_customers_orders_newest_first(
    store_name: str, session: Session, new_order: OrderMaker
) -> None:
    store = get_store()
    customer = store.customer(session, "C-1001")
    assert customer is not None and customer.email == MAYA["email"]
    orders = store.customer_orders(session, "C-1001")
    expected = {o["order_number"] for o in demo_orders() if o["customer_id"] == "C-1001"}
    # and those other tests placed for her in a store the session shares
    expected |= {number for who, number in new_order.placed if who == "C-1001"}
    assert {o.order_number for o in orders} == expected
    placed = [o.placed_at for o in orders]
    assert placed == sorted(placed, reverse=True)
    assert store.customer(session, "C-9999") is None
    assert store.customer_orders(session, "C-9999") == []


@pytest.mark.parametrize(
    ("code", "subtotal", "reason"),
    [
        ("WELCOME10", "40.00", None),
        ("welcome10", None, None),
        ("SAVE50", "250.00", None),
        ("FREESHIP", None, "expired"),
        ("HOLIDAY25", None, "not_started"),
        ("WELCOME10", "10.00", "min_spend_not_met"),
        ("SAVE50", "199.99", "min_spend_not_met"),
    ],
)
def test_promo_code_outcomes(
    client: TestClient, code: str, subtotal: str | None, reason: str | None
) -> None:
    resp = client.get(
        f"/api/v1/promo-codes/{code}", params={"subtotal": subtotal} if subtotal else {}
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["code"] == code.upper()
    assert (body["valid"], body["reason"]) == (reason is None, reason)


def test_unknown_promo_code(client: TestClient) -> None:
    resp = client.get("/api/v1/promo-codes/NOPE2026")
    assert resp.status_code == 404 and code_of(resp) == "promo_not_found"


# ------------------------------------------------------------------ a shopper's changes
def test_cancel_a_processing_order_once(client: TestClient, new_order: OrderMaker) -> None:
    processing = new_order(like=PROCESSING)
    first = order_action(client, processing, "cancel", {**MAYA, "reason": "changed my mind"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "cancelled"
    (refund,) = body["refunds"]
    assert refund["status"] == "pending" and Decimal(refund["amount"]) == Decimal("77.99")
    again = order_action(client, processing, "cancel", MAYA)
    assert again.status_code == 200
    assert [r["refund_id"] for r in again.json()["refunds"]] == [refund["refund_id"]]
    now = lookup(client, processing, **MAYA).json()
    assert now["status"] == "cancelled" and len(now["refunds"]) == 1


def test_cancel_a_shipped_order_is_refused(client: TestClient) -> None:
    resp = order_action(client, SHIPPED, "cancel", MAYA)
    assert resp.status_code == 409 and code_of(resp) == "already_shipped"
    now = lookup(client, SHIPPED, **MAYA).json()
    assert now["status"] == "shipped" and now["refunds"] == []


def test_change_the_shipping_address(client: TestClient, new_order: OrderMaker) -> None:
    processing = new_order(like=PROCESSING)
    resp = order_action(client, processing, "shipping-address", {**MAYA, "address": NEW_ADDRESS})
    assert resp.status_code == 200, resp.text
    assert resp.json()["shipping_address"] == MAYA_NEW_HOME
    assert lookup(client, processing, **MAYA).json()["shipping_address"] == MAYA_NEW_HOME


def test_change_a_quantity(client: TestClient, new_order: OrderMaker) -> None:
    processing = new_order(like=PROCESSING)
    resp = order_action(client, processing, "items/SKU-CF-5200/quantity", {**MAYA, "quantity": 3})
    assert resp.status_code == 200, resp.text
    items = {i["sku"]: i["quantity"] for i in resp.json()["items"]}
    assert items == {"SKU-CG-5100": 1, "SKU-CF-5200": 3}
    assert resp.json()["total"] == "91.99"
    assert lookup(client, processing, **MAYA).json()["total"] == "91.99"


def test_return_authorisation_once(client: TestClient, new_order: OrderMaker) -> None:
    delivered = new_order(like=DELIVERED)
    first = ask_return(client, delivered, "SKU-RS-3310", **MAYA)
    assert first.status_code == 201, first.text
    rma = first.json()["rma_number"]
    assert rma.startswith("RMA-") and first.json()["refund_estimate"] == "89.95"
    again = ask_return(client, delivered, "SKU-RS-3310", **MAYA)
    assert again.status_code == 200 and again.json()["rma_number"] == rma
    items = {
        i["sku"]: i["return_status"] for i in lookup(client, delivered, **MAYA).json()["items"]
    }
    assert items == {"SKU-RS-3310": "authorized", "SKU-RJ-4420": None}


# ------------------------------------------------------------------ an agent's actions
def test_an_agent_refund_within_authority(
    client: TestClient, login: LoginFn, make_ticket: TicketFn, new_order: OrderMaker
) -> None:
    big = new_order(like=BIG_ORDER)  # Priya's delivered 1928.99 order
    alex, ticket = claimed_ticket(login, make_ticket, order_number=big)
    body = {"amount": "49.99", "reason": "Arrived scratched"}
    first = alex.post(ticket_url(ticket, "refund"), body, key="refund-1")
    assert first.status_code == 201, first.text
    out = first.json()
    assert out["order_number"] == big and out["amount"] == "49.99"
    assert out["status"] == "pending"
    again = alex.post(ticket_url(ticket, "refund"), body, key="refund-1")
    assert again.status_code == 201 and again.json()["refund_id"] == out["refund_id"]
    refunds = lookup(client, big, **PRIYA).json()["refunds"]
    assert [(r["refund_id"], r["amount"]) for r in refunds] == [(out["refund_id"], "49.99")]


def test_an_agent_refund_above_what_is_left_is_refused(
    client: TestClient, login: LoginFn, make_ticket: TicketFn
) -> None:
    # DELIVERED: 164.45, nothing refunded yet
    sam, ticket = claimed_ticket(login, make_ticket, "sam.lead", tier=2, order_number=DELIVERED)
    body = {"amount": "164.46", "reason": "Too much"}
    resp = sam.post(ticket_url(ticket, "refund"), body, key="too-much")
    assert resp.status_code == 409 and code_of(resp) == "exceeds_refundable"
    assert resp.json()["detail"]["refundable"] == "164.45"
    assert lookup(client, DELIVERED, **MAYA).json()["refunds"] == []


def test_an_agent_certificate(login: LoginFn, make_ticket: TicketFn, new_order: OrderMaker) -> None:
    big = new_order(like=BIG_ORDER)
    alex, ticket = claimed_ticket(login, make_ticket, order_number=big)
    body = {"amount": "20.00", "reason": "Sorry for the wait"}
    first = alex.post(ticket_url(ticket, "certificate"), body, key="cert-1")
    assert first.status_code == 201, first.text
    out = first.json()
    assert out["code"].startswith("PC-") and out["customer_id"] == "C-1003"
    assert out["amount"] == "20.00" and out["order_number"] == big
    again = alex.post(ticket_url(ticket, "certificate"), body, key="cert-1")
    assert again.json()["code"] == out["code"]


def test_an_agent_reship(login: LoginFn, make_ticket: TicketFn, new_order: OrderMaker) -> None:
    alex, ticket = claimed_ticket(login, make_ticket, order_number=new_order(like=BIG_ORDER))
    body = {"items": [{"sku": "SKU-LS-9110", "quantity": 1}], "reason": "Lost in the post"}
    first = alex.post(ticket_url(ticket, "reship"), body, key="reship-1")
    assert first.status_code == 201, first.text
    out = first.json()
    assert out["reship_id"].startswith("RS-") and out["status"] == "requested"
    assert [(i["sku"], i["quantity"]) for i in out["items"]] == [("SKU-LS-9110", 1)]
    again = alex.post(ticket_url(ticket, "reship"), body, key="reship-1")
    assert again.json()["reship_id"] == out["reship_id"]
