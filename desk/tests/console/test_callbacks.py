"""Console callbacks: the due list, outcomes, rescheduling with its confirmation mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.console import AgentClient, LoginFn
from tests.utils.desk import audit_rows, code_of
from tests.utils.mail_catcher import Catcher, catcher, text_of
from tierline_desk.console.schemas import CallbackOutcomeIn
from tierline_desk.db import get_session_factory
from tierline_desk.errors import ApiError
from tierline_desk.models import Agent, Callback, utcnow
from tierline_desk.services import callback_followup
from tierline_desk.settings import get_settings

__all__ = ["catcher"]  # the fixture, imported for use here

URL = "/console/api/callbacks"
ALL_ROLES = ("alex", "sam.lead", "jordan.ecr", "admin")
ALLOWED = ("alex", "sam.lead")  # associate, supervisor
MakeCallback = Callable[..., Callback]


@pytest.fixture
def make_callback(session: Session) -> MakeCallback:
    counter = iter(range(1, 1000))

    def _make(
        start: timedelta,
        length: timedelta = timedelta(minutes=30),
        status: str = "scheduled",
        email: str | None = "maya.chen@example.com",
        customer_id: str | None = None,
        created: timedelta = timedelta(hours=-5),
        attempts: int = 0,
    ) -> Callback:
        n = next(counter)
        now = utcnow()
        cb = Callback(
            callback_id=f"CB-TEST{n:04d}",
            conversation_id=f"conv-cb-{n}",
            phone="+14155550123",
            window_start=now + start,
            window_end=now + start + length,
            reason="Wants to talk about a late refund",
            customer_id=customer_id,
            email=email,
            order_number="112-4839201-5573910",
            status=status,
            attempts=attempts,
            created_at=now + created + timedelta(seconds=n),
        )
        session.add(cb)
        session.commit()
        return cb

    return _make


def _outcome(callback: Callback, **body: Any) -> tuple[str, dict[str, Any]]:
    return f"{URL}/{callback.callback_id}/outcome", body


def _alex_on_a_due_callback(
    login: LoginFn, make_callback: MakeCallback
) -> tuple[AgentClient, Callback, str]:
    """A callback due ten minutes ago, Alex logged in, and the callback's outcome URL."""
    cb = make_callback(timedelta(minutes=-10))
    alex = login("alex")
    return alex, cb, f"{URL}/{cb.callback_id}/outcome"


def _fresh(session: Session, callback_id: str) -> Callback:
    session.expire_all()
    cb = session.get(Callback, callback_id)
    assert cb is not None
    return cb


# ---------------------------------------------------------------- roles, login, CSRF


@pytest.mark.parametrize("username", ALL_ROLES)
def test_every_role_on_every_endpoint(
    username: str, login: LoginFn, make_callback: MakeCallback, session: Session
) -> None:
    cb = make_callback(timedelta(minutes=-5))
    agent = login(username)
    listing = agent.get(f"{URL}?view=due")
    everything = agent.get(f"{URL}?view=all")
    url, body = _outcome(cb, status="called", note="Spoke to Maya, refund explained")
    outcome = agent.post(url, json=body)
    if username in ALLOWED:
        assert listing.status_code == 200 and everything.status_code == 200
        assert outcome.status_code == 200, outcome.text
        assert outcome.json()["callback"]["status"] == "called"
    else:
        for resp in (listing, everything, outcome):
            assert resp.status_code == 403 and code_of(resp) == "forbidden_role"
            assert resp.json()["detail"]["allowed"] == ["associate", "supervisor"]
        assert _fresh(session, cb.callback_id).status == "scheduled"
        assert audit_rows(session, "callback.outcome") == []


def test_not_logged_in(anon: TestClient, make_callback: MakeCallback) -> None:
    cb = make_callback(timedelta(minutes=-5))
    assert code_of(anon.get(URL)) == "not_logged_in"
    resp = anon.post(f"{URL}/{cb.callback_id}/outcome", json={"status": "called", "note": "x"})
    assert resp.status_code == 401 and code_of(resp) == "not_logged_in"


def test_outcome_needs_the_csrf_token(
    login: LoginFn, make_callback: MakeCallback, session: Session
) -> None:
    cb = make_callback(timedelta(minutes=-5))
    alex = login("alex")
    body = {"status": "no_answer", "note": "voicemail"}
    for headers in ({"X-CSRF-Token": ""}, {"X-CSRF-Token": "not-the-token"}):
        resp = alex.http.post(f"{URL}/{cb.callback_id}/outcome", json=body, headers=headers)
        assert resp.status_code == 403 and code_of(resp) == "csrf_failed"
    resp = alex.http.post(f"{URL}/{cb.callback_id}/outcome", json=body)
    assert resp.status_code == 403 and code_of(resp) == "csrf_failed"
    fresh = _fresh(session, cb.callback_id)
    assert (fresh.status, fresh.attempts, fresh.handled_by) == ("scheduled", 0, None)
    assert audit_rows(session, "callback.outcome") == []


# ---------------------------------------------------------------- the due list


def test_due_list_windows_states_and_order(login: LoginFn, make_callback: MakeCallback) -> None:
    overdue = make_callback(timedelta(hours=-2), timedelta(hours=1))
    now_cb = make_callback(timedelta(minutes=-10))
    upcoming = make_callback(timedelta(minutes=45), status="rescheduled")
    missed = make_callback(timedelta(hours=-30), status="no_answer", attempts=2)
    make_callback(timedelta(minutes=90))  # beyond CALLBACK_DUE_AHEAD_MINUTES (60)
    make_callback(timedelta(minutes=-5), status="called")  # final
    make_callback(timedelta(minutes=-5), status="cancelled")  # final

    body = login("alex").get(f"{URL}?view=due").json()
    assert body["view"] == "due" and body["due_ahead_minutes"] == 60
    assert body["limit"] is None and body["total"] == 4
    got = [(c["callback_id"], c["due_state"], c["attempts"]) for c in body["callbacks"]]
    assert got == [
        (missed.callback_id, "overdue", 2),
        (overdue.callback_id, "overdue", 0),
        (now_cb.callback_id, "due_now", 0),
        (upcoming.callback_id, "upcoming", 0),
    ]
    first = body["callbacks"][0]
    assert first["status"] == "no_answer" and first["final"] is False
    assert first["phone"] == "+14155550123" and first["email"] == "maya.chen@example.com"


def test_due_is_the_default_view_and_follows_the_setting(
    login: LoginFn, make_callback: MakeCallback, monkeypatch: pytest.MonkeyPatch
) -> None:
    later = make_callback(timedelta(minutes=90))
    alex = login("alex")
    assert alex.get(URL).json()["callbacks"] == []
    monkeypatch.setenv("CALLBACK_DUE_AHEAD_MINUTES", "120")
    get_settings.cache_clear()
    body = alex.get(URL).json()
    assert body["due_ahead_minutes"] == 120
    assert [c["callback_id"] for c in body["callbacks"]] == [later.callback_id]
    assert body["callbacks"][0]["due_state"] == "upcoming"


def test_all_view_newest_first_paginated(login: LoginFn, make_callback: MakeCallback) -> None:
    made = [
        make_callback(timedelta(days=2), created=timedelta(hours=-i), status=s)
        for i, s in enumerate(["scheduled", "called", "cancelled", "no_answer", "rescheduled"])
    ]
    newest_first = [cb.callback_id for cb in made]  # created 0h, 1h, ... ago
    sam = login("sam.lead")
    page1 = sam.get(f"{URL}?view=all&limit=2").json()
    page2 = sam.get(f"{URL}?view=all&limit=2&offset=2").json()
    page3 = sam.get(f"{URL}?view=all&limit=2&offset=4").json()
    assert page1["total"] == 5 and page1["limit"] == 2 and page2["offset"] == 2
    ids = [c["callback_id"] for p in (page1, page2, page3) for c in p["callbacks"]]
    assert ids == newest_first
    by_id = {c["callback_id"]: c for p in (page1, page2, page3) for c in p["callbacks"]}
    assert by_id[made[1].callback_id]["final"] is True
    assert by_id[made[1].callback_id]["due_state"] is None
    assert by_id[made[0].callback_id]["due_state"] == "upcoming"
    assert sam.get(f"{URL}?view=all&limit=0").status_code == 422
    assert sam.get(f"{URL}?view=all&limit=201").status_code == 422
    assert sam.get(f"{URL}?view=all&offset=-1").status_code == 422
    assert code_of(sam.get(f"{URL}?view=later")) == "validation_error"


# ---------------------------------------------------------------- outcomes


def test_no_answer_counts_attempts_and_stays_due(
    login: LoginFn, make_callback: MakeCallback, session: Session
) -> None:
    alex, cb, url = _alex_on_a_due_callback(login, make_callback)
    first = alex.post(url, json={"status": "no_answer", "note": "  Rang out, no voicemail  "})
    assert first.status_code == 200, first.text
    out = first.json()
    assert out["email_queued"] is False
    assert out["callback"]["status"] == "no_answer" and out["callback"]["attempts"] == 1
    assert out["callback"]["handled_by"] == "alex"
    assert out["callback"]["outcome_note"] == "Rang out, no voicemail"
    assert out["callback"]["final"] is False and out["callback"]["due_state"] == "due_now"

    second = login("sam.lead").post(url, json={"status": "no_answer", "note": "Tried again"})
    assert second.json()["callback"]["attempts"] == 2
    assert second.json()["callback"]["handled_by"] == "sam.lead"

    due = alex.get(f"{URL}?view=due").json()["callbacks"]
    assert [(c["callback_id"], c["status"], c["attempts"]) for c in due] == [
        (cb.callback_id, "no_answer", 2)
    ]
    fresh = _fresh(session, cb.callback_id)
    assert fresh.attempts == 2 and fresh.updated_at is not None
    rows = audit_rows(session, "callback.outcome")
    assert [(r.actor, r.details["status"], r.details["attempts"]) for r in rows] == [
        ("alex", "no_answer", 1),
        ("sam.lead", "no_answer", 2),
    ]
    assert rows[0].details["from_status"] == "scheduled"
    assert rows[1].details["from_status"] == "no_answer"
    assert rows[0].order_number == "112-4839201-5573910"


@pytest.mark.parametrize("final", ["called", "cancelled"])
def test_called_and_cancelled_are_final(
    final: str, login: LoginFn, make_callback: MakeCallback, session: Session
) -> None:
    cb = make_callback(timedelta(minutes=-10), status="no_answer", attempts=1)
    sam = login("sam.lead")
    url = f"{URL}/{cb.callback_id}/outcome"
    resp = sam.post(url, json={"status": final, "note": "Sorted out on the phone"})
    assert resp.status_code == 200, resp.text
    out = resp.json()["callback"]
    assert out["status"] == final and out["final"] is True and out["due_state"] is None
    assert out["attempts"] == 1 and out["handled_by"] == "sam.lead"
    assert sam.get(f"{URL}?view=due").json()["callbacks"] == []

    again = sam.post(url, json={"status": "no_answer", "note": "one more"})
    assert again.status_code == 409 and code_of(again) == "callback_final"
    assert again.json()["detail"]["status"] == final
    assert len(audit_rows(session, "callback.outcome")) == 1
    assert _fresh(session, cb.callback_id).outcome_note == "Sorted out on the phone"


def test_unknown_callback_and_bad_bodies(login: LoginFn, make_callback: MakeCallback) -> None:
    alex, _, url = _alex_on_a_due_callback(login, make_callback)
    resp = alex.post(f"{URL}/CB-NOPE0000/outcome", json={"status": "called", "note": "x"})
    assert resp.status_code == 404 and code_of(resp) == "callback_not_found"
    for body in (
        {"status": "called"},  # note required
        {"status": "called", "note": "   "},
        {"status": "called", "note": "x" * 2001},
        {"status": "answered", "note": "x"},
        {"status": "called", "note": "x", "extra": 1},
        {"status": "called", "note": "x", "window_start": "2030-01-01T10:00:00Z"},
    ):
        resp = alex.post(url, json=body)
        assert resp.status_code == 422 and code_of(resp) == "validation_error", body


def test_a_stale_outcome_is_refused(make_callback: MakeCallback, session: Session) -> None:
    """Two agents record an outcome at once: the second, based on what it read, gets 409."""
    cb = make_callback(timedelta(minutes=-10))
    agent = session.query(Agent).filter_by(username="alex").one()
    stale = session.get(Callback, cb.callback_id)
    assert stale is not None
    with get_session_factory()() as other:  # someone else marks it "no answer" meanwhile
        row = other.get(Callback, cb.callback_id)
        assert row is not None
        row.status, row.attempts, row.updated_at = "no_answer", 1, utcnow()
        other.commit()
    body = CallbackOutcomeIn(status="no_answer", note="rang out")
    with pytest.raises(ApiError) as err:
        callback_followup.record_outcome(session, agent, stale, body, utcnow())
    assert err.value.status_code == 409 and err.value.code == "callback_changed"
    assert _fresh(session, cb.callback_id).attempts == 1  # not counted twice


# ---------------------------------------------------------------- rescheduling


def _window(start: timedelta, length: timedelta = timedelta(hours=1)) -> dict[str, str]:
    begin = utcnow().replace(microsecond=0) + start
    return {"window_start": begin.isoformat(), "window_end": (begin + length).isoformat()}


def test_reschedule_validation(
    login: LoginFn, make_callback: MakeCallback, session: Session
) -> None:
    alex, cb, url = _alex_on_a_due_callback(login, make_callback)
    note = {"status": "rescheduled", "note": "Asked us to call tomorrow"}
    missing = alex.post(
        url, json={**note, "window_start": _window(timedelta(days=1))["window_start"]}
    )
    assert missing.status_code == 422 and code_of(missing) == "validation_error"
    backwards = _window(timedelta(days=1))
    backwards["window_end"] = backwards["window_start"]
    resp = alex.post(url, json={**note, **backwards})
    assert resp.status_code == 422 and code_of(resp) == "validation_error"
    for window in (
        _window(timedelta(hours=-1)),  # starts in the past
        _window(timedelta(days=14)),  # ends more than 14 days ahead
    ):
        resp = alex.post(url, json={**note, **window})
        assert resp.status_code == 422 and code_of(resp) == "invalid_window", window
    assert _fresh(session, cb.callback_id).status == "scheduled"
    assert audit_rows(session, "callback.outcome") == []
    # the last allowed window: ending just inside 14 days
    ok = alex.post(url, json={**note, **_window(timedelta(days=13, hours=22))})
    assert ok.status_code == 200, ok.text


def test_reschedule_moves_the_window_and_mails_the_shopper(
    login: LoginFn, make_callback: MakeCallback, session: Session, catcher: Catcher
) -> None:
    cb = make_callback(timedelta(minutes=-10), status="no_answer", attempts=1)
    old_start = cb.window_start
    # 10:00-11:30 UTC two days from now: in the future, on one date (the mail's format)
    day = utcnow().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=2)
    window = {
        "window_start": day.isoformat(),
        "window_end": (day + timedelta(minutes=90)).isoformat(),
    }
    resp = login("alex").post(
        f"{URL}/{cb.callback_id}/outcome",
        json={"status": "rescheduled", "note": "Better on Thursday afternoon", **window},
    )
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["email_queued"] is True
    new_start = datetime.fromisoformat(window["window_start"])
    new_end = datetime.fromisoformat(window["window_end"])
    got = out["callback"]
    assert got["status"] == "rescheduled" and got["due_state"] == "upcoming"
    assert datetime.fromisoformat(got["window_start"]) == new_start
    assert datetime.fromisoformat(got["window_end"]) == new_end
    assert got["attempts"] == 1 and got["final"] is False

    fresh = _fresh(session, cb.callback_id)
    assert (fresh.window_start, fresh.window_end) == (new_start, new_end)
    assert fresh.handled_by == "alex" and fresh.outcome_note == "Better on Thursday afternoon"
    (row,) = audit_rows(session, "callback.outcome")
    assert row.details["window_start"] == new_start.isoformat()
    assert row.details["previous_window_start"] == old_start.isoformat()

    mail = catcher.only()
    assert mail["To"] == "maya.chen@example.com"
    assert mail["Subject"] == f"Your callback is booked ({cb.callback_id})"
    assert mail["X-Tierline-Mail"] == "callback_booked"
    text = " ".join(text_of(mail).split())  # the facts column wraps
    when = f"{new_start:%A, %B} {new_start.day}, {new_start.year} at {new_start:%H:%M} UTC"
    assert f"Between: {when} and {new_end:%H:%M} UTC" in text
    # now outside the due window (more than an hour ahead)
    assert login("sam.lead").get(f"{URL}?view=due").json()["callbacks"] == []


def test_reschedule_uses_the_customer_record_or_sends_nothing(
    login: LoginFn, make_callback: MakeCallback, catcher: Catcher
) -> None:
    by_customer = make_callback(timedelta(minutes=-10), email=None, customer_id="C-1003")
    nobody = make_callback(timedelta(minutes=-10), email=None)
    alex = login("alex")
    body = {"status": "rescheduled", "note": "Call later", **_window(timedelta(hours=5))}
    assert alex.post(f"{URL}/{by_customer.callback_id}/outcome", json=body).json()["email_queued"]
    resp = alex.post(f"{URL}/{nobody.callback_id}/outcome", json=body)
    assert resp.status_code == 200 and resp.json()["email_queued"] is False
    assert resp.json()["callback"]["status"] == "rescheduled"
    assert [m["To"] for m in catcher.messages()] == ["priya.n@example.com"]
