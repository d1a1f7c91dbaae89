"""Shoppers and an associate on a real Medusa store: each effect is checked in Medusa itself.

The same conversations as on the builtin store (tests/e2e/test_rest_channel.py), with the
desk on ``STORE=medusa``: Rasa → actions → desk → the store port's Medusa adapter → Medusa.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.utils.console import console_login
from tests.utils.medusa_stack import MedusaStack
from tests.utils.rest_chat import MAYA, joined, return_the_running_shoes, say

pytestmark = pytest.mark.e2e_medusa

LEE = "lee.wong@example.com"
PAYMENTS = ",".join(
    [
        "id",
        "metadata",
        "*payment_collections",
        "*payment_collections.payments",
        "*payment_collections.payments.refunds",
    ]
)


def refunded_in_medusa(stack: MedusaStack, number: str) -> list[Decimal]:
    order = stack.store.order(number, fields=PAYMENTS)
    return [
        Decimal(str(refund["amount"]))
        for collection in order.get("payment_collections") or []
        for payment in collection.get("payments") or []
        for refund in payment.get("refunds") or []
    ]


def test_tracking_reads_medusa_fulfilment_and_label(medusa_stack: MedusaStack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    assert "order number" in joined(say(sender, "where is my package?"))
    assert "email address" in joined(say(sender, "112-4839201-5573910"))
    answer = joined(say(sender, MAYA))
    assert "112-4839201-5573910 is on its way with UPS" in answer
    assert "Louisville" in answer


def test_cancelling_cancels_the_order_in_medusa(medusa_stack: MedusaStack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    say(sender, "I want to cancel my order 114-2093847-1122334")
    assert "Just to confirm" in joined(say(sender, MAYA))
    assert "is cancelled" in joined(say(sender, "yes"))
    assert medusa_stack.store.order("114-2093847-1122334")["status"] == "canceled"


def test_cancelling_a_shipped_order_changes_nothing_in_medusa(medusa_stack: MedusaStack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    say(sender, "cancel order 112-4839201-5573910 please")
    assert "can't cancel it anymore" in joined(say(sender, MAYA))
    assert medusa_stack.store.order("112-4839201-5573910")["status"] != "canceled"


def test_a_return_is_requested_in_medusa_with_tierlines_rma(medusa_stack: MedusaStack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    answer = return_the_running_shoes(sender)
    rma = answer.split("return authorization is ", 1)[1].split()[0].rstrip(".,")
    order = medusa_stack.store.order("113-5550192-7781234")
    returns = medusa_stack.store.admin(
        "GET", "/admin/returns", params={"order_id": order["id"], "fields": "id,status,metadata"}
    ).json()["returns"]
    assert any((r.get("metadata") or {}).get("tierline_rma_number") == rma for r in returns), (
        returns
    )


def test_refund_status_comes_from_the_store(medusa_stack: MedusaStack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    say(sender, "where is my refund for order 120-4444444-5555555?")
    answer = joined(say(sender, LEE))
    assert "A refund of $249.00" in answer
    assert "is being processed" in answer


def _ticket_for(stack: MedusaStack, sender: str) -> dict[str, Any]:
    tickets = stack.desk("GET", "/api/v1/handoffs", params={"status": "waiting"}).json()
    return next(t for t in tickets if t["conversation_id"] == sender)


def test_an_associate_refunds_in_medusa_within_authority_only(medusa_stack: MedusaStack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    number = "113-5550192-7781234"
    say(sender, f"where is my order {number}?")
    assert "delivered" in joined(say(sender, MAYA)).lower()
    agent = console_login("alex")
    try:
        agent.heartbeat()
        assert "ticket T-" in joined(say(sender, "I want to talk to a representative"))
        ticket = _ticket_for(medusa_stack, sender)
        assert ticket["order_number"] == number
        claimed = agent.post(f"/console/api/tickets/{ticket['ticket_number']}/claim")
        assert claimed.status_code == 200, claimed.text
        before = refunded_in_medusa(medusa_stack, number)

        within = agent.client.post(
            f"http://127.0.0.1:8000/console/api/tickets/{ticket['ticket_number']}/refund",
            json={"amount": "20.00", "reason": "Shoes arrived scuffed"},
            headers={"X-CSRF-Token": agent.csrf_token, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert within.status_code == 201, within.text
        after = refunded_in_medusa(medusa_stack, number)
        assert sorted(after) == sorted([*before, Decimal("20")])

        above = agent.client.post(
            f"http://127.0.0.1:8000/console/api/tickets/{ticket['ticket_number']}/refund",
            json={"amount": "190.00", "reason": "Goodwill"},
            headers={"X-CSRF-Token": agent.csrf_token, "Idempotency-Key": uuid.uuid4().hex},
        )
        assert above.status_code == 403, above.text
        assert above.json()["detail"]["code"] == "above_authority"
        assert sorted(refunded_in_medusa(medusa_stack, number)) == sorted(after)
    finally:
        agent.logout()


def test_medusa_down_mid_conversation_then_back(medusa_stack: MedusaStack) -> None:
    sender = f"e2e-{uuid.uuid4().hex[:12]}"
    number = "123-1212121-3434343"
    say(sender, f"I want to cancel my order {number}")
    assert "Just to confirm" in joined(say(sender, MAYA))
    medusa_stack.store.stop()
    try:
        answer = joined(say(sender, "yes"))
        assert "can't reach our order system" in answer
        assert "a person" in answer
    finally:
        medusa_stack.store.start()
    assert medusa_stack.store.order(number)["status"] != "canceled"  # nothing half-done
    again = f"e2e-{uuid.uuid4().hex[:12]}"
    say(again, f"I want to cancel my order {number}")
    assert "Just to confirm" in joined(say(again, MAYA))
    assert "is cancelled" in joined(say(again, "yes"))
    assert medusa_stack.store.order(number)["status"] == "canceled"
