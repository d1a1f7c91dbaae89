"""Two agents claim the same ticket at the same moment: exactly one wins (a real database: SQLite
file or PostgreSQL, see tests/utils/databases.py)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import TicketFn
from tests.utils.desk import audit_rows
from tests.utils.threads import run_together
from tierline_desk.db import get_session_factory
from tierline_desk.errors import ApiError
from tierline_desk.models import Agent, HandoffTicket
from tierline_desk.services import agent_actions


def _race(ticket_number: str, usernames: list[str]) -> dict[str, str]:
    """Each thread: own session, load the ticket (waiting), wait for all, then claim."""
    barrier = threading.Barrier(len(usernames))
    results: dict[str, str] = {}

    def worker(username: str) -> None:
        with get_session_factory()() as s:
            agent = s.scalars(select(Agent).where(Agent.username == username)).one()
            ticket = agent_actions.get_ticket(s, agent, ticket_number)
            assert ticket.status == "waiting"
            barrier.wait(timeout=10)
            try:
                agent_actions.claim(s, agent, ticket)
                s.commit()
                results[username] = "won"
            except ApiError as exc:
                results[username] = exc.code

    run_together(worker, [(u,) for u in usernames])
    return results


@pytest.mark.parametrize("round_", range(5))
def test_exactly_one_of_two_concurrent_claims_wins(
    make_ticket: TicketFn, session: Session, round_: int
) -> None:
    ticket = make_ticket(tier=1)
    results = _race(ticket.ticket_number, ["alex", "sam.lead"])
    assert sorted(results.values()) == ["already_claimed", "won"], results
    winner = next(u for u, r in results.items() if r == "won")
    session.expire_all()
    stored = session.get(HandoffTicket, ticket.id)
    assert stored is not None and stored.status == "claimed"
    assert stored.claimer is not None and stored.claimer.username == winner
    assert [r.actor for r in audit_rows(session, "ticket.claim")] == [winner]
