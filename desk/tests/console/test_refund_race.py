"""Two refunds of one order at the same moment, with different idempotency keys: never more
than the order's total goes back (a real database, SQLite file or PostgreSQL: see
tests/utils/databases.py; one session per thread)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import BIG_ORDER, TicketFn
from tests.utils.threads import run_together
from tierline_desk.console.schemas import MoneyActionIn
from tierline_desk.db import get_session_factory
from tierline_desk.errors import ApiError
from tierline_desk.models import Agent, Certificate, Order, Refund
from tierline_desk.services import agent_actions


def _claimed_by_sam(make_ticket: TicketFn, session: Session, username: str = "sam.lead") -> str:
    ticket = make_ticket(tier=1)
    sam = session.scalars(select(Agent).where(Agent.username == username)).one()
    agent_actions.claim(session, sam, ticket)
    session.commit()
    return ticket.ticket_number


def _race(
    ticket_number: str,
    amounts: list[str],
    username: str = "sam.lead",
    actions: list[str] | None = None,
) -> list[str]:
    barrier = threading.Barrier(len(amounts))
    results: list[str] = []

    def worker(amount: str, action: str) -> None:
        with get_session_factory()() as s:
            sam = s.scalars(select(Agent).where(Agent.username == username)).one()
            ticket = agent_actions.get_ticket(s, sam, ticket_number)
            order = s.get(Order, BIG_ORDER)
            assert order is not None and order.refunds == []  # both saw nothing refunded yet
            barrier.wait(timeout=10)
            try:
                body = MoneyActionIn(amount=Decimal(amount), reason="race")
                if action == "refund":
                    agent_actions.refund(s, sam, ticket, body)
                else:
                    agent_actions.certificate(s, sam, ticket, body)
                s.commit()
                results.append("refunded")
            except ApiError as exc:
                s.rollback()
                results.append(exc.code)

    run_together(worker, zip(amounts, actions or ["refund"] * len(amounts), strict=True))
    return results


def _refunded(session: Session) -> Decimal:
    """What the order has been refunded in all, as the database holds it now."""
    session.expire_all()
    order = session.get(Order, BIG_ORDER)
    assert order is not None
    return sum((r.amount for r in order.refunds), Decimal(0))


@pytest.mark.parametrize("round_", range(3))
@pytest.mark.parametrize(
    ("amounts", "refusal"),
    [
        # The order is $1,928.99; together they fit sam's $2,000 budget, not the order.
        pytest.param(["1000.00", "1000.00"], "exceeds_refundable", id="order_total"),
        # Each fits sam's $2,000 budget (and the order) alone; together they exceed the budget.
        pytest.param(["1200.00", "900.00"], "above_authority", id="authority_budget"),
    ],
)
def test_concurrent_refunds_never_exceed_the_limit_they_share(
    make_ticket: TicketFn, session: Session, amounts: list[str], refusal: str, round_: int
) -> None:
    number = _claimed_by_sam(make_ticket, session)
    results = _race(number, amounts)
    assert sorted(results) == [refusal, "refunded"], results
    assert _refunded(session) in {Decimal(amount) for amount in amounts}


def test_concurrent_refunds_that_fit_both_go_through(
    make_ticket: TicketFn, session: Session
) -> None:
    number = _claimed_by_sam(make_ticket, session)
    assert sorted(_race(number, ["900.00", "1000.00"])) == ["refunded", "refunded"]


@pytest.mark.parametrize("round_", range(3))
def test_a_racing_refund_and_certificate_cannot_both_pass_the_associates_budget(
    make_ticket: TicketFn, session: Session, round_: int
) -> None:
    number = _claimed_by_sam(make_ticket, session, "alex")
    # $190 + $25 = $215: each fits alex's $200 budget alone, not together.
    results = _race(number, ["190.00", "25.00"], "alex", ["refund", "certificate"])
    assert sorted(results) == ["above_authority", "refunded"], results
    session.expire_all()
    issued = session.scalars(select(Refund.amount).where(Refund.order_number == BIG_ORDER)).all()
    issued += session.scalars(
        select(Certificate.amount).where(Certificate.order_number == BIG_ORDER)
    ).all()
    assert sum(issued) in (Decimal("190.00"), Decimal("25.00"))


def test_racing_certificates_on_two_orders_cannot_both_pass_the_daily_cap(
    make_ticket: TicketFn,
    session: Session,
    daily_cap_of_30: None,
) -> None:
    alex = session.scalars(select(Agent).where(Agent.username == "alex")).one()
    numbers = []
    for order in (BIG_ORDER, "113-5550192-7781234"):
        ticket = make_ticket(order_number=order)
        agent_actions.claim(session, alex, ticket)
        session.commit()
        numbers.append(ticket.ticket_number)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def worker(number: str) -> None:
        with get_session_factory()() as s:
            me = s.scalars(select(Agent).where(Agent.username == "alex")).one()
            ticket = agent_actions.get_ticket(s, me, number)
            barrier.wait(timeout=10)
            try:
                body = MoneyActionIn(amount=Decimal("20.00"), reason="race")
                agent_actions.certificate(s, me, ticket, body)
                s.commit()
                results.append("issued")
            except ApiError as exc:
                s.rollback()
                results.append(exc.code)

    run_together(worker, [(n,) for n in numbers])
    # Different orders, so different order locks: the agent's row lock serialises them.
    assert sorted(results) == ["above_authority", "issued"], results
