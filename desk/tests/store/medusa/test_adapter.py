"""The medusa adapter against the session's real Medusa: what each change is in Medusa itself,
and a retry of a change that Medusa made but the desk never committed doing nothing more there.

Every change here is made through the desk (its API, or its services in a transaction that is
then rolled back: "the store did it, the desk's commit failed"), on an order of the test's own
(``new_order``), and checked through Medusa's Admin API.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import BIG_ORDER, ticket_url
from tests.utils.desk import MAYA, PRIYA, code_of
from tests.utils.lost_attempts import RetryFn
from tests.utils.medusa_server import MEDUSA_TIMEOUT
from tests.utils.store_actions import ask_return, lookup, order_action
from tests.utils.store_orders import MedusaOrders
from tierline_desk.api.schemas import AddressIn
from tierline_desk.db import get_session_factory
from tierline_desk.models import Certificate, Order, Refund, Reship, Return
from tierline_desk.services import orders as order_svc
from tierline_desk.services import returns as return_svc
from tierline_desk.store import CancelOrder, get_store
from tierline_desk.store.medusa import keys as k
from tierline_desk.store.medusa.adapter import certificate_campaign

pytestmark = [
    pytest.mark.services,
    pytest.mark.timeout(MEDUSA_TIMEOUT),
    pytest.mark.parametrize("store_name", ["medusa"], indirect=True),
]

DELIVERED = "113-5550192-7781234"  # Maya's, SKU-RS-3310 89.95 + SKU-RJ-4420
PROCESSING = "114-2093847-1122334"  # Maya's, 77.99
NEW_ADDRESS = {
    "name": "Maya Chen",
    "line1": "500 Howard St",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
}


def medusa_order(orders: MedusaOrders, number: str, fields: str = k.ORDER_FIELDS) -> Any:
    order_id = orders.medusa_id(number)
    return orders.client.get(f"/admin/orders/{order_id}", {"fields": fields})["order"]


def refunds_of(order: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for pc in order.get("payment_collections") or []
        for p in pc.get("payments") or []
        for r in p.get("refunds") or []
    ]


def changes_of(orders: MedusaOrders, number: str, change_type: str) -> list[dict[str, Any]]:
    order_id = orders.medusa_id(number)
    changes = orders.client.get(f"/admin/orders/{order_id}/changes")["order_changes"]
    return [c for c in changes if c["change_type"] == change_type and c["status"] == "confirmed"]


def index_row(number: str) -> Order:
    with get_session_factory()() as s:
        order = s.get(Order, number)
        assert order is not None
        s.expunge(order)
        return order


# ------------------------------------------------------------------ a shopper's changes
def test_a_cancel_is_medusas_cancel_and_its_refund(
    client: TestClient, session: Session, new_order: Any, medusa_orders: MedusaOrders
) -> None:
    number = new_order(like=PROCESSING)
    resp = order_action(client, number, "cancel", {**MAYA, "reason": "changed my mind"})
    assert resp.status_code == 200, resp.text
    order = medusa_order(medusa_orders, number)
    assert order["status"] == "canceled"
    assert order["metadata"][k.CANCEL]["reason"] == "changed my mind"
    (medusa_refund,) = refunds_of(order)  # Medusa refunded the captured payment itself
    assert Decimal(str(medusa_refund["amount"])) == Decimal("77.99")
    (refund,) = session.scalars(select(Refund).where(Refund.order_number == number))
    assert refund.store_ref == medusa_refund["id"] and refund.status == "pending"

    # The same cancel again reaching the store (the desk's commit had failed): nothing more.
    row = get_store().order(session, number, for_update=True, fresh=True)
    assert row is not None
    again = get_store().cancel_order(
        session, CancelOrder(order=row, reason=None, idempotency_key=f"cancel:{number}")
    )
    session.rollback()
    assert again == medusa_refund["id"]
    assert [r["id"] for r in refunds_of(medusa_order(medusa_orders, number))] == [again]


def test_a_return_is_requested_in_medusa_with_the_rma_and_a_retry_finds_it(
    client: TestClient, new_order: Any, medusa_orders: MedusaOrders
) -> None:
    number = new_order(like=DELIVERED)
    # Medusa opens the return, then the desk's commit fails: the desk has no return.
    with get_session_factory()() as s:
        order = order_svc.get_owned_order(s, number, _proof(MAYA), for_update=True)
        lost, created = return_svc.request_return(s, order, "SKU-RS-3310", "Too small", "bot")
        assert created
        lost_rma = lost.rma_number
        s.rollback()
    # The shopper asks again: the desk finds Medusa's return, and says its RMA.
    resp = ask_return(client, number, "SKU-RS-3310", **MAYA)
    assert resp.status_code in (200, 201), resp.text
    assert resp.json()["rma_number"] == lost_rma
    order_id = medusa_orders.medusa_id(number)
    (ret,) = medusa_orders.client.list_all(
        "/admin/returns", "returns", {"order_id": order_id, "fields": "*items"}
    )
    assert ret["status"] == "requested"
    assert ret["metadata"][k.RMA_NUMBER] == lost_rma
    assert ret["metadata"][k.IDEMPOTENCY_KEY] == f"return:{number}:SKU-RS-3310"
    assert [(i["quantity"]) for i in ret["items"]] == [1]
    with get_session_factory()() as s:
        (row,) = s.scalars(select(Return).where(Return.order_number == number))
        assert (row.rma_number, row.store_ref) == (lost_rma, ret["id"])


def test_address_and_quantity_changes_are_medusas_and_a_retry_changes_nothing_more(
    client: TestClient, new_order: Any, medusa_orders: MedusaOrders
) -> None:
    number = new_order(like=PROCESSING)
    address = AddressIn.model_validate(NEW_ADDRESS)
    with get_session_factory()() as s:  # done in Medusa, the desk's commit fails
        order = order_svc.get_owned_order(s, number, _proof(MAYA), for_update=True)
        order_svc.change_address(s, order, address, "bot")
        order_svc.change_quantity(s, order, "SKU-CF-5200", 3, "bot")
        s.rollback()
    resp = order_action(client, number, "shipping-address", {**MAYA, "address": NEW_ADDRESS})
    assert resp.status_code == 200, resp.text
    resp = order_action(client, number, "items/SKU-CF-5200/quantity", {**MAYA, "quantity": 3})
    assert resp.status_code == 200, resp.text
    order = medusa_order(medusa_orders, number)
    shipping = order["shipping_address"]
    assert (shipping["address_1"], shipping["postal_code"], shipping["address_2"]) == (
        "500 Howard St",
        "94105",
        "",
    )
    quantities = {i["variant_sku"]: i["quantity"] for i in order["items"]}
    assert quantities == {"SKU-CG-5100": 1, "SKU-CF-5200": 3}
    assert len(changes_of(medusa_orders, number, "update_order")) == 1
    assert len(changes_of(medusa_orders, number, "edit")) == 1
    # 3 -> 0 removes the line in Medusa (an order edit), and from the index.
    resp = order_action(client, number, "items/SKU-CF-5200/quantity", {**MAYA, "quantity": 0})
    assert resp.status_code == 200, resp.text
    order = medusa_order(medusa_orders, number)
    assert [i["variant_sku"] for i in order["items"]] == ["SKU-CG-5100"]
    assert [i["sku"] for i in lookup(client, number, **MAYA).json()["items"]] == ["SKU-CG-5100"]


def _proof(who: dict[str, str]) -> Any:
    from tierline_desk.api.schemas import Proof

    return Proof.model_validate(who)


# ------------------------------------------------------------------ an agent's actions
def test_an_agent_refund_is_a_refund_on_the_payment_once(
    client: TestClient, retried_action: RetryFn, medusa_orders: MedusaOrders, session: Session
) -> None:
    body = {"amount": "49.99", "reason": "Arrived scratched"}
    done = retried_action(BIG_ORDER, "refund", body, "refund-1")
    (medusa_refund,) = refunds_of(medusa_order(medusa_orders, done.number))
    assert Decimal(str(medusa_refund["amount"])) == Decimal("49.99")
    assert f"[agent:{done.agent_id}:refund-1]" in medusa_refund["note"]
    assert done.ticket.ticket_number in medusa_refund["note"]
    refund = session.get(Refund, done.resp.json()["refund_id"])
    assert refund is not None and refund.store_ref == medusa_refund["id"]
    refunds = lookup(client, done.number, **PRIYA).json()["refunds"]
    assert [(r["refund_id"], r["amount"]) for r in refunds] == [(refund.refund_id, "49.99")]


def test_a_retried_full_refund_is_the_same_refund_not_one_above_the_total(
    retried_action: RetryFn, medusa_orders: MedusaOrders, session: Session
) -> None:
    body = {"amount": "77.99", "reason": "Never arrived"}
    done = retried_action(PROCESSING, "refund", body, "refund-all")  # 77.99, all of it refunded
    (medusa_refund,) = refunds_of(medusa_order(medusa_orders, done.number))
    assert Decimal(str(medusa_refund["amount"])) == Decimal("77.99")
    session.expire_all()
    rows = session.scalars(select(Refund).where(Refund.order_number == done.number)).all()
    assert [(r.refund_id, r.store_ref) for r in rows] == [
        (done.resp.json()["refund_id"], medusa_refund["id"])
    ]
    # Another refund (another key) finds nothing left.
    more = {**body, "amount": "1.00"}
    again = done.alex.post(ticket_url(done.ticket, "refund"), more, key="refund-2")
    assert again.status_code == 409 and code_of(again) == "exceeds_refundable", again.text


def test_an_agent_certificate_is_a_single_use_promotion_for_the_customer(
    retried_action: RetryFn, medusa_orders: MedusaOrders, session: Session
) -> None:
    body = {"amount": "20.00", "reason": "Sorry for the wait"}
    done = retried_action(BIG_ORDER, "certificate", body, "cert-1")
    code = done.resp.json()["code"]
    assert code != done.lost.code  # each attempt draws a code; the one the shopper is told counts
    (campaign,) = medusa_orders.client.get(
        "/admin/campaigns",
        {
            "campaign_identifier": certificate_campaign(f"agent:{done.agent_id}:cert-1"),
            "fields": "id,*promotions",
        },
    )["campaigns"]
    (promotion_ref,) = campaign["promotions"]
    (promotion,) = medusa_orders.client.get(
        "/admin/promotions", {"code": code, "fields": k.PROMOTION_FIELDS + ",limit,used"}
    )["promotions"]
    assert promotion["id"] == promotion_ref["id"]
    assert medusa_orders.client.get("/admin/promotions", {"code": done.lost.code})["count"] == 0
    method = promotion["application_method"]
    assert (method["type"], method["target_type"], Decimal(str(method["value"]))) == (
        "fixed",
        "order",
        Decimal("20.00"),
    )
    assert promotion["status"] == "active" and promotion["limit"] == 1
    rules = {r["attribute"]: [v["value"] for v in r["values"]] for r in promotion["rules"]}
    customer_id = medusa_order(medusa_orders, done.number, "id,customer_id")["customer_id"]
    assert rules["customer_id"] == [customer_id]
    assert promotion["metadata"][k.ORDER_NUMBER] == done.number
    cert = session.get(Certificate, code)
    assert cert is not None and cert.store_ref == promotion["id"]


def test_an_agent_reship_is_a_replace_claim_once(
    client: TestClient, retried_action: RetryFn, medusa_orders: MedusaOrders, session: Session
) -> None:
    body = {"items": [{"sku": "SKU-LS-9110", "quantity": 1}], "reason": "Lost in the post"}
    done = retried_action(BIG_ORDER, "reship", body, "reship-1")
    order_id = medusa_orders.medusa_id(done.number)
    (claim,) = medusa_orders.client.list_all(
        "/admin/claims", "claims", {"order_id": order_id, "fields": k.CLAIM_FIELDS}
    )
    assert claim["type"] == "replace" and not claim["canceled_at"]
    assert claim["metadata"][k.IDEMPOTENCY_KEY] == f"agent:{done.agent_id}:reship-1"
    (extra,) = claim["additional_items"]
    order = medusa_order(medusa_orders, done.number)
    replacement = next(i for i in order["items"] if i["id"] == extra["item_id"])
    assert (replacement["variant_sku"], extra["quantity"]) == ("SKU-LS-9110", 1)
    assert len(changes_of(medusa_orders, done.number, "claim")) == 1
    reship = session.get(Reship, done.resp.json()["reship_id"])
    assert reship is not None and reship.store_ref == claim["id"]
    # The replacement is not a line the shopper bought: the order's lines and total stay.
    looked_up = lookup(client, done.number, **PRIYA).json()
    assert [i["sku"] for i in looked_up["items"]] == ["SKU-LT-9100", "SKU-LS-9110"]
    assert looked_up["total"] == "1928.99"
