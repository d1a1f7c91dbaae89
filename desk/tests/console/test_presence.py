"""Agents online: the console's heartbeat, every authenticated call, and logout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import LoginFn
from tests.utils.desk import code_of
from tierline_desk.models import Agent
from tierline_desk.settings import get_settings


def last_seen(session: Session, username: str) -> datetime | None:
    session.expire_all()
    agent = session.scalars(select(Agent).where(Agent.username == username)).one()
    return agent.last_seen_at


def set_last_seen(session: Session, username: str, value: datetime | None) -> None:
    agent = session.scalars(select(Agent).where(Agent.username == username)).one()
    agent.last_seen_at = value
    session.commit()


def recent(moment: datetime | None) -> bool:
    return moment is not None and datetime.now(UTC) - moment < timedelta(seconds=5)


def test_heartbeat_marks_the_agent_online(login: LoginFn, session: Session) -> None:
    alex = login("alex")
    set_last_seen(session, "alex", None)
    resp = alex.post("/console/api/heartbeat")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"agent": "alex", "online": {"1": 1, "2": 0}}
    assert recent(last_seen(session, "alex"))

    sam = login("sam.lead")
    assert sam.post("/console/api/heartbeat").json() == {
        "agent": "sam.lead",
        "online": {"1": 2, "2": 1},
    }
    # A specialist's console is open too, but specialists take no tickets.
    jordan = login("jordan.ecr")
    assert jordan.post("/console/api/heartbeat").json()["online"] == {"1": 2, "2": 1}
    assert recent(last_seen(session, "jordan.ecr"))


def test_heartbeat_needs_a_session_and_the_csrf_token(
    login: LoginFn, anon: TestClient, session: Session
) -> None:
    assert code_of(anon.post("/console/api/heartbeat")) == "not_logged_in"
    alex = login("alex")
    set_last_seen(session, "alex", None)
    resp = alex.http.post("/console/api/heartbeat")  # no X-CSRF-Token
    assert resp.status_code == 403 and code_of(resp) == "csrf_failed"


def test_every_console_call_is_a_heartbeat_written_at_most_every_15_seconds(
    login: LoginFn, session: Session
) -> None:
    alex = login("alex")
    set_last_seen(session, "alex", None)
    assert alex.get("/console/api/me").status_code == 200
    first = last_seen(session, "alex")
    assert recent(first)
    assert alex.get("/console/api/me").status_code == 200
    assert last_seen(session, "alex") == first  # seen moments ago: no write

    ten_seconds_ago = datetime.now(UTC) - timedelta(seconds=10)
    set_last_seen(session, "alex", ten_seconds_ago)
    alex.get("/console/api/queues")
    assert last_seen(session, "alex") == ten_seconds_ago

    twenty_seconds_ago = datetime.now(UTC) - timedelta(seconds=20)
    set_last_seen(session, "alex", twenty_seconds_ago)
    alex.get("/console/api/queues")
    assert recent(last_seen(session, "alex"))


def test_a_short_online_window_writes_more_often(
    login: LoginFn, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENT_ONLINE_SECONDS", "10")
    get_settings.cache_clear()
    alex = login("alex")
    six_seconds_ago = datetime.now(UTC) - timedelta(seconds=6)
    set_last_seen(session, "alex", six_seconds_ago)
    alex.get("/console/api/me")
    assert recent(last_seen(session, "alex")) and last_seen(session, "alex") != six_seconds_ago


def test_logout_clears_last_seen(login: LoginFn, session: Session) -> None:
    alex = login("alex")
    alex.post("/console/api/heartbeat")
    assert recent(last_seen(session, "alex"))
    assert alex.post("/console/api/logout").status_code == 204
    assert last_seen(session, "alex") is None


def test_a_failed_login_or_dead_session_marks_nobody(
    anon: TestClient, login: LoginFn, session: Session
) -> None:
    resp = anon.post("/console/api/login", json={"username": "alex", "password": "wrong-pass"})
    assert resp.status_code == 401
    assert last_seen(session, "alex") is None
    anon.cookies.set("tierline_console", "forged-token")
    assert anon.get("/console/api/me").status_code == 401
    assert last_seen(session, "alex") is None


def test_the_console_being_open_decides_whether_handoffs_queue(
    login: LoginFn, client: Any, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BUSINESS_HOURS", "Mon-Sun 00:00-24:00")
    monkeypatch.setenv("MAX_WAIT_MINUTES", "20")
    get_settings.cache_clear()

    def ask(conversation_id: str) -> Any:
        return client.post(
            "/api/v1/handoffs",
            json={"conversation_id": conversation_id, "tier": 1, "reason": "a person please"},
        ).json()

    assert ask("conv-1")["unavailable_reason"] == "no_agents_online"
    alex = login("alex")
    alex.post("/console/api/heartbeat")
    assert ask("conv-1")["outcome"] == "queued"
    alex.post("/console/api/logout")
    assert ask("conv-2")["unavailable_reason"] == "no_agents_online"
