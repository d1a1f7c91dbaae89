from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.desk import JORDAN, LEE, MAYA, PRIYA, SAM, audit_rows, code_of
from tierline_desk.models import Order

SHIPPED = "112-4839201-5573910"
DELIVERED = "113-5550192-7781234"
PROCESSING = "114-2093847-1122334"
SINGLE = "123-1212121-3434343"


def lookup(client: TestClient, number: str, **proof: str):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/orders/lookup", json={"order_number": number, **proof})


# ------------------------------------------------------------------ lookup
def test_lookup_with_email_returns_the_full_order(client: TestClient) -> None:
    resp = lookup(client, SHIPPED, **MAYA)
    assert resp.status_code == 200
    body = resp.json()
    assert body["order_number"] == SHIPPED
    assert body["status"] == "shipped"
    assert body["carrier"] == "UPS"
    assert body["tracking_number"].startswith("1Z")
    assert body["last_scan"]["location"] == "Louisville, KY"
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert body["last_scan"]["at"].startswith(yesterday)
    assert body["estimated_delivery"] == (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert body["customer"] == {"id": "C-1001", "name": "Maya Chen", "email": MAYA["email"]}
    assert body["shipping_address"]["postal_code"] == "94107"
    assert [i["unit_price"] for i in body["items"]] == ["129.99", "12.99"]
    assert body["total"] == "142.98"
    assert body["currency"] == "USD"
    assert body["return_deadline"] is None
    assert body["trade_in"] is None
    assert body["refunds"] == []


def test_lookup_email_is_case_insensitive_and_trimmed(client: TestClient) -> None:
    assert lookup(client, SHIPPED, email="  MAYA.Chen@Example.COM ").status_code == 200


def test_lookup_with_customer_id(client: TestClient) -> None:
    resp = lookup(client, SHIPPED, customer_id="C-1001")
    assert resp.status_code == 200
    assert resp.json()["customer"]["id"] == "C-1001"


@pytest.mark.parametrize(
    "proof",
    [
        {"email": "jordan.alvarez@example.com"},
        {"customer_id": "C-1002"},
        {"email": "maya.chen@example.com", "customer_id": "C-1002"},
        {"email": "maya.chen@example.co"},
    ],
)
def test_lookup_with_wrong_proof(client: TestClient, proof: dict[str, str]) -> None:
    resp = lookup(client, SHIPPED, **proof)
    assert resp.status_code == 403
    assert code_of(resp) == "verification_failed"
    assert "items" not in resp.text and "Louisville" not in resp.text


@pytest.mark.parametrize("proof", [{}, {"email": "  "}, {"email": "", "customer_id": ""}])
def test_lookup_without_proof(client: TestClient, proof: dict[str, str]) -> None:
    resp = lookup(client, SHIPPED, **proof)
    assert resp.status_code == 403
    assert code_of(resp) == "verification_required"


# ------------------------------------------------------------------ a customer's recent orders
def recent(client: TestClient, **body: object):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/orders/recent", json=body)


def test_recent_orders_are_the_customers_own_newest_first(client: TestClient) -> None:
    resp = recent(client, customer_id="C-1003", limit=3)
    assert resp.status_code == 200
    orders = resp.json()["orders"]
    assert len(orders) == 3
    assert orders[0]["order_number"] == "560-9207156-5416404"
    assert orders[0]["first_item"] == "Merino Wool Socks (3 pack)"
    assert orders[0]["item_count"] == 1
    assert orders[0]["status"] == "processing"
    placed = [o["placed_at"] for o in orders]
    assert placed == sorted(placed, reverse=True)
    for order in orders:
        owned = lookup(client, order["order_number"], customer_id="C-1003")
        assert owned.status_code == 200


def test_recent_orders_count_every_item(client: TestClient) -> None:
    orders = recent(client, customer_id="C-1002", limit=10).json()["orders"]
    jeans_order = next(o for o in orders if o["order_number"] == "398-0454914-9109027")
    assert jeans_order["first_item"] == "Slim Fit Jeans, 32x32"
    assert jeans_order["item_count"] == 4
    assert all(lookup(client, o["order_number"], **JORDAN).status_code == 200 for o in orders)


def test_recent_orders_default_to_five(client: TestClient) -> None:
    assert len(recent(client, customer_id="C-1001").json()["orders"]) == 5


@pytest.mark.parametrize("body", [{}, {"customer_id": ""}, {"email": "maya.chen@example.com"}])
def test_recent_orders_need_a_verified_customer_id(
    client: TestClient, body: dict[str, str]
) -> None:
    resp = recent(client, **body)
    assert resp.status_code == 403
    assert code_of(resp) == "verification_required"
    assert "order_number" not in resp.text


def test_recent_orders_of_an_unknown_customer_are_none(client: TestClient) -> None:
    resp = recent(client, customer_id="C-9999")
    assert resp.status_code == 200
    assert resp.json() == {"orders": []}


def test_recent_orders_limit_is_bounded(client: TestClient) -> None:
    assert recent(client, customer_id="C-1001", limit=0).status_code == 422
    assert recent(client, customer_id="C-1001", limit=11).status_code == 422


def test_lookup_unknown_order(client: TestClient) -> None:
    resp = lookup(client, "999-0000000-0000000", **MAYA)
    assert resp.status_code == 404
    assert code_of(resp) == "order_not_found"


@pytest.mark.parametrize(
    "number", ["11248392015573910", "112-4839201-557391", "112 4839201 5573910", "abc", ""]
)
def test_lookup_malformed_number(client: TestClient, number: str) -> None:
    resp = lookup(client, number, **MAYA)
    assert resp.status_code == 422
    assert code_of(resp) == "invalid_order_number"


def test_malformed_number_in_path(client: TestClient) -> None:
    resp = client.post("/api/v1/orders/112-48/cancel", json=MAYA)
    assert resp.status_code == 422
    assert code_of(resp) == "invalid_order_number"


def test_special_orders_look_right(client: TestClient) -> None:
    laptop = lookup(client, "117-3141592-6535897", **PRIYA).json()
    assert laptop["total"] == "1928.99"
    assert (
        laptop["return_deadline"]
        == ((datetime.now(UTC) - timedelta(days=5)).date() + timedelta(days=30)).isoformat()
    )
    phone = lookup(client, "118-2718281-8284590", **SAM).json()
    assert phone["trade_in"] == {
        "device": "iPhone 12, 128 GB",
        "quoted_credit": "350.00",
        "status": "credit_pending",
    }
    returned = lookup(client, "120-4444444-5555555", **LEE).json()
    assert returned["status"] == "returned"
    assert returned["items"][0]["return_status"] == "received"
    assert [r["status"] for r in returned["refunds"]] == ["pending"]
    assert lookup(client, "121-6666666-7777777", **LEE).json()["refunds"][0]["status"] == "issued"
    assert lookup(client, "116-7777777-0000001", **PRIYA).json()["status"] == "lost"
    assert lookup(client, "115-0001234-5678901", **JORDAN).json()["status"] == "delayed"


# ------------------------------------------------------------------ cancel
def test_cancel_processing_order(client: TestClient, session: Session) -> None:
    resp = client.post(f"/api/v1/orders/{PROCESSING}/cancel", json={**MAYA, "reason": "oops"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "cancelled"
    assert len(body["refunds"]) == 1
    refund = body["refunds"][0]
    assert refund["status"] == "pending"
    assert refund["amount"] == body["total"] == "77.99"
    assert refund["refund_id"].startswith("RF-")
    # persisted
    session.expire_all()
    assert session.get(Order, PROCESSING).status == "cancelled"  # type: ignore[union-attr]
    rows = audit_rows(session, "order.cancel")
    assert len(rows) == 1
    assert rows[0].order_number == PROCESSING
    assert rows[0].actor == "bot"
    assert rows[0].details["reason"] == "oops"
    assert rows[0].details["amount"] == "77.99"


def test_cancel_is_idempotent(client: TestClient, session: Session) -> None:
    first = client.post(f"/api/v1/orders/{PROCESSING}/cancel", json=MAYA).json()
    second = client.post(f"/api/v1/orders/{PROCESSING}/cancel", json=MAYA)
    assert second.status_code == 200
    assert second.json()["status"] == "cancelled"
    assert second.json()["refunds"] == first["refunds"]  # no second refund
    assert len(audit_rows(session, "order.cancel")) == 1


def test_cancel_already_cancelled_seed_order_is_200(client: TestClient) -> None:
    resp = client.post("/api/v1/orders/122-8888888-9999999/cancel", json=LEE)
    assert resp.status_code == 200
    assert len(resp.json()["refunds"]) == 1


@pytest.mark.parametrize(
    ("number", "proof", "status"),
    [
        (SHIPPED, MAYA, "shipped"),
        (DELIVERED, MAYA, "delivered"),
        ("119-1010101-2020202", SAM, "out_for_delivery"),
        ("115-0001234-5678901", JORDAN, "delayed"),
        ("116-7777777-0000001", PRIYA, "lost"),
    ],
)
def test_cancel_after_shipping_is_409(
    client: TestClient, session: Session, number: str, proof: dict[str, str], status: str
) -> None:
    resp = client.post(f"/api/v1/orders/{number}/cancel", json=proof)
    assert resp.status_code == 409
    assert code_of(resp) == "already_shipped"
    session.expire_all()
    assert session.get(Order, number).status == status  # type: ignore[union-attr]
    assert audit_rows(session) == []


@pytest.mark.parametrize("number", ["120-4444444-5555555", "121-6666666-7777777"])
def test_cancel_returned_or_refunded_is_not_cancellable(client: TestClient, number: str) -> None:
    resp = client.post(f"/api/v1/orders/{number}/cancel", json=LEE)
    assert resp.status_code == 409
    assert code_of(resp) == "not_cancellable"


def test_cancel_checks_ownership(client: TestClient, session: Session) -> None:
    assert client.post(f"/api/v1/orders/{PROCESSING}/cancel", json={}).status_code == 403
    resp = client.post(f"/api/v1/orders/{PROCESSING}/cancel", json=JORDAN)
    assert resp.status_code == 403
    assert code_of(resp) == "verification_failed"
    session.expire_all()
    assert session.get(Order, PROCESSING).status == "processing"  # type: ignore[union-attr]


def test_cancel_unknown_order(client: TestClient) -> None:
    resp = client.post("/api/v1/orders/999-9999999-9999999/cancel", json=MAYA)
    assert resp.status_code == 404
    assert code_of(resp) == "order_not_found"


# ------------------------------------------------------------------ address
NEW_ADDRESS = {
    "line1": "1 Market St",
    "line2": "Floor 3",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
}


def test_change_address_while_processing(client: TestClient, session: Session) -> None:
    resp = client.post(
        f"/api/v1/orders/{PROCESSING}/shipping-address",
        json={**MAYA, "address": NEW_ADDRESS},
        headers={"X-Desk-Actor": "agent.kim"},
    )
    assert resp.status_code == 200
    addr = resp.json()["shipping_address"]
    assert addr == {**NEW_ADDRESS, "name": "Maya Chen", "country": "US"}
    again = client.post("/api/v1/orders/lookup", json={"order_number": PROCESSING, **MAYA})
    assert again.json()["shipping_address"]["line1"] == "1 Market St"
    rows = audit_rows(session, "order.address_change")
    assert len(rows) == 1
    assert rows[0].actor == "agent.kim"
    assert rows[0].details["before"]["line1"] == "500 Brannan St"
    assert rows[0].details["after"]["postal_code"] == "94105"


def test_change_address_after_shipping_is_409(client: TestClient, session: Session) -> None:
    resp = client.post(
        f"/api/v1/orders/{SHIPPED}/shipping-address", json={**MAYA, "address": NEW_ADDRESS}
    )
    assert resp.status_code == 409
    assert code_of(resp) == "already_shipped"
    session.expire_all()
    assert session.get(Order, SHIPPED).ship_line1 == "500 Brannan St"  # type: ignore[union-attr]
    assert audit_rows(session) == []


def test_change_address_validates_the_address(client: TestClient) -> None:
    resp = client.post(
        f"/api/v1/orders/{PROCESSING}/shipping-address",
        json={**MAYA, "address": {"line1": "1 Market St", "city": "SF"}},
    )
    assert resp.status_code == 422
    assert code_of(resp) == "validation_error"


def test_change_address_needs_proof(client: TestClient) -> None:
    resp = client.post(
        f"/api/v1/orders/{PROCESSING}/shipping-address", json={"address": NEW_ADDRESS}
    )
    assert resp.status_code == 403
    assert code_of(resp) == "verification_required"


# ------------------------------------------------------------------ quantity
def qty(client: TestClient, number: str, sku: str, quantity: object, proof=MAYA):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/orders/{number}/items/{sku}/quantity", json={**proof, "quantity": quantity}
    )


def test_change_quantity_recomputes_total(client: TestClient, session: Session) -> None:
    resp = qty(client, PROCESSING, "SKU-CF-5200", 3)
    assert resp.status_code == 200
    body = resp.json()
    beans = next(i for i in body["items"] if i["sku"] == "SKU-CF-5200")
    assert beans["quantity"] == 3
    assert Decimal(body["total"]) == Decimal("49.99") + 3 * Decimal("14.00")
    rows = audit_rows(session, "order.quantity_change")
    assert [(r.details["before"], r.details["after"]) for r in rows] == [(2, 3)]


def test_quantity_zero_removes_the_line(client: TestClient) -> None:
    resp = qty(client, PROCESSING, "SKU-CG-5100", 0)
    assert resp.status_code == 200
    body = resp.json()
    assert [i["sku"] for i in body["items"]] == ["SKU-CF-5200"]
    assert body["total"] == "28.00"


def test_removing_the_last_item_would_empty_the_order(client: TestClient) -> None:
    resp = qty(client, SINGLE, "SKU-DL-6100", 0)
    assert resp.status_code == 409
    assert code_of(resp) == "would_empty_order"
    order = lookup(client, SINGLE, **MAYA).json()
    assert order["items"][0]["quantity"] == 1
    # also after removing the others one by one
    assert qty(client, PROCESSING, "SKU-CG-5100", 0).status_code == 200
    assert code_of(qty(client, PROCESSING, "SKU-CF-5200", 0)) == "would_empty_order"


def test_quantity_unknown_sku(client: TestClient) -> None:
    resp = qty(client, PROCESSING, "SKU-NOPE", 1)
    assert resp.status_code == 404
    assert code_of(resp) == "item_not_found"


def test_quantity_after_shipping(client: TestClient) -> None:
    resp = qty(client, SHIPPED, "SKU-HP-1001", 2)
    assert resp.status_code == 409
    assert code_of(resp) == "already_shipped"


@pytest.mark.parametrize("bad", [-1, "two", 1.5])
def test_quantity_must_be_a_non_negative_int(client: TestClient, bad: object) -> None:
    resp = qty(client, PROCESSING, "SKU-CF-5200", bad)
    assert resp.status_code == 422
    assert code_of(resp) == "validation_error"


def test_quantity_needs_ownership(client: TestClient, session: Session) -> None:
    resp = qty(client, PROCESSING, "SKU-CF-5200", 5, proof=JORDAN)
    assert resp.status_code == 403
    session.expire_all()
    order = session.scalar(select(Order).where(Order.order_number == PROCESSING))
    assert order is not None
    assert {i.sku: i.quantity for i in order.items}["SKU-CF-5200"] == 2
