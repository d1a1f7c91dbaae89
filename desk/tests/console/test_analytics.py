"""Console analytics: role checks and the numbers on a seeded set with known answers."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.console import LoginFn
from tests.utils.desk import code_of
from tierline_desk.models import AuditLog, Case, Conversation, HandoffTicket, utcnow
from tierline_desk.services import analytics

URL = "/console/api/analytics"


class Seed:
    """Adds rows with explicit timestamps, the way the desk itself stores them."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.n = 0

    def conversation(self, conversation_id: str, created: datetime) -> None:
        self.session.add(
            Conversation(
                conversation_id=conversation_id,
                token_hash="0" * 64,
                created_at=created,
                last_activity_at=created,
            )
        )

    def ticket(
        self,
        conversation_id: str,
        created: datetime,
        *,
        tier: int = 1,
        reason: str = "Package arrived damaged",
        claims: tuple[datetime, ...] = (),
        escalated: datetime | None = None,
        resolved: datetime | None = None,
    ) -> HandoffTicket:
        self.n += 1
        ticket = HandoffTicket(
            ticket_number=f"T-9{self.n:05d}",
            conversation_id=conversation_id,
            tier=2 if escalated else tier,
            status="resolved" if resolved else ("claimed" if claims else "waiting"),
            reason=reason,
            created_at=created,
            queued_at=escalated or created,
            claimed_at=claims[-1] if claims else None,
            escalated_at=escalated,
            escalated_by="alex" if escalated else None,
            resolved_at=resolved,
        )
        self.session.add(ticket)
        for at in claims:
            self.session.add(
                AuditLog(
                    at=at,
                    actor="alex",
                    action="ticket.claim",
                    details={"ticket_number": ticket.ticket_number, "tier": 1},
                )
            )
        return ticket

    def case(self, conversation_id: str, created: datetime, team: str) -> None:
        self.n += 1
        self.session.add(
            Case(
                case_number=f"CASE-8{self.n:05d}",
                kind="trade_in_credit",
                team=team,
                status="open",
                response_channel="email" if team != "associates" else "chat",
                conversation_id=conversation_id,
                customer={},
                description="seeded",
                created_at=created,
            )
        )


@pytest.fixture
def seed(session: Session) -> Seed:
    return Seed(session)


# ---------------------------------------------------------------- roles and parameters


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("alex", False), ("sam.lead", True), ("jordan.ecr", False), ("admin", True)],
)
def test_roles(username: str, allowed: bool, login: LoginFn) -> None:
    resp = login(username).get(URL)
    if allowed:
        assert resp.status_code == 200 and resp.json()["days"] == 30
        assert len(resp.json()["daily"]) == 30
    else:
        assert resp.status_code == 403 and code_of(resp) == "forbidden_role"
        assert resp.json()["detail"]["allowed"] == ["admin", "supervisor"]


def test_days_parameter(login: LoginFn) -> None:
    sam = login("sam.lead")
    for bad in ("0", "366", "-1", "week"):
        resp = sam.get(f"{URL}?days={bad}")
        assert resp.status_code == 422 and code_of(resp) == "validation_error", bad
    assert sam.get(f"{URL}?days=1").json()["daily"][0]["date"] == utcnow().date().isoformat()
    assert len(sam.get(f"{URL}?days=365").json()["daily"]) == 365


def test_not_logged_in(anon: TestClient) -> None:
    resp = anon.get(URL)
    assert resp.status_code == 401 and code_of(resp) == "not_logged_in"


def test_empty_window(login: LoginFn) -> None:
    body = login("admin").get(f"{URL}?days=7").json()
    assert body["conversations"] == 0 and body["bot_resolved"] == 0
    assert body["bot_resolution_share"] is None
    assert body["handoffs_by_tier"] == {"1": 0, "2": 0, "specialist": 0}
    empty = {"avg": None, "p50": None, "p90": None, "count": 0}
    assert body["wait_seconds"] == empty and body["resolution_seconds"] == empty
    assert body["top_reasons"] == []
    assert all(
        (d["conversations"], d["bot_resolved"], d["handoffs"], d["resolved"]) == (0, 0, 0, 0)
        for d in body["daily"]
    )


# ---------------------------------------------------------------- the numbers


def test_numbers_on_a_seeded_week(login: LoginFn, seed: Seed, session: Session) -> None:
    now = utcnow()
    day, hour, minute = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
    # web chats in the window: c1, c4 the bot settled; c2, c6 got a ticket, c3 a case
    conversations = {
        "c1": now - day,
        "c2": now - day,
        "c3": now - 2 * day,
        "c4": now - 3 * day,
        "c6": now - 2 * hour,
    }
    for cid, created in conversations.items():
        seed.conversation(cid, created)
    seed.conversation("c5-old", now - 10 * day)  # outside the 7-day window

    a_created = now - day
    a_resolved = a_created + hour
    seed.ticket("c2", a_created, claims=(a_created + 2 * minute,), resolved=a_resolved)
    # B: claimed at tier 1 after 60 s, escalated at +10 min, claimed at tier 2 after 300 s more
    b_created = now - 2 * hour
    b_escalated = b_created + 10 * minute
    b_resolved = b_created + 30 * minute
    seed.ticket(
        "c6",
        b_created,
        claims=(b_created + minute, b_escalated + 5 * minute),
        escalated=b_escalated,
        resolved=b_resolved,
    )
    c_created = now - 3 * day
    seed.ticket(
        "rest-conv-1",  # a ticket from another channel: no conversations row
        c_created,
        tier=2,
        reason="Refund not received",
        claims=(c_created + 10 * minute,),
    )
    d_created = now - 4 * day
    seed.ticket("rest-conv-2", d_created, reason="Where is my package")
    # outside the window: created, claimed and resolved 9-10 days ago
    old = now - 10 * day
    seed.ticket("rest-conv-3", old, reason="Old", claims=(old + minute,), resolved=now - 9 * day)
    # created before the window, resolved inside it: counts for resolution only
    f_created, f_resolved = now - 8 * day, now - 6 * day
    seed.ticket("rest-conv-4", f_created, reason="Old too", resolved=f_resolved)

    seed.case("c3", now - 2 * day, "associates")
    seed.case("ecr-conv-1", now - day, "executive_customer_relations")
    seed.case("ecr-conv-2", now - 9 * day, "executive_customer_relations")  # outside
    session.commit()

    body = login("sam.lead").get(f"{URL}?days=7").json()
    assert body["days"] == 7
    assert body["conversations"] == 5 and body["bot_resolved"] == 2
    assert body["bot_resolution_share"] == 0.4
    # tier 1: A, B (escalated later), D; tier 2: C created there + B's escalation
    assert body["handoffs_by_tier"] == {"1": 3, "2": 2, "specialist": 1}
    # waits: A 120, B 60 and 300 (from its escalation), C 600
    assert body["wait_seconds"] == {"avg": 270.0, "p50": 210.0, "p90": 510.0, "count": 4}
    # resolutions: B 1800, A 3600, F 172800
    assert body["resolution_seconds"] == {
        "avg": 59400.0,
        "p50": 3600.0,
        "p90": 138960.0,
        "count": 3,
    }
    assert body["top_reasons"] == [
        {"reason": "Package arrived damaged", "count": 2},
        {"reason": "Refund not received", "count": 1},
        {"reason": "Where is my package", "count": 1},
    ]

    first = (now - 6 * day).date()
    dates = [first + timedelta(days=i) for i in range(7)]
    assert [d["date"] for d in body["daily"]] == [d.isoformat() for d in dates]
    conv = Counter(t.date() for t in conversations.values())
    bot = Counter(conversations[c].date() for c in ("c1", "c4"))
    handoffs = Counter(t.date() for t in (a_created, b_created, c_created, d_created))
    resolved = Counter(t.date() for t in (a_resolved, b_resolved, f_resolved))
    assert [
        (d["conversations"], d["bot_resolved"], d["handoffs"], d["resolved"]) for d in body["daily"]
    ] == [(conv[d], bot[d], handoffs[d], resolved[d]) for d in dates]
    assert sum(d["conversations"] for d in body["daily"]) == 5
    assert datetime.fromisoformat(body["since"]) == datetime.combine(
        first, datetime.min.time(), tzinfo=UTC
    )


def test_top_reasons_keeps_eight(login: LoginFn, seed: Seed, session: Session) -> None:
    now = utcnow()
    # Inside today's window (UTC calendar days) at any hour, even just after midnight.
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    within_today = midnight + (now - midnight) / 2
    for i in range(10):
        for j in range(i + 1):  # reason-9 10 times ... reason-0 once
            seed.ticket(f"conv-r{i}-{j}", within_today, reason=f"reason-{i}")
    session.commit()
    top = login("admin").get(f"{URL}?days=1").json()["top_reasons"]
    assert [(r["reason"], r["count"]) for r in top] == [
        (f"reason-{i}", i + 1) for i in range(9, 1, -1)
    ]


def test_window_boundaries_are_utc_calendar_days(seed: Seed, session: Session) -> None:
    now = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    since = datetime(2026, 3, 8, tzinfo=UTC)  # days=3: Mar 8, 9 and 10
    seed.conversation("edge-in", since)
    seed.conversation("edge-out", since - timedelta(seconds=1))
    seed.conversation("late", now - timedelta(minutes=1))
    seed.conversation("future", now + timedelta(minutes=1))
    seed.ticket("edge-in", since + timedelta(hours=1))
    session.commit()
    report = analytics.report(session, now, 3)
    assert report.since == since and report.until == now
    assert report.conversations == 2 and report.bot_resolved == 1
    assert report.bot_resolution_share == 0.5
    assert [(d.date.isoformat(), d.conversations, d.handoffs) for d in report.daily] == [
        ("2026-03-08", 1, 1),
        ("2026-03-09", 0, 0),
        ("2026-03-10", 1, 0),
    ]


def test_durations_helper() -> None:
    assert analytics.durations([]).count == 0
    single = analytics.durations([42.25])
    assert (single.avg, single.p50, single.p90, single.count) == (42.2, 42.2, 42.2, 1)
    many = analytics.durations([float(s) for s in range(1, 11)])  # 1..10
    assert (many.avg, many.p50, many.p90, many.count) == (5.5, 5.5, 9.1, 10)
