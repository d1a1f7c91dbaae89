"""seed-history: demo history made through the desk's own services, on demo databases only."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tierline_desk import cli
from tierline_desk.clock import frozen_at
from tierline_desk.models import (
    AuditLog,
    Conversation,
    CsatResponse,
    Customer,
    HandoffTicket,
    Refund,
    utcnow,
)
from tierline_desk.services import analytics, demo_history

NOW = datetime(2026, 11, 30, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """The survey links of referred cases are signed with the identity secret."""
    from tierline_desk.settings import get_settings

    monkeypatch.setenv("TIERLINE_IDENTITY_SECRET", "identity-secret-for-tests")
    get_settings.cache_clear()


def _counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__tablename__: int(session.scalar(select(func.count()).select_from(model)) or 0)
        for model in (Customer, Conversation, HandoffTicket, AuditLog, CsatResponse, Refund)
    }


def _seed(session: Session, **kw: object) -> demo_history.Summary:
    return demo_history.seed(session, days=4, now=NOW, customers=8, **kw)  # type: ignore[arg-type]


def test_the_clock_override_is_this_contexts_only() -> None:
    seen: list[datetime] = []
    with frozen_at(NOW):
        assert utcnow() == NOW
        other = threading.Thread(target=lambda: seen.append(utcnow()))
        other.start()
        other.join()
    assert abs(seen[0] - datetime.now(UTC)) < timedelta(minutes=1)
    assert utcnow() != NOW
    with pytest.raises(ValueError), frozen_at(datetime(2026, 1, 1)):
        pass  # a naive datetime is refused


def test_history_goes_through_the_real_paths_spread_over_the_days(session: Session) -> None:
    before = _counts(session)
    summary = _seed(session, seed_value=7)
    assert summary.conversations >= 20 and summary.tickets >= 3
    conversations = list(session.scalars(select(Conversation)))
    days = Counter(c.created_at.date() for c in conversations)
    assert len(days) == 4 and all(
        NOW - timedelta(days=5) < c.created_at < NOW for c in conversations
    )
    # Claims, resolutions and answers are the services' own rows, at the simulated times.
    claims = list(session.scalars(select(AuditLog).where(AuditLog.action == "ticket.claim")))
    assert len(claims) >= summary.tickets and all(c.at < NOW for c in claims)
    tickets = list(session.scalars(select(HandoffTicket)))
    for t in tickets:
        assert t.claimed_at is not None and t.created_at <= t.claimed_at
        assert t.status in ("resolved", "referred")
        assert t.resolved_at is None or t.claimed_at < t.resolved_at
    answers = list(session.scalars(select(CsatResponse)))
    assert len(answers) == summary.csat_answers
    assert {a.tier for a in answers} <= {1, 2, 3} and all(1 <= a.score <= 5 for a in answers)
    shoppers = {c.customer_id for c in conversations}
    emails = session.scalars(select(Customer.email).where(Customer.id.in_(shoppers)))
    assert all(e.endswith("@demo.tierline.invalid") for e in emails)
    report = analytics.report(session, NOW, 7)
    assert report.conversations == summary.conversations
    assert report.csat.responses == summary.csat_answers
    assert report.funnel[1].count == summary.tickets
    # Removing it leaves the database as it was.
    demo_history.remove(session)
    assert _counts(session) == before


def test_the_same_seed_makes_the_same_history(session: Session) -> None:
    first = _seed(session, seed_value=3)
    scores = sorted(session.scalars(select(CsatResponse.score)))
    second = _seed(session, seed_value=3, force=True)
    assert (first.text(), scores) == (
        second.text(),
        sorted(session.scalars(select(CsatResponse.score))),
    )


def test_it_refuses_a_second_run_without_force(session: Session) -> None:
    _seed(session)
    counts = _counts(session)
    with pytest.raises(demo_history.HistoryRefused, match="--force"):
        _seed(session)
    assert _counts(session) == counts


def test_it_refuses_a_database_with_real_customers(session: Session) -> None:
    session.add(
        Customer(
            id="C-9001",
            name="Real Person",
            email="real.person@example.com",
            line1="1 Main St",
            city="Boston",
            region="MA",
            postal_code="02110",
        )
    )
    session.commit()
    counts = _counts(session)
    with pytest.raises(demo_history.HistoryRefused, match="real shop"):
        _seed(session)
    assert _counts(session) == counts
    assert cli.main(["seed-history", "--remove"]) == 2


def test_it_refuses_another_store(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from tierline_desk.settings import get_settings

    monkeypatch.setattr(get_settings(), "store", "medusa")
    with pytest.raises(demo_history.HistoryRefused, match="builtin"):
        _seed(session)


def test_the_cli_makes_refuses_and_removes(
    session: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["seed-history", "--days", "2", "--seed", "5"]) == 0
    assert "demo history for the last 2 days" in capsys.readouterr().out
    assert cli.main(["seed-history", "--days", "2"]) == 2
    assert "already has demo history" in capsys.readouterr().err
    assert cli.main(["seed-history", "--remove"]) == 0
    assert "demo history removed" in capsys.readouterr().out
    assert not demo_history.has_history(session)
