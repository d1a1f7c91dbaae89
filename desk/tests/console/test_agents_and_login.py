from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import PASSWORDS, AgentClient, LoginFn, TicketFn
from tests.utils.desk import audit_rows, code_of
from tierline_desk import cli
from tierline_desk.models import Agent, AgentSession
from tierline_desk.services import agents


def test_passwords_are_argon2_hashed_never_plain(session: Session) -> None:
    alex = session.scalar(select(Agent).where(Agent.username == "alex"))
    assert alex is not None and alex.role == "associate" and alex.display_name == "Alex Rivera"
    assert alex.password_hash.startswith("$argon2id$")
    assert PASSWORDS["alex"] not in alex.password_hash
    assert agents.verify_password(alex.password_hash, PASSWORDS["alex"])
    assert not agents.verify_password(alex.password_hash, "alex-demo-pasS")
    assert not agents.verify_password("not-a-hash", PASSWORDS["alex"])
    # Same password, different salt.
    assert agents.hash_password("same-password") != agents.hash_password("same-password")


def test_demo_agents_have_the_documented_roles(session: Session) -> None:
    rows = {a.username: (a.role, a.display_name) for a in session.scalars(select(Agent))}
    assert rows == {
        "alex": ("associate", "Alex Rivera"),
        "sam.lead": ("supervisor", "Sam Okafor"),
        "jordan.ecr": ("specialist", "Jordan Lee"),
        "admin": ("admin", "Desk Admin"),
    }
    assert agents.seed_demo_agents(session) == []  # idempotent


def test_cli_create_user_reads_stdin_and_rejects_duplicates_and_bad_roles(
    db: str, session: Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("correct horse battery\n"))
    args = ["create-user", "Kim.Tier1", "--role", "associate", "--name", "Kim Park"]
    assert cli.main([*args, "--password-stdin"]) == 0
    assert "created associate kim.tier1 (Kim Park)" in capsys.readouterr().out
    kim = session.scalar(select(Agent).where(Agent.username == "kim.tier1"))
    assert kim is not None and agents.verify_password(kim.password_hash, "correct horse battery")
    assert [r.details for r in audit_rows(session, "agent.create")] == [
        {"username": "kim.tier1", "role": "associate"}
    ]

    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert cli.main([*args, "--password-stdin"]) == 5
    assert "already exists" in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", io.StringIO("another password\n"))
    assert cli.main(["create-user", "pat", "--role", "boss", "--password-stdin"]) == 5
    err = capsys.readouterr().err
    assert "unknown role 'boss'" in err and "associate, supervisor, specialist, admin" in err

    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["create-user", "pat", "--role", "associate", "--password-stdin"]) == 5
    assert "too short" in capsys.readouterr().err


def test_cli_create_user_prompts_when_no_stdin_flag(
    db: str, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = iter(["prompted-secret", "prompted-secret"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["create-user", "lee", "--role", "supervisor"]) == 0
    lee = session.scalar(select(Agent).where(Agent.username == "lee"))
    assert lee is not None and agents.verify_password(lee.password_hash, "prompted-secret")

    answers = iter(["one-password", "two-password"])
    assert cli.main(["create-user", "lee2", "--role", "supervisor"]) == 5


def test_login_sets_an_httponly_lax_cookie_and_returns_csrf(anon: TestClient) -> None:
    resp = anon.post("/console/api/login", json={"username": "alex", "password": "alex-demo-pass"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["agent"] == {"username": "alex", "display_name": "Alex Rivera", "role": "associate"}
    assert len(body["csrf_token"]) >= 32
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("tierline_console=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # CONSOLE_COOKIE_SECURE defaults to false
    me = anon.get("/console/api/me")
    assert me.status_code == 200 and me.json()["csrf_token"] == body["csrf_token"]


def test_secure_cookie_when_settings_say_so(monkeypatch: pytest.MonkeyPatch, db: str) -> None:
    from tierline_desk.main import create_app
    from tierline_desk.settings import get_settings

    monkeypatch.setenv("CONSOLE_COOKIE_SECURE", "true")
    get_settings.cache_clear()
    with TestClient(create_app(), base_url="https://testserver") as c:
        resp = c.post(
            "/console/api/login", json={"username": "alex", "password": PASSWORDS["alex"]}
        )
        assert "Secure" in resp.headers["set-cookie"]
        assert c.get("/console/api/me").status_code == 200


@pytest.mark.parametrize(
    ("username", "password"),
    [("alex", "wrong-password"), ("nobody", "alex-demo-pass"), ("ALEX ", "alex-demo-pass!")],
)
def test_wrong_credentials_get_a_generic_401(
    anon: TestClient, username: str, password: str
) -> None:
    resp = anon.post("/console/api/login", json={"username": username, "password": password})
    assert resp.status_code == 401
    assert resp.json()["detail"] == {
        "code": "invalid_credentials",
        "message": "Wrong username or password.",
    }
    assert "set-cookie" not in resp.headers
    assert anon.get("/console/api/me").status_code == 401


def test_username_is_case_insensitive(anon: TestClient) -> None:
    resp = anon.post(
        "/console/api/login", json={"username": " Alex", "password": PASSWORDS["alex"]}
    )
    assert resp.status_code == 200


def test_inactive_agent_cannot_log_in_and_loses_sessions(
    login: LoginFn, anon: TestClient, session: Session
) -> None:
    alex: AgentClient = login("alex")
    assert alex.get("/console/api/me").status_code == 200
    agent = session.scalar(select(Agent).where(Agent.username == "alex"))
    assert agent is not None
    agent.active = False
    session.commit()
    assert alex.get("/console/api/me").status_code == 401
    resp = anon.post("/console/api/login", json={"username": "alex", "password": PASSWORDS["alex"]})
    assert resp.status_code == 401


def test_no_cookie_or_forged_cookie_is_401(anon: TestClient) -> None:
    assert code_of(anon.get("/console/api/queues")) == "not_logged_in"
    anon.cookies.set("tierline_console", "forged-token")
    assert anon.get("/console/api/queues").status_code == 401
    # The bot's bearer token is no way in either.
    resp = anon.get("/console/api/queues", headers={"Authorization": "Bearer test-desk-token"})
    assert resp.status_code == 401


def test_logout_needs_csrf_and_ends_the_session(login: LoginFn, session: Session) -> None:
    alex: AgentClient = login("alex")
    assert alex.http.post("/console/api/logout").status_code == 403  # no CSRF header
    assert alex.get("/console/api/me").status_code == 200
    resp = alex.post("/console/api/logout")
    assert resp.status_code == 204
    assert (
        'tierline_console=""' in resp.headers["set-cookie"]
        or "Max-Age=0" in resp.headers["set-cookie"]
    )
    assert alex.get("/console/api/me").status_code == 401
    session.expire_all()
    assert session.scalars(select(AgentSession)).all() == []
    assert [r.actor for r in audit_rows(session, "agent.logout")] == ["alex"]


def test_expired_session_is_rejected(login: LoginFn, session: Session) -> None:
    from datetime import timedelta

    from tierline_desk.models import utcnow

    alex: AgentClient = login("alex")
    row = session.scalars(select(AgentSession)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert alex.get("/console/api/me").status_code == 401


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-CSRF-Token": ""}, {"X-CSRF-Token": "not-the-token"}],
    ids=["missing", "empty", "wrong"],
)
def test_state_changing_calls_need_the_sessions_csrf_token(
    login: LoginFn, make_ticket: TicketFn, session: Session, headers: dict[str, str]
) -> None:
    alex: AgentClient = login("alex")
    ticket = make_ticket()
    resp = alex.http.post(f"/console/api/tickets/{ticket.ticket_number}/claim", headers=headers)
    assert resp.status_code == 403 and code_of(resp) == "csrf_failed"
    session.refresh(ticket)
    assert ticket.status == "waiting" and ticket.claimed_by is None


def test_csrf_token_is_bound_to_its_session(login: LoginFn, make_ticket: TicketFn) -> None:
    alex: AgentClient = login("alex")
    sam: AgentClient = login("sam.lead")
    ticket = make_ticket()
    url = f"/console/api/tickets/{ticket.ticket_number}/claim"
    resp = alex.http.post(url, headers={"X-CSRF-Token": sam.csrf})
    assert resp.status_code == 403 and code_of(resp) == "csrf_failed"
    assert alex.post(url).status_code == 200
