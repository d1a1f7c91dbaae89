"""The harness's hostile-input corpus (tierline_harness.hostile) through the whole desk app.

Rasa is faked over HTTP. 0 failed cases: no 5xx, no dropped socket, every message answered or
refused with a clear error; floods meet the limits' messages. A failure prints every failed
case's name.
"""

from __future__ import annotations

import io
import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tierline_harness.hostile import (
    HttpReply,
    Limits,
    Runner,
    TestClientDoor,
    _check_frames,
    check_http,
    corpus,
    report,
)

from tests.utils.desk import API_TOKEN
from tests.utils.web_chat import FakeRasa, app, chat_socket, rasa, start, until
from tierline_desk.settings import get_settings

__all__ = ["app", "rasa"]

MAIL_SECRET = "hostile-inbound-mail-secret"


def test_the_corpus_has_at_least_200_named_cases() -> None:
    cases = corpus()
    assert len(cases) >= 200
    assert len({c.name for c in cases}) == len(cases)


def test_the_checks_catch_server_errors_silent_refusals_and_unanswered_messages() -> None:
    """The runner's checks can fail: what they must reject, they reject."""
    assert check_http(HttpReply(500, {}, "boom"), frozenset())
    assert check_http(HttpReply(0, {}, "transport error"), frozenset())
    assert check_http(HttpReply(422, {}, '{"detail": {"code": "x", "message": ""}}'), frozenset())
    assert check_http(
        HttpReply(429, {}, '{"detail": {"code": "r", "message": "wait"}}'), frozenset()
    )
    assert check_http(HttpReply(200, {}, "{}"), frozenset({404}))
    assert not check_http(
        HttpReply(429, {"Retry-After": "3"}, '{"detail": {"code": "r", "message": "wait"}}'),
        frozenset(),
    )
    acked_only = [{"type": "ack", "seq": 4}, {"type": "pong"}]
    assert _check_frames(acked_only, expect_notice=False) == [
        "message seq 4 acked but never answered"
    ]
    empty_bot = [
        {"type": "ack", "seq": 4},
        {"type": "message", "sender": "bot", "seq": 5, "text": " "},
    ]
    assert _check_frames(empty_bot, expect_notice=False)
    silent_error = [{"type": "error", "code": "bad_frame", "message": ""}]
    assert _check_frames(silent_error, expect_notice=False)


def test_every_hostile_case_gets_a_sensible_reply(
    app: FastAPI,
    rasa: FakeRasa,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INBOUND_MAIL_SECRET", MAIL_SECRET)
    get_settings.cache_clear()
    settings = get_settings()
    limits = Limits(
        connection_burst=settings.chat_connection_burst,
        conversation_burst=settings.chat_conversation_burst,
        sessions_per_ip_burst=settings.chat_sessions_per_ip_burst,
        attachment_max_bytes=settings.attachment_max_bytes,
    )
    cases = corpus(limits)
    caplog.set_level(logging.WARNING)
    with TestClient(app) as client:
        runner = Runner(
            TestClientDoor(client),
            limits=limits,
            api_token=API_TOKEN,
            mail_secret=MAIL_SECRET,
            reply_timeout=10,
        )
        results = runner.run(cases)
    printed = io.StringIO()
    failed = report(results, out=printed)
    print(printed.getvalue())
    assert failed == 0, printed.getvalue()
    assert len(results) == len(cases) >= 200
    # The desk logged no crash while serving the corpus.
    crashes = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not crashes, [r.getMessage() for r in crashes]
    # Typed text never reached Rasa as a forced intent (only the bot's own buttons may).
    typed = [m["message"] for m in rasa.received]
    assert typed and not any(t.startswith("/") for t in typed), typed


# ---------------------------------------------------------------- what the corpus found


def test_fixes_found_by_the_corpus(app: FastAPI, rasa: FakeRasa) -> None:
    """Each of these once dropped the socket (a crash) or left a message unanswered."""
    with TestClient(app) as web:
        sess = start(web)
        with chat_socket(web, sess) as ws:
            # Only slashes: nothing for the bot, but the shopper still gets an answer.
            ws.send_json({"type": "message", "client_id": "s1", "text": "///"})
            answer = until(ws, lambda f: f["type"] == "message" and f["sender"] == "bot")[-1]
            assert "in a few words" in answer["text"]
            # Only zero-width characters: empty.
            ws.send_json({"type": "message", "client_id": "z1", "text": "\u200b\u200d"})
            assert until(ws, lambda f: f["type"] == "error")[-1]["code"] == "empty_message"
            # Absurdly nested JSON (RecursionError) and a binary frame: an error, not a crash.
            ws.send_text("[" * 5000 + "]" * 5000)
            assert until(ws, lambda f: f["type"] == "error")[-1]["code"] == "bad_frame"
            ws.send_bytes(b'{"type": "ping"}')
            assert until(ws, lambda f: f["type"] == "error")[-1]["code"] == "bad_frame"
            # A lone surrogate in the transcript address could not be encoded in the reply.
            ws.send_text('{"type": "email_transcript", "email": "\\ud800@example.com"}')
            notice = until(ws, lambda f: f["type"] == "notice")[-1]
            assert "doesn't look like an email address" in notice["text"]
            ws.send_json({"type": "ping"})
            until(ws, lambda f: f["type"] == "pong")
    assert [m["message"] for m in rasa.received] == []


def test_order_numbers_in_non_ascii_digits_are_not_canonical(app: FastAPI) -> None:
    with TestClient(app, headers={"Authorization": f"Bearer {API_TOKEN}"}) as api:
        resp = api.post(
            "/api/v1/orders/lookup",
            json={"order_number": "١١٢-٤٨٣٩٢٠١-٥٥٧٣٩١٠", "email": "maya.chen@example.com"},
        )
    assert resp.status_code == 422
    assert resp.json()["detail"]["code"] == "invalid_order_number"
