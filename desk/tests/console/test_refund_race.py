"""Two refunds of one order at the same moment, with different idempotency keys: never more
than the order's total goes back (a real database, SQLite file or PostgreSQL: see
tests/databases.py; one session per thread)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tierline_desk.console_schemas import MoneyActionIn
from tierline_desk.db import get_session_factory
from tierline_desk.errors import ApiError
from tierline_desk.models import Agent, Order
from tierline_desk.services import agent_actions

from .conftest import BIG_ORDER, TicketFn


def _claimed_by_sam(make_ticket: TicketFn, session: Session) -> str:
    ticket = make_ticket(tier=1)
    sam = session.scalars(select(Agent).where(Agent.username == "sam.lead")).one()
    agent_actions.claim(session, sam, ticket)
    session.commit()
    return ticket.ticket_number


def _race(ticket_number: str, amounts: list[str]) -> list[str]:
    barrier = threading.Barrier(len(amounts))
    results: list[str] = []

    def worker(amount: str) -> None:
        with get_session_factory()() as s:
            sam = s.scalars(select(Agent).where(Agent.username == "sam.lead")).one()
            ticket = agent_actions.get_ticket(s, sam, ticket_number)
            order = s.get(Order, BIG_ORDER)
            assert order is not None and order.refunds == []  # both saw nothing refunded yet
            barrier.wait(timeout=10)
            try:
                body = MoneyActionIn(amount=Decimal(amount), reason="race")
                agent_actions.refund(s, sam, ticket, body)
                s.commit()
                results.append("refunded")
            except ApiError as exc:
                s.rollback()
                results.append(exc.code)

    threads = [threading.Thread(target=worker, args=(a,)) for a in amounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_refunds_never_exceed_the_order_total(
    make_ticket: TicketFn, session: Session, round_: int
) -> None:
    number = _claimed_by_sam(make_ticket, session)
    results = _race(number, ["1500.00", "1500.00"])  # the order is $1,928.99
    assert sorted(results) == ["exceeds_refundable", "refunded"], results
    session.expire_all()
    order = session.get(Order, BIG_ORDER)
    assert order is not None
    assert sum(r.amount for r in order.refunds) == Decimal("1500.00")


def test_concurrent_refunds_that_fit_both_go_through(
    make_ticket: TicketFn, session: Session
) -> None:
    number = _claimed_by_sam(make_ticket, session)
    assert sorted(_race(number, ["900.00", "1000.00"])) == ["refunded", "refunded"]
