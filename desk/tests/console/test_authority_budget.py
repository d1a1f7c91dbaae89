"""Authority is a budget, not a per-click cap (issue 14, finding 1).

Refunds plus certificates add up, per ticket and per order across tickets, against the role's
``budget``; reships count per order; each agent has a daily cap; a supervisor's approval raises
the budget for one ticket only. See docs/authority.md.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import (
    BIG_ORDER,
    AgentClient,
    AlexTicket,
    LoginFn,
    TicketFn,
    claimed_ticket,
    ticket_url,
)
from tests.utils.desk import audit_rows, code_of
from tierline_desk.models import Certificate, HandoffTicket, Order, Refund, Reship

P = "/console/api"
OTHER_ORDER = "113-5550192-7781234"  # delivered (demo data)


def _money(agent: AgentClient, ticket: HandoffTicket, action: str, amount: str, key: str) -> Any:
    return agent.post(ticket_url(ticket, action), {"amount": amount, "reason": "goodwill"}, key=key)


def _issued(session: Session, order: str = BIG_ORDER) -> Decimal:
    session.expire_all()
    refunds = session.scalars(select(Refund.amount).where(Refund.order_number == order))
    certs = session.scalars(select(Certificate.amount).where(Certificate.order_number == order))
    return sum([*refunds, *certs], Decimal("0.00"))


def _refused(resp: Any, left: str) -> dict[str, Any]:
    assert resp.status_code == 403, resp.text
    detail: dict[str, Any] = resp.json()["detail"]
    assert detail["code"] == "above_authority", detail
    assert detail["left"] == left, detail
    assert f"${left} left" in detail["message"], detail
    assert detail["hint"] == "escalate" and "Escalate" in detail["message"], detail
    return detail


# ---------------------------------------------------------------- the reported attack


def test_nine_200_refunds_on_one_ticket_are_not_nine_times_the_authority(
    alex_ticket: AlexTicket, session: Session
) -> None:
    alex, ticket = alex_ticket
    assert code_of(_money(alex, ticket, "refund", "1800.00", "big")) == "above_authority"
    statuses = [_money(alex, ticket, "refund", "200.00", f"r{i}").status_code for i in range(9)]
    assert statuses == [201] + [403] * 8, statuses
    assert _issued(session) == Decimal("200.00")
    assert len(audit_rows(session, "agent.refund")) == 1


def test_twenty_25_certificates_add_up_to_the_budget_not_500(
    alex_ticket: AlexTicket, session: Session
) -> None:
    alex, ticket = alex_ticket
    statuses = [
        _money(alex, ticket, "certificate", "25.00", f"c{i}").status_code for i in range(20)
    ]
    assert statuses == [201] * 8 + [403] * 12, statuses
    assert _issued(session) == Decimal("200.00")


def test_refunds_and_certificates_share_one_budget_and_the_refusal_says_what_is_left(
    alex_ticket: AlexTicket,
) -> None:
    alex, ticket = alex_ticket
    assert _money(alex, ticket, "refund", "150.00", "a").status_code == 201
    detail = _refused(_money(alex, ticket, "certificate", "25.01", "b"), "25.00")
    assert detail["scope"] == "action"  # the certificate cap binds first
    detail = _refused(_money(alex, ticket, "refund", "50.01", "c"), "50.00")
    assert detail["scope"] == "ticket" and detail["limit"] == "200.00"
    assert _money(alex, ticket, "certificate", "25.00", "d").status_code == 201
    assert _money(alex, ticket, "certificate", "25.00", "e").status_code == 201
    _refused(_money(alex, ticket, "refund", "1.00", "f"), "0.00")
    budget = alex.get(ticket_url(ticket, "budget")).json()
    assert budget["left"] == "0.00" and budget["spent_on_ticket"] == "200.00"


def test_the_order_budget_holds_across_tickets(
    login: LoginFn, make_ticket: TicketFn, session: Session
) -> None:
    alex, first = claimed_ticket(login, make_ticket)
    assert _money(alex, first, "refund", "200.00", "a").status_code == 201
    resolved = alex.post(ticket_url(first, "resolve"), {"outcome": "refunded 200"})
    assert resolved.status_code == 200, resolved.text
    alex2, second = claimed_ticket(login, make_ticket)  # a new ticket about the same order
    detail = _refused(_money(alex2, second, "refund", "10.00", "b"), "0.00")
    assert detail["scope"] == "order"
    assert _issued(session) == Decimal("200.00")


def test_reships_count_per_order(
    alex_ticket: AlexTicket, login: LoginFn, make_ticket: TicketFn, session: Session
) -> None:
    alex, ticket = alex_ticket
    order = session.get(Order, BIG_ORDER)
    assert order is not None
    body = {"items": [{"sku": order.items[1].sku, "quantity": 1}], "reason": "lost"}
    assert alex.post(ticket_url(ticket, "reship"), body, key="s1").status_code == 201
    again = alex.post(ticket_url(ticket, "reship"), body, key="s2")
    assert again.status_code == 403, again.text
    detail = again.json()["detail"]
    assert detail["code"] == "above_authority" and detail["reships_left"] == 0
    assert detail["hint"] == "escalate"
    # A second ticket about the same order does not reset the count; a supervisor may.
    sam, other = claimed_ticket(login, make_ticket, who="sam.lead")
    assert code_of(alex.post(ticket_url(other, "reship"), body, key="s3")) == "not_your_ticket"
    assert sam.post(ticket_url(other, "reship"), body, key="s4").status_code == 201
    session.expire_all()
    assert len(session.scalars(select(Reship)).all()) == 2


def test_an_idempotent_retry_does_not_count_twice(
    alex_ticket: AlexTicket, session: Session
) -> None:
    alex, ticket = alex_ticket
    first = _money(alex, ticket, "refund", "150.00", "same")
    again = _money(alex, ticket, "refund", "150.00", "same")
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert _money(alex, ticket, "certificate", "25.00", "c1").status_code == 201
    assert _money(alex, ticket, "certificate", "25.00", "c1").status_code == 201  # replay
    assert _money(alex, ticket, "certificate", "25.00", "c2").status_code == 201
    _refused(_money(alex, ticket, "refund", "0.01", "over"), "0.00")
    assert _issued(session) == Decimal("200.00")


def test_the_daily_cap_counts_everything_an_agent_issued_today(
    login: LoginFn,
    make_ticket: TicketFn,
    session: Session,
    daily_cap_of_30: None,
) -> None:
    alex, first = claimed_ticket(login, make_ticket)
    assert _money(alex, first, "certificate", "25.00", "a").status_code == 201
    alex, second = claimed_ticket(login, make_ticket, order_number=OTHER_ORDER)
    detail = _refused(_money(alex, second, "certificate", "10.00", "b"), "5.00")
    assert detail["scope"] == "daily" and detail["limit"] == "30.00"
    assert "today" in detail["message"]
    assert _money(alex, second, "certificate", "5.00", "c").status_code == 201
    # Another associate's day is their own.
    sam_ticket = make_ticket(order_number=OTHER_ORDER)
    sam = login("sam.lead")
    assert sam.post(ticket_url(sam_ticket, "claim")).status_code == 200
    assert _money(sam, sam_ticket, "certificate", "25.00", "d").status_code == 201


# ---------------------------------------------------------------- a supervisor's approval


def test_the_worked_example_of_docs_authority(
    login: LoginFn, make_ticket: TicketFn, session: Session
) -> None:
    """docs/authority.md, step by step."""
    alex, ticket = claimed_ticket(login, make_ticket)
    assert _money(alex, ticket, "refund", "150.00", "1").status_code == 201
    detail = _refused(_money(alex, ticket, "certificate", "50.00", "2"), "25.00")
    assert "$25.00 left for one certificate" in detail["message"]
    assert _money(alex, ticket, "certificate", "25.00", "2a").status_code == 201
    assert _money(alex, ticket, "certificate", "25.00", "2b").status_code == 201
    detail = _refused(_money(alex, ticket, "refund", "1.00", "3"), "0.00")
    assert detail["message"].startswith(
        f"1.00 is above your authority: $0.00 left on ticket {ticket.ticket_number} "
        "(the associate budget is 200.00 per ticket and per order). Escalate"
    )

    sam = login("sam.lead")
    body = {"amount": "300.00", "note": "laptop screen cracked twice; customer of 10 years"}
    approval = sam.post(ticket_url(ticket, "approve"), body, key="ok-300")
    assert approval.status_code == 201, approval.text
    assert approval.json()["approved_total"] == "300.00"
    assert approval.json()["approved_by"] == "sam.lead"
    assert sam.post(ticket_url(ticket, "approve"), body, key="ok-300").json() == approval.json()
    (row,) = audit_rows(session, "authority.approve")
    assert row.actor == "sam.lead" and row.order_number == BIG_ORDER
    assert row.details == {
        "ticket_number": ticket.ticket_number,
        "role": "supervisor",
        "amount": "300.00",
        "approved_total": "300.00",
        "note": body["note"],
    }

    budget = alex.get(ticket_url(ticket, "budget")).json()
    assert budget["approved"] == "300.00" and budget["left"] == "300.00"
    assert budget["refund_left"] == "300.00" and budget["certificate_left"] == "25.00"
    assert _money(alex, ticket, "refund", "250.00", "4").status_code == 201
    detail = _refused(_money(alex, ticket, "refund", "60.00", "5"), "50.00")
    assert "(the associate budget here is 500.00, including 300.00 approved)" in detail["message"]
    assert _money(alex, ticket, "refund", "50.00", "6").status_code == 201
    assert _issued(session) == Decimal("500.00")

    # The approval is for that ticket only: a new ticket about the same order has none.
    alex.post(ticket_url(ticket, "resolve"), {"outcome": "refunded"})
    alex2, other = claimed_ticket(login, make_ticket)
    detail = _refused(_money(alex2, other, "certificate", "5.00", "7"), "0.00")
    assert detail["scope"] == "order"
    assert f"$0.00 left on order {BIG_ORDER} across all its tickets" in detail["message"]


def test_only_supervisors_and_specialists_approve_and_within_their_own_budget(
    alex_ticket: AlexTicket, login: LoginFn, session: Session
) -> None:
    alex, ticket = alex_ticket
    body = {"amount": "100.00", "note": "please"}
    resp = alex.post(ticket_url(ticket, "approve"), body, key="self")
    assert resp.status_code == 403 and code_of(resp) == "forbidden_role"
    assert code_of(login("admin").post(ticket_url(ticket, "approve"), body, key="adm")) in (
        "forbidden_role",
    )
    sam = login("sam.lead")
    assert (
        sam.post(ticket_url(ticket, "approve"), {**body, "amount": "1500"}, key="a").status_code
        == 201
    )
    over = sam.post(ticket_url(ticket, "approve"), {**body, "amount": "500.01"}, key="b")
    assert over.status_code == 403, over.text
    assert over.json()["detail"]["code"] == "above_authority"
    assert over.json()["detail"]["left"] == "500.00"
    jordan = login("jordan.ecr")
    assert (
        jordan.post(ticket_url(ticket, "approve"), {**body, "amount": "5000"}, key="j").status_code
        == 201
    )
    assert alex.get(ticket_url(ticket, "budget")).json()["approved"] == "6500.00"
    assert len(audit_rows(session, "authority.approve")) == 2
    # The money needs a note and an Idempotency-Key, like every money action.
    assert sam.post(ticket_url(ticket, "approve"), {"amount": "1"}, key="n").status_code == 422
    assert code_of(sam.post(ticket_url(ticket, "approve"), body)) == "idempotency_key_required"


def test_approvals_are_for_open_tickets(alex_ticket: AlexTicket, login: LoginFn) -> None:
    alex, ticket = alex_ticket
    assert alex.post(ticket_url(ticket, "resolve"), {"outcome": "done"}).status_code == 200
    resp = login("sam.lead").post(
        ticket_url(ticket, "approve"), {"amount": "5", "note": "n"}, key="x"
    )
    assert resp.status_code == 409 and code_of(resp) == "ticket_closed"


def test_the_budget_endpoint_and_the_authority_endpoint(
    alex_ticket: AlexTicket, login: LoginFn
) -> None:
    alex, ticket = alex_ticket
    assert _money(alex, ticket, "certificate", "20.00", "a").status_code == 201
    assert alex.get(ticket_url(ticket, "budget")).json() == {
        "role": "associate",
        "ticket_number": ticket.ticket_number,
        "order_number": BIG_ORDER,
        "budget": "200.00",
        "approved": "0.00",
        "spent_on_ticket": "20.00",
        "spent_on_order": "20.00",
        "daily": "1000.00",
        "spent_today": "20.00",
        "left": "180.00",
        "scope": "ticket",
        "refund_left": "180.00",
        "certificate_left": "25.00",
        "reships_left": 1,
    }
    jordan = login("jordan.ecr").get(ticket_url(ticket, "budget")).json()
    assert jordan["left"] == "unlimited" and jordan["scope"] == "none"
    assert jordan["reships_left"] is None
    authority = alex.get(f"{P}/authority").json()
    assert authority["budget"] == "200.00" and authority["daily"] == "1000.00"
    assert authority["reships_per_order"] == 1
