"""Automatic assignment: round robin among agents online with room, per-tier switch, reassignment
of offline and silent agents (the shopper is told), all on a real database (SQLite file or
PostgreSQL, tests/utils/databases.py), races included."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy.orm import Session

from tests.utils.assignment import (
    add_associates,
    agent,
    backdate_claim,
    chat_lines,
    holder,
    online,
    web_ticket,
    write,
)
from tests.utils.desk import audit_rows
from tests.utils.threads import run_together
from tierline_desk.db import get_session_factory
from tierline_desk.errors import ApiError
from tierline_desk.models import HandoffTicket, utcnow
from tierline_desk.services import agent_actions, assignment
from tierline_desk.services.sweeps import sweep_once
from tierline_desk.settings import get_settings


def test_round_robin_fills_agents_online_up_to_their_capacity(session: Session) -> None:
    add_associates(session, "ana", "ben", "cat")
    agent(session, "ana").capacity = 1
    session.commit()
    online(session, "ana", "ben")  # cat is offline: never assigned
    tickets = [web_ticket(session) for _ in range(6)]

    changes = assignment.assign_waiting(session, utcnow())

    got = Counter(holder(session, t) for t in tickets)
    assert got == {"ana": 1, "ben": 3, None: 2}  # ana's capacity 1, ben's AGENT_CAPACITY 3
    assert [c.agent.username for c in changes if c.agent][:2] == ["ana", "ben"]  # turn by turn
    rows = audit_rows(session, "ticket.assign")
    assert len(rows) == 4 and all(r.actor == "desk" for r in rows)
    assert {r.details["reason"] for r in rows} == {"auto"}


def test_the_agent_assigned_longest_ago_is_next(session: Session) -> None:
    add_associates(session, "ana", "ben")
    online(session, "ana", "ben")
    first, second, third = (web_ticket(session) for _ in range(3))
    assignment.assign_waiting(session, utcnow())
    assert holder(session, first) != holder(session, second)
    assert holder(session, third) == holder(session, first)


def test_a_tier_switched_off_is_left_to_claiming(session: Session) -> None:
    add_associates(session, "ana")
    online(session, "ana", "sam.lead")
    assignment.set_auto_assign(session, 1, False, "sam.lead", utcnow())
    session.commit()
    tier1, tier2 = web_ticket(session, tier=1), web_ticket(session, tier=2)

    assignment.assign_waiting(session, utcnow())

    assert holder(session, tier1) is None
    assert holder(session, tier2) == "sam.lead"  # tier 2 still on (AUTO_ASSIGN_TIERS)
    assert [r.details for r in audit_rows(session, "tier.auto_assign")] == [
        {"tier": 1, "from": True, "to": False}
    ]


def test_auto_assign_tiers_is_the_default_per_tier(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AUTO_ASSIGN_TIERS", "2")
    get_settings.cache_clear()
    assert not assignment.auto_assign(session, 1)
    assert assignment.auto_assign(session, 2)


def test_an_offline_agents_ticket_goes_to_the_next_and_the_shopper_is_told(
    session: Session,
) -> None:
    add_associates(session, "ana")
    online(session, "alex")
    ticket = web_ticket(session)
    for change in assignment.assign_waiting(session, utcnow()):
        assignment.tell_shopper(session, change)
    assert holder(session, ticket) == "alex"
    write(session, ticket, "agent", "Hi, Alex here")

    online(session, "ana", "sam.lead")  # alex's console went quiet
    agent(session, "sam.lead").capacity = 1
    agent(session, "sam.lead").last_assigned_at = utcnow()  # ana's turn
    session.commit()
    changes = sweep_once(session)

    assert [(c.reason, c.previous and c.previous.username) for c in changes] == [
        ("offline", "alex")
    ]
    assert holder(session, ticket) == "ana"
    assert (
        chat_lines(session, ticket)[-1]
        == "Ana (Customer Service Associate) took over from Alex Rivera."
    )
    [row] = audit_rows(session, "ticket.reassign")
    assert row.details == {
        "ticket_number": ticket.ticket_number,
        "tier": 1,
        "from": "alex",
        "to": "ana",
        "reason": "offline",
    }


def test_with_nobody_free_the_ticket_goes_back_to_its_place_in_the_queue(
    session: Session,
) -> None:
    online(session, "alex")
    earlier = web_ticket(session, created_minutes_ago=2)
    assignment.assign_waiting(session, utcnow())
    assert holder(session, earlier) == "alex"
    later = web_ticket(session)
    online(session)  # everyone offline

    sweep_once(session)

    session.expire_all()
    fresh = session.get(HandoffTicket, earlier.id)
    assert fresh is not None and fresh.status == "waiting" and fresh.claimed_by is None
    assert chat_lines(session, earlier)[-1] == (
        "Alex Rivera is no longer available. You are back in the queue (you are number 1 in "
        "line); the next person free will join you here."
    )
    assert holder(session, later) is None
    [row] = audit_rows(session, "ticket.unassign")
    assert row.details["reason"] == "offline" and row.details["from"] == "alex"


def test_a_silent_agent_loses_the_ticket_after_reassign_silent_minutes(
    session: Session,
) -> None:
    add_associates(session, "ana")
    online(session, "alex")
    greeted, answered, ignored = (web_ticket(session) for _ in range(3))
    assignment.assign_waiting(session, utcnow())
    online(session, "alex", "ana")
    agent(session, "alex").last_assigned_at = utcnow()
    session.commit()

    backdate_claim(session, greeted, minutes=4)  # not greeted yet, within the 5 minutes
    for ticket in (answered, ignored):
        backdate_claim(session, ticket, minutes=10)
        write(session, ticket, "agent", "Hello, Alex here", minutes_ago=8)
    write(session, answered, "shopper", "It arrived broken", minutes_ago=2)
    write(session, ignored, "shopper", "Are you there?", minutes_ago=6)
    write(session, ignored, "shopper", "Hello??", minutes_ago=1)

    changes = assignment.reassign_stale(session, utcnow())

    assert [(c.ticket_number, c.reason, c.agent and c.agent.username) for c in changes] == [
        (ignored.ticket_number, "silent", "ana")
    ]
    assert holder(session, greeted) == holder(session, answered) == "alex"
    backdate_claim(session, greeted, minutes=6)
    assert [c.reason for c in assignment.reassign_stale(session, utcnow())] == ["silent"]


def test_two_desks_sweeping_at_once_assign_each_ticket_once_within_capacity(
    session: Session,
) -> None:
    names = ["ana", "ben", "cat"]
    add_associates(session, *names)
    online(session, *names)
    tickets = [web_ticket(session) for _ in range(12)]  # room for 9 (3 x 3)
    barrier = threading.Barrier(2)
    assigned: list[str] = []

    def desk() -> None:
        with get_session_factory()() as s:
            barrier.wait(timeout=10)
            changes = assignment.assign_waiting(s, utcnow())
            assigned.extend(c.ticket_number for c in changes)

    run_together(desk, [(), ()])

    assert len(assigned) == len(set(assigned)) == 9
    got = Counter(holder(session, t) for t in tickets)
    assert got == {"ana": 3, "ben": 3, "cat": 3, None: 3}
    assert len(audit_rows(session, "ticket.assign")) == 9


@pytest.mark.parametrize("round_", range(3))
def test_a_claim_and_the_sweep_racing_for_one_ticket_give_it_once(
    session: Session, round_: int
) -> None:
    add_associates(session, "ana")
    online(session, "ana", "alex")
    agent(session, "alex").capacity = 1
    agent(session, "alex").last_assigned_at = utcnow()  # the sweep would pick ana
    session.commit()
    ticket = web_ticket(session)
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def claim() -> None:
        with get_session_factory()() as s:
            alex = agent(s, "alex")
            mine = agent_actions.get_ticket(s, alex, ticket.ticket_number)
            barrier.wait(timeout=10)
            try:
                agent_actions.claim(s, alex, mine)
                s.commit()
                outcome["claim"] = "won"
            except ApiError as exc:
                outcome["claim"] = exc.code

    def sweep() -> None:
        with get_session_factory()() as s:
            barrier.wait(timeout=10)
            outcome["sweep"] = str(len(assignment.assign_waiting(s, utcnow())))

    run_together(lambda which: claim() if which == "claim" else sweep(), [("claim",), ("sweep",)])

    assert sorted(outcome.values()) in (["0", "won"], ["1", "already_claimed"]), outcome
    claims = len(audit_rows(session, "ticket.claim")) + len(audit_rows(session, "ticket.assign"))
    assert claims == 1
    assert holder(session, ticket) == ("alex" if outcome["claim"] == "won" else "ana")


def test_a_silent_agent_with_nobody_else_free_keeps_the_ticket(session: Session) -> None:
    online(session, "alex")
    ticket = web_ticket(session)
    assignment.assign_waiting(session, utcnow())
    backdate_claim(session, ticket, minutes=30)

    assert sweep_once(session) == []

    assert holder(session, ticket) == "alex"
    assert audit_rows(session, "ticket.unassign") == []
