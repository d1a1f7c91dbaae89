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


def _claimed(
    make_ticket: TicketFn, session: Session, username: str, order_number: str = BIG_ORDER
) -> str:
    """A ticket on ``order_number`` claimed by ``username``; its number."""
    ticket = make_ticket(order_number=order_number)
    agent = session.scalars(select(Agent).where(Agent.username == username)).one()
    agent_actions.claim(session, agent, ticket)
    session.commit()
    return ticket.ticket_number


def _race(username: str, attempts: list[tuple[str, str, str]]) -> list[str]:
    """Each (ticket number, action, amount) by ``username`` in a thread and a session of its own,
    all let go at once: "issued" or the refusal's code, one per attempt."""
    barrier = threading.Barrier(len(attempts))
    results: list[str] = []

    def worker(ticket_number: str, action: str, amount: str) -> None:
        with get_session_factory()() as s:
            agent = s.scalars(select(Agent).where(Agent.username == username)).one()
            ticket = agent_actions.get_ticket(s, agent, ticket_number)
            order = s.get(Order, BIG_ORDER)
            assert order is not None and order.refunds == []  # none saw anything refunded yet
            barrier.wait(timeout=10)
            try:
                body = MoneyActionIn(amount=Decimal(amount), reason="race")
                issue = agent_actions.refund if action == "refund" else agent_actions.certificate
                issue(s, agent, ticket, body)
                s.commit()
                results.append("issued")
            except ApiError as exc:
                s.rollback()
                results.append(exc.code)

    run_together(worker, attempts)
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
    number = _claimed(make_ticket, session, "sam.lead")
    results = _race("sam.lead", [(number, "refund", amount) for amount in amounts])
    assert sorted(results) == [refusal, "issued"], results
    assert _refunded(session) in {Decimal(amount) for amount in amounts}


def test_concurrent_refunds_that_fit_both_go_through(
    make_ticket: TicketFn, session: Session
) -> None:
    number = _claimed(make_ticket, session, "sam.lead")
    attempts = [(number, "refund", "900.00"), (number, "refund", "1000.00")]
    assert _race("sam.lead", attempts) == ["issued", "issued"]


@pytest.mark.parametrize("round_", range(3))
def test_a_racing_refund_and_certificate_cannot_both_pass_the_associates_budget(
    make_ticket: TicketFn, session: Session, round_: int
) -> None:
    number = _claimed(make_ticket, session, "alex")
    # $190 + $25 = $215: each fits alex's $200 budget alone, not together.
    results = _race("alex", [(number, "refund", "190.00"), (number, "certificate", "25.00")])
    assert sorted(results) == ["above_authority", "issued"], results
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
    numbers = [
        _claimed(make_ticket, session, "alex", order)
        for order in (BIG_ORDER, "113-5550192-7781234")
    ]
    results = _race("alex", [(number, "certificate", "20.00") for number in numbers])
    # Different orders, so different order locks: the agent's row lock serialises them.
    assert sorted(results) == ["above_authority", "issued"], results
