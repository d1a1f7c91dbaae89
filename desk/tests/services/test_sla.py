"""SLA targets per tier: the file's validation, a ticket's time left, breaches noticed once (also
by desks sweeping at once), first replies recorded, attainment from timestamps."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.utils.assignment import agent, online, web_ticket
from tests.utils.desk import audit_rows
from tests.utils.threads import run_together
from tierline_desk.db import get_session_factory
from tierline_desk.models import SlaBreach, utcnow
from tierline_desk.services import agent_actions, sla
from tierline_desk.services.sla import SlaConfigError, parse_targets
from tierline_desk.settings import DESK_DIR, get_settings

GOOD = {
    "tier": {
        "1": {"first_reply_minutes": 5, "resolution_minutes": 60},
        "2": {"first_reply_minutes": 10, "resolution_minutes": 240},
    }
}


def test_the_shipped_file_is_valid() -> None:
    targets = sla.load_targets(DESK_DIR / "sla.toml")
    assert targets[1].first_reply == timedelta(minutes=5)
    assert targets[2].resolution == timedelta(hours=4)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"tier": {"1": GOOD["tier"]["1"]}}, "[tier.2] is missing"),
        (
            {"tier": {**GOOD["tier"], "3": GOOD["tier"]["1"]}},
            "unknown tier(s) 3 (known: 1, 2)",
        ),
        (
            {"tier": {**GOOD["tier"], "1": {"first_reply_minutes": 90, "resolution_minutes": 60}}},
            "tier.1: Value error, first_reply_minutes may not be above resolution_minutes",
        ),
        (
            {"tier": {**GOOD["tier"], "2": {"first_reply_minutes": "10", "resolution_minutes": 0}}},
            "tier.2.first_reply_minutes: Input should be a valid integer",
        ),
        (
            {
                "tier": {
                    **GOOD["tier"],
                    "1": {
                        "first_reply_minutes": 5,
                        "resolution_minutes": 60,
                        "resolution_hours": 1,
                    },
                }
            },
            "tier.1.resolution_hours: Extra inputs are not permitted",
        ),
        ({**GOOD, "tiers": {}}, "unknown key(s) tiers"),
    ],
)
def test_a_malformed_file_names_every_problem(data: dict[str, object], message: str) -> None:
    with pytest.raises(SlaConfigError) as caught:
        parse_targets(data, "sla.toml")
    assert str(caught.value).startswith("sla.toml: invalid SLA targets: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[tier.1]\nfirst_reply_minutes = 5\n", r"tier\.1\.resolution_minutes: Field required"),
        ("[tier.1\n", "not valid TOML"),
        (None, r"SLA_FILE .* does not exist \(the default is desk/sla\.toml\)"),
    ],
)
def test_the_desk_refuses_to_start_with_a_bad_file(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, message: str
) -> None:
    from tierline_desk.main import create_app

    path = tmp_path / "sla.toml"
    if content is not None:
        path.write_text(content)
    monkeypatch.setenv("SLA_FILE", str(path))
    get_settings.cache_clear()
    with pytest.raises(SlaConfigError, match=message):
        create_app()


def test_time_left_runs_to_the_nearest_open_target(session: Session) -> None:
    fresh = web_ticket(session, created_minutes_ago=1)
    state = sla.for_ticket(fresh, utcnow())
    assert 230 <= (state.seconds_left or 0) <= 240 and state.breached == ()
    fresh.first_reply_at = utcnow()
    state = sla.for_ticket(fresh, utcnow())
    assert 3530 <= (state.seconds_left or 0) <= 3540  # resolution next
    late = web_ticket(session, created_minutes_ago=7)
    state = sla.for_ticket(late, utcnow())
    assert state.breached == ("first_reply",)
    assert state.seconds_left is not None and 3060 <= state.seconds_left <= 3180


def test_the_queue_shows_time_left_and_sorts_by_it(session: Session) -> None:
    newer = web_ticket(session, created_minutes_ago=1)
    older = web_ticket(session, created_minutes_ago=3)
    older.queued_at = utcnow()  # back in the queue later (an escalation, say)
    session.commit()
    queues = agent_actions.queues(session, agent(session, "alex"))
    [tier1] = queues.queues
    assert [c.ticket_number for c in tier1.waiting] == [older.ticket_number, newer.ticket_number]
    assert all(c.sla is not None and c.sla.seconds_left for c in tier1.waiting)


def test_a_breach_is_noticed_once_and_audited(session: Session) -> None:
    ticket = web_ticket(session, created_minutes_ago=6)
    web_ticket(session, created_minutes_ago=1)  # still in time
    [breach] = sla.notice_breaches(session, utcnow())
    assert (breach.ticket_number, breach.target, breach.tier) == (
        ticket.ticket_number,
        "first_reply",
        1,
    )
    assert sla.notice_breaches(session, utcnow()) == []
    [row] = audit_rows(session, "sla.breach")
    assert row.details["ticket_number"] == ticket.ticket_number
    assert row.details["target"] == "first_reply"
    later = utcnow() + timedelta(hours=1)
    assert [b.target for b in sla.notice_breaches(session, later)] == [
        "resolution",
        "first_reply",
        "resolution",
    ]


def test_desks_sweeping_at_once_notice_a_breach_once(session: Session) -> None:
    for _ in range(5):
        web_ticket(session, created_minutes_ago=6)
    barrier = threading.Barrier(3)
    noticed: list[int] = []

    def desk() -> None:
        with get_session_factory()() as s:
            barrier.wait(timeout=10)
            noticed.append(len(sla.notice_breaches(s, utcnow())))

    run_together(desk, [(), (), ()])
    assert sum(noticed) == 5
    assert session.scalar(select(func.count()).select_from(SlaBreach)) == 5
    assert len(audit_rows(session, "sla.breach")) == 5


def test_acknowledging_is_once_and_audited(session: Session) -> None:
    web_ticket(session, created_minutes_ago=6)
    [breach] = sla.notice_breaches(session, utcnow())
    first = sla.acknowledge(session, breach.id, "sam.lead", utcnow())
    session.commit()
    again = sla.acknowledge(session, breach.id, "other", utcnow())
    assert first is not None and again is not None and again.acknowledged_by == "sam.lead"
    assert len(audit_rows(session, "sla.acknowledge")) == 1
    assert sla.open_breaches(session, (1, 2)) == []
    assert sla.acknowledge(session, 9999, "sam.lead", utcnow()) is None


def test_attainment_is_judged_from_the_timestamps(session: Session) -> None:
    online(session, "alex")
    met = web_ticket(session, created_minutes_ago=3 * 24 * 60)
    missed = web_ticket(session, created_minutes_ago=2 * 24 * 60)
    open_in_time = web_ticket(session, created_minutes_ago=1)
    alex = agent(session, "alex")
    for ticket, reply, resolved in ((met, 2, 30), (missed, 20, 90)):
        ticket.status = "resolved"
        ticket.claimed_by = alex.id
        ticket.first_reply_at = ticket.created_at + timedelta(minutes=reply)
        ticket.resolved_at = ticket.created_at + timedelta(minutes=resolved)
    session.commit()

    by_tier, by_agent = sla.attainment(session, utcnow() - timedelta(days=7), utcnow())

    tier1 = by_tier[1]
    assert (tier1.first_reply.met, tier1.first_reply.total) == (1, 2)  # the open one: undecided
    assert (tier1.resolution.met, tier1.resolution.total) == (1, 2)
    assert tier1.first_reply.percent == 50.0
    today = utcnow().date().isoformat()
    assert len(tier1.daily) == 3
    assert tier1.daily[today][0].total == 0  # the open ticket: nothing decided yet
    assert by_agent["alex"].resolution.percent == 50.0
    assert by_tier[2].first_reply.total == 0 and by_tier[2].first_reply.percent is None
    assert open_in_time.first_reply_at is None
