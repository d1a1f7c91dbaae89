from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import (
    BIG_ORDER,
    DEMO_AGENT,
    SHIPPED_LIMITS,
    AgentClient,
    AlexTicket,
    LoginFn,
    TicketFn,
    claimed_ticket,
    ticket_url,
)
from tests.utils.desk import audit_rows, code_of, fresh_rows
from tierline_desk.models import (
    Case,
    Certificate,
    IdempotencyKey,
    Order,
    Refund,
    Reship,
)
from tierline_desk.services import handoffs


def _refunds(session: Session, order: str = BIG_ORDER) -> list[Refund]:
    return fresh_rows(session, select(Refund).where(Refund.order_number == order))


# ---------------------------------------------------------------- queues and roles


def test_queues_show_waiting_tickets_per_tier_with_wait_and_card(
    login: LoginFn, make_ticket: TicketFn
) -> None:
    t1 = make_ticket(tier=1)
    t2 = make_ticket(tier=2)
    alex = login("alex").get("/console/api/queues").json()
    assert [q["tier"] for q in alex["queues"]] == [1]
    (card,) = alex["queues"][0]["waiting"]
    assert card["ticket_number"] == t1.ticket_number
    assert card["waiting_seconds"] >= 0 and card["queue_position"] == 1
    assert card["reason"] == "Package arrived damaged"
    assert card["recent_messages"] == [{"sender": "user", "text": "It arrived broken"}]
    assert card["order"]["order_number"] == BIG_ORDER and card["order"]["total"] == "1928.99"
    assert card["order"]["refunded"] == "0.00"

    sam = login("sam.lead").get("/console/api/queues").json()
    assert [(q["tier"], q["name"]) for q in sam["queues"]] == [
        (1, "associates"),
        (2, "supervisors"),
    ]
    assert [c["ticket_number"] for c in sam["queues"][1]["waiting"]] == [t2.ticket_number]


def test_queue_rows_carry_the_places_the_shoppers_are_told(
    login: LoginFn, make_ticket: TicketFn, session: Session
) -> None:
    """The console counts places for a whole queue at once; they match what each shopper's
    widget says (handoffs.queue_position), also after the first one is taken."""
    made = [make_ticket(tier=1) for _ in range(3)]
    alex = login("alex")

    def places() -> dict[str, int]:
        rows = alex.get("/console/api/queues").json()["queues"][0]["waiting"]
        return {r["ticket_number"]: r["queue_position"] for r in rows}

    assert places() == {t.ticket_number: i for i, t in enumerate(made, 1)}
    assert alex.post(ticket_url(made[0], "claim")).status_code == 200
    session.expire_all()
    told = {t.ticket_number: handoffs.queue_position(session, t) for t in made[1:]}
    assert places() == told == {made[1].ticket_number: 1, made[2].ticket_number: 2}


def test_associate_cannot_see_or_claim_tier_2(login: LoginFn, make_ticket: TicketFn) -> None:
    alex = login("alex")
    t2 = make_ticket(tier=2)
    assert code_of(alex.get(f"/console/api/tickets/{t2.ticket_number}")) == "forbidden_role"
    resp = alex.post(ticket_url(t2, "claim"))
    assert resp.status_code == 403 and code_of(resp) == "forbidden_role"


def test_admin_works_no_queues_and_cannot_refund(
    login: LoginFn, make_ticket: TicketFn, session: Session
) -> None:
    admin = login("admin")
    assert code_of(admin.get("/console/api/queues")) == "forbidden_role"
    _, ticket = claimed_ticket(login, make_ticket)
    resp = admin.post(ticket_url(ticket, "refund"), {"amount": "1.00", "reason": "x"}, key="k1")
    assert resp.status_code == 403
    assert _refunds(session) == []


def test_specialist_sees_specialist_cases_but_claims_no_tickets(
    login: LoginFn, make_ticket: TicketFn, client: Any
) -> None:
    client.post(
        "/api/v1/cases",
        json={
            "kind": "trade_in_credit",
            "conversation_id": "c-ecr",
            "customer": {"email": "x@example.com"},
            "description": "Trade-in credit missing",
        },
    )
    jordan = login("jordan.ecr")
    body = jordan.get("/console/api/queues").json()
    assert body["queues"] == []
    assert [c["kind"] for c in body["specialist_cases"]] == ["trade_in_credit"]
    ticket = make_ticket()
    assert jordan.post(ticket_url(ticket, "claim")).status_code == 403


# ---------------------------------------------------------------- claim


def test_claim_then_second_claim_is_409(
    alex_ticket: AlexTicket, login: LoginFn, session: Session
) -> None:
    alex, ticket = alex_ticket
    session.refresh(ticket)
    assert ticket.status == "claimed" and ticket.claimer is not None
    assert ticket.claimer.username == "alex"
    sam = login("sam.lead")
    resp = sam.post(ticket_url(ticket, "claim"))
    assert resp.status_code == 409 and code_of(resp) == "already_claimed"
    assert resp.json()["detail"]["claimed_by"] == "alex"
    mine = alex.get("/console/api/queues").json()
    assert [c["ticket_number"] for c in mine["my_tickets"]] == [ticket.ticket_number]
    assert mine["queues"][0]["waiting"] == []
    assert [r.actor for r in audit_rows(session, "ticket.claim")] == ["alex"]


def test_bot_gets_the_claimed_ticket_back_instead_of_a_second_one(
    alex_ticket: AlexTicket, client: Any
) -> None:
    ticket = alex_ticket.ticket
    resp = client.post(
        "/api/v1/handoffs",
        json={"conversation_id": ticket.conversation_id, "tier": 1, "reason": "again"},
    )
    assert resp.status_code == 200
    assert resp.json()["ticket_number"] == ticket.ticket_number
    assert resp.json()["status"] == "claimed"


# ---------------------------------------------------------------- money actions


@pytest.mark.parametrize(("role", "action", "limit"), SHIPPED_LIMITS)
def test_authority_limits_at_and_above(
    login: LoginFn,
    make_ticket: TicketFn,
    session: Session,
    role: str,
    action: str,
    limit: str,
) -> None:
    who = DEMO_AGENT[role]
    order = session.get(Order, BIG_ORDER)
    assert order is not None
    order.items[0].unit_price += Decimal("1000.00")  # room for a 2000.00 refund
    session.commit()
    agent, ticket = claimed_ticket(login, make_ticket, who=who)
    above = str(Decimal(limit) + Decimal("0.01"))
    resp = agent.post(ticket_url(ticket, action), {"amount": above, "reason": "r"}, key="above")
    assert resp.status_code == 403, resp.text
    detail = resp.json()["detail"]
    assert detail["code"] == "above_authority" and detail["limit"] == limit
    assert detail["hint"] == "escalate" and "Escalate" in detail["message"]
    assert audit_rows(session, f"agent.{action}") == []

    resp = agent.post(ticket_url(ticket, action), {"amount": limit, "reason": "r"}, key="at")
    assert resp.status_code == 201, resp.text
    assert resp.json()["amount"] == limit and resp.json()["issued_by"] == who


def test_refund_creates_one_refund_and_one_audit_row(
    alex_ticket: AlexTicket, session: Session
) -> None:
    alex, ticket = alex_ticket
    body = {"amount": "49.99", "reason": "damaged on arrival"}
    resp = alex.post(ticket_url(ticket, "refund"), body, key="refund-1")
    assert resp.status_code == 201
    out = resp.json()
    assert out["amount"] == "49.99" and out["status"] == "pending"
    assert out["order_number"] == BIG_ORDER and out["ticket_number"] == ticket.ticket_number
    (refund,) = _refunds(session)
    assert refund.refund_id == out["refund_id"] and refund.amount == Decimal("49.99")
    (row,) = audit_rows(session, "agent.refund")
    assert row.actor == "alex" and row.order_number == BIG_ORDER and row.at is not None
    assert row.details == {
        "ticket_number": ticket.ticket_number,
        "role": "associate",
        "refund_id": refund.refund_id,
        "amount": "49.99",
        "reason": "damaged on arrival",
    }


def test_same_idempotency_key_twice_gives_one_refund_and_one_audit_row(
    alex_ticket: AlexTicket, session: Session
) -> None:
    alex, ticket = alex_ticket
    body = {"amount": "20.00", "reason": "late"}
    first = alex.post(ticket_url(ticket, "refund"), body, key="same-key")
    second = alex.post(ticket_url(ticket, "refund"), body, key="same-key")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert len(_refunds(session)) == 1
    assert len(audit_rows(session, "agent.refund")) == 1
    # The same key for a different request is refused, and changes nothing.
    third = alex.post(
        ticket_url(ticket, "refund"), {"amount": "21.00", "reason": "late"}, key="same-key"
    )
    assert third.status_code == 422 and code_of(third) == "idempotency_key_reused"
    # A new key is a new refund.
    assert alex.post(ticket_url(ticket, "refund"), body, key="other-key").status_code == 201
    assert len(_refunds(session)) == 2
    assert len(audit_rows(session, "agent.refund")) == 2


def test_idempotent_certificate(alex_ticket: AlexTicket, session: Session) -> None:
    alex, ticket = alex_ticket
    body = {"amount": "10", "reason": "sorry for the wait"}
    first = alex.post(ticket_url(ticket, "certificate"), body, key="c1")
    again = alex.post(ticket_url(ticket, "certificate"), body, key="c1")
    assert first.status_code == again.status_code == 201
    assert first.json()["code"] == again.json()["code"]
    assert first.json()["amount"] == "10.00" and first.json()["customer_id"] == "C-1003"
    assert len(session.scalars(select(Certificate)).all()) == 1
    assert len(audit_rows(session, "agent.certificate")) == 1


def test_money_actions_need_an_idempotency_key(alex_ticket: AlexTicket, session: Session) -> None:
    alex, ticket = alex_ticket
    resp = alex.post(ticket_url(ticket, "refund"), {"amount": "5.00", "reason": "r"})
    assert resp.status_code == 400 and code_of(resp) == "idempotency_key_required"
    assert _refunds(session) == []


def test_failed_action_stores_no_key_and_can_be_retried(
    alex_ticket: AlexTicket, session: Session
) -> None:
    alex, ticket = alex_ticket
    resp = alex.post(ticket_url(ticket, "refund"), {"amount": "5000.00", "reason": "r"}, key="k")
    assert resp.status_code == 403
    assert session.scalars(select(IdempotencyKey)).all() == []


def test_refund_cannot_exceed_what_is_left(
    login: LoginFn, make_ticket: TicketFn, session: Session
) -> None:
    sam, ticket = claimed_ticket(login, make_ticket, who="sam.lead")
    assert (
        sam.post(
            ticket_url(ticket, "refund"), {"amount": "1900", "reason": "r"}, key="a"
        ).status_code
        == 201
    )
    resp = sam.post(ticket_url(ticket, "refund"), {"amount": "29.00", "reason": "r"}, key="b")
    assert resp.status_code == 409 and code_of(resp) == "exceeds_refundable"
    assert resp.json()["detail"]["refundable"] == "28.99"


@pytest.mark.parametrize("amount", ["0", "-5", "1.234", "abc"])
def test_amount_validation(alex_ticket: AlexTicket, amount: str) -> None:
    alex, ticket = alex_ticket
    resp = alex.post(ticket_url(ticket, "refund"), {"amount": amount, "reason": "r"}, key="v")
    assert resp.status_code == 422


def test_only_the_claimer_or_a_supervisor_may_act(
    login: LoginFn, make_ticket: TicketFn, session: Session, app: Any
) -> None:
    from tierline_desk.services.agents import create_agent

    create_agent(session, "kim", "kim-password", role="associate")
    session.commit()
    _, ticket = claimed_ticket(login, make_ticket)
    from fastapi.testclient import TestClient

    with TestClient(app) as http:
        csrf = http.post(
            "/console/api/login", json={"username": "kim", "password": "kim-password"}
        ).json()["csrf_token"]
        kim = AgentClient(http, csrf)
        resp = kim.post(ticket_url(ticket, "refund"), {"amount": "5", "reason": "r"}, key="kim")
        assert resp.status_code == 403 and code_of(resp) == "not_your_ticket"
    sam = login("sam.lead")
    resp = sam.post(ticket_url(ticket, "refund"), {"amount": "5", "reason": "r"}, key="sam")
    assert resp.status_code == 201
    assert [r.actor for r in audit_rows(session, "agent.refund")] == ["sam.lead"]


def test_unclaimed_ticket_cannot_be_acted_on(login: LoginFn, make_ticket: TicketFn) -> None:
    alex = login("alex")
    ticket = make_ticket()
    resp = alex.post(ticket_url(ticket, "refund"), {"amount": "5", "reason": "r"}, key="x")
    assert resp.status_code == 409 and code_of(resp) == "not_claimed"


def test_ticket_without_order(login: LoginFn, make_ticket: TicketFn) -> None:
    alex = login("alex")
    ticket = make_ticket(order_number=None)
    assert alex.post(ticket_url(ticket, "claim")).status_code == 200
    resp = alex.post(ticket_url(ticket, "certificate"), {"amount": "5", "reason": "r"}, key="x")
    assert resp.status_code == 409 and code_of(resp) == "no_order"


# ---------------------------------------------------------------- reship


def test_reship_is_checked_idempotent_and_audited(
    alex_ticket: AlexTicket, session: Session
) -> None:
    alex, ticket = alex_ticket
    order = session.get(Order, BIG_ORDER)
    assert order is not None
    sku = order.items[0].sku
    body = {"items": [{"sku": sku, "quantity": 1}], "reason": "arrived broken"}
    first = alex.post(ticket_url(ticket, "reship"), body, key="rs")
    again = alex.post(ticket_url(ticket, "reship"), body, key="rs")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert first.json()["items"] == [{"sku": sku, "name": order.items[0].name, "quantity": 1}]
    assert len(session.scalars(select(Reship)).all()) == 1
    assert len(audit_rows(session, "agent.reship")) == 1
    bad = {"items": [{"sku": "NOPE", "quantity": 1}], "reason": "r"}
    assert code_of(alex.post(ticket_url(ticket, "reship"), bad, key="rs2")) == "item_not_found"
    too_many = {"items": [{"sku": sku, "quantity": 99}], "reason": "r"}
    assert (
        code_of(alex.post(ticket_url(ticket, "reship"), too_many, key="rs3"))
        == "quantity_too_large"
    )


# ---------------------------------------------------------------- escalate, refer, resolve


def test_escalation_moves_the_ticket_to_tier_2_with_the_note(
    alex_ticket: AlexTicket, login: LoginFn, session: Session
) -> None:
    alex, ticket = alex_ticket
    resp = alex.post(ticket_url(ticket, "escalate"), {"note": "Wants 350 back; above my limit"})
    assert resp.status_code == 200
    card = resp.json()
    assert card["tier"] == 2 and card["status"] == "waiting" and card["claimed_by"] is None
    assert card["escalated_by"] == "alex"
    assert card["escalation_note"] == "Wants 350 back; above my limit"
    session.refresh(ticket)
    assert ticket.tier == 2 and ticket.escalation_note == "Wants 350 back; above my limit"
    (row,) = audit_rows(session, "ticket.escalate")
    assert row.actor == "alex" and row.details["note"] == "Wants 350 back; above my limit"
    # Gone from alex's view, in the supervisors' queue.
    assert alex.get("/console/api/queues").json()["my_tickets"] == []
    assert code_of(
        alex.post(ticket_url(ticket, "refund"), {"amount": "1", "reason": "r"}, key="z")
    ) in (
        "forbidden_role",
        "not_claimed",
    )
    sam = login("sam.lead")
    tier2 = sam.get("/console/api/queues").json()["queues"][1]["waiting"]
    assert [c["ticket_number"] for c in tier2] == [ticket.ticket_number]
    assert sam.post(ticket_url(ticket, "claim")).status_code == 200
    resp = sam.post(ticket_url(ticket, "refund"), {"amount": "350.00", "reason": "r"}, key="s")
    assert resp.status_code == 201
    # Tier 2 cannot be escalated again.
    assert code_of(sam.post(ticket_url(ticket, "escalate"), {"note": "n"})) == "already_tier_2"


def test_referral_creates_a_specialist_case(
    alex_ticket: AlexTicket, login: LoginFn, session: Session
) -> None:
    alex, ticket = alex_ticket
    resp = alex.post(
        ticket_url(ticket, "refer"), {"note": "Third lost parcel", "kind": "complaint"}
    )
    assert resp.status_code == 201, resp.text
    out = resp.json()
    case = session.scalar(select(Case).where(Case.case_number == out["case"]["case_number"]))
    assert case is not None
    assert case.team == "executive_customer_relations" and case.response_channel == "email"
    assert case.order_number == BIG_ORDER and "Third lost parcel" in case.description
    assert out["ticket"]["status"] == "referred"
    assert out["ticket"]["referred_case_number"] == case.case_number
    assert [r.details["case_number"] for r in audit_rows(session, "ticket.refer")] == [
        case.case_number
    ]
    jordan = login("jordan.ecr")
    cases = jordan.get("/console/api/queues").json()["specialist_cases"]
    assert case.case_number in [c["case_number"] for c in cases]


def test_resolve(alex_ticket: AlexTicket, session: Session) -> None:
    alex, ticket = alex_ticket
    resp = alex.post(ticket_url(ticket, "resolve"), {"outcome": "Refunded 20, customer happy"})
    assert resp.status_code == 200 and resp.json()["status"] == "resolved"
    assert resp.json()["outcome"] == "Refunded 20, customer happy"
    assert len(audit_rows(session, "ticket.resolve")) == 1
    assert code_of(alex.post(ticket_url(ticket, "resolve"), {"outcome": "again"})) == "not_claimed"
