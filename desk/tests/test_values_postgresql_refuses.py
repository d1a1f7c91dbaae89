"""Values SQLite took and PostgreSQL refuses: a clear 4xx (or the same answer) on both, never a 500.

Found by running the suite on PostgreSQL (DESK_TEST_POSTGRES_URL, tests/utils/databases.py): text
with a NUL character, a customer id longer than its column, numbers beyond an Integer column.
These tests run on whichever database the suite runs on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from tests.utils.console import AgentClient, World, login
from tests.utils.desk import API_TOKEN, code_of
from tests.utils.web_chat import FakeRasa, app, rasa
from tierline_desk.db import get_session_factory
from tierline_desk.errors import install_error_handlers
from tierline_desk.importer import ImportFailed, import_file
from tierline_desk.migrate import upgrade_head
from tierline_desk.models import INTEGER_MAX, utcnow
from tierline_desk.services import chat

__all__ = ["app", "login", "rasa"]
NUL = "a\x00b"
ORDER = "112-4839201-5573910"


@pytest.fixture
def bot(app: FastAPI) -> TestClient:
    return TestClient(app, headers={"Authorization": f"Bearer {API_TOKEN}"})


def _callback(**over: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "conversation_id": "conv-values",
        "phone": "+14155550123",
        "window_start": (now + timedelta(hours=1)).isoformat(),
        "window_end": (now + timedelta(hours=2)).isoformat(),
        "reason": "Wants a call",
        "email": "maya.chen@example.com",
        **over,
    }


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("GET", "/api/v1/handoffs/T-%00", None),
        ("GET", "/api/v1/handoffs?status=a%00b", None),
        ("GET", "/api/v1/cases/CASE-%00", None),
        ("GET", "/api/v1/promo-codes/a%00b", None),
        ("GET", "/api/v1/delivery-reports?postal_code=a%00b", None),
        ("POST", "/api/v1/callbacks", _callback(reason=NUL)),
        (
            "POST",
            "/api/v1/handoffs",
            {"conversation_id": "conv-values", "tier": 1, "reason": NUL},
        ),
        (
            "POST",
            "/api/v1/cases",
            {"kind": "complaint", "conversation_id": "conv-values", "description": NUL},
        ),
        (
            "POST",
            "/api/v1/delivery-reports",
            {"conversation_id": "conv-values", "description": NUL, "postal_code": "94107"},
        ),
    ],
)
def test_nul_characters_in_the_bot_api_are_refused_not_a_crash(
    bot: TestClient, method: str, url: str, body: Any
) -> None:
    resp = bot.request(method, url, json=body)
    # SQLite finds nothing or stores the text; PostgreSQL can hold no NUL: 422 invalid_value.
    assert resp.status_code in (200, 201, 404, 422), resp.text
    if resp.status_code == 422:
        assert code_of(resp) == "invalid_value"


def test_nul_characters_at_the_console_are_refused_not_a_crash(
    app: FastAPI, session: Session, login: Callable[[str], AgentClient]
) -> None:
    anon = TestClient(app)
    resp = anon.post("/console/api/login", json={"username": NUL, "password": NUL})
    assert resp.status_code in (401, 422), resp.text
    sam = login("sam.lead")
    assert sam.get("/console/api/tickets/T-%00").status_code in (404, 422)
    ticket = World(session).ticket("sam.lead")
    resp = sam.post(f"/console/api/tickets/{ticket}/messages", {"text": NUL}, key="nul-1")
    assert resp.status_code in (201, 422), resp.text
    resp = sam.post(f"/console/api/tickets/{ticket}/escalate", {"note": NUL}, key="nul-2")
    assert resp.status_code in (200, 201, 422), resp.text


def test_a_callbacks_customer_id_fits_its_column(bot: TestClient) -> None:
    resp = bot.post("/api/v1/callbacks", json=_callback(customer_id="C" * 33))
    assert resp.status_code == 422, resp.text
    assert "customer_id" in resp.json()["detail"]["message"]
    resp = bot.post("/api/v1/callbacks", json=_callback(customer_id="C" * 32))
    assert resp.status_code == 201, resp.text


def test_numbers_beyond_an_integer_column_find_nothing(
    app: FastAPI, session: Session, rasa: FakeRasa, login: Callable[[str], AgentClient]
) -> None:
    world = World(session)
    sam = login("sam.lead")
    ticket = world.ticket("sam.lead")
    resp = sam.get(f"/console/api/tickets/{ticket}/messages?after={INTEGER_MAX + 1}")
    assert resp.status_code == 200 and resp.json()["messages"] == [], resp.text
    case = world.case("associates")
    for pk in (INTEGER_MAX + 1, 2**63, 10**30):
        resp = sam.post(f"/console/api/cases/{case.case_number}/messages/{pk}/resend", {})
        assert (resp.status_code, code_of(resp)) == (404, "message_not_found"), resp.text
    # A widget resuming with an absurd last_seq: nothing to replay, and no failed query (on
    # PostgreSQL that failure killed the socket's push loop: no answer ever reached it).
    conversation, _ = chat.create_conversation(session, None)
    chat.append(session, conversation.conversation_id, "shopper", "hello")
    assert len(chat.messages_after(session, conversation.conversation_id, 0)) == 1
    assert chat.messages_after(session, conversation.conversation_id, 2**40) == []


def test_other_database_data_errors_stay_server_errors() -> None:
    """Only values a request brought are the client's fault (422); e.g. a division by zero in
    our own query is a bug, and stays a 500."""

    class _Orig(Exception):
        def __init__(self, message: str, sqlstate: str | None) -> None:
            super().__init__(message)
            self.sqlstate = sqlstate

    errors = {
        "nul": _Orig("PostgreSQL text fields cannot contain NUL (0x00) bytes", None),
        "too-long": _Orig("value too long for type character varying(32)", "22001"),
        "division": _Orig("division by zero", "22012"),
    }
    probe = FastAPI()
    install_error_handlers(probe)

    @probe.get("/{kind}")
    def fail(kind: str) -> None:
        raise DataError("SELECT 1", {}, errors[kind])

    with TestClient(probe, raise_server_exceptions=False) as client:
        for kind in ("nul", "too-long"):
            resp = client.get(f"/{kind}")
            assert (resp.status_code, code_of(resp)) == (422, "invalid_value")
        assert client.get("/division").status_code == 500


def test_an_import_with_a_nul_character_is_refused_whole(empty_db: str, tmp_path: Path) -> None:
    upgrade_head()
    session = get_session_factory()()
    bad = tmp_path / "nul.json"
    customer = {
        "id": "C-9100",
        "name": "Ada\x00Park",
        "email": "ada@example.com",
        "address": {"line1": "1 Elm", "city": "Portland", "region": "OR", "postal_code": "97205"},
    }
    bad.write_text(json.dumps({"customers": [customer]}), encoding="utf-8")
    with session, pytest.raises(ImportFailed) as failed:
        import_file(session, bad)
    assert "customers[0] (C-9100).name: Value error, contains a NUL character" in str(failed.value)
