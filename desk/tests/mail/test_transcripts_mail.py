"""Transcript requests: the chat is fetched from Rasa (faked with respx) and mailed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.desk import RASA_TOKEN, RASA_URL, audit_rows
from tests.utils.email_cases import (
    add_sent_reply,
    case_address,
    jpeg_bytes,
    make_email_case,
    shopper_mail,
)
from tests.utils.mail_catcher import Catcher, html_of, text_of, use_smtp
from tierline_desk.cli import main as cli_main
from tierline_desk.mail import inbound
from tierline_desk.mail.transcripts import parse_events
from tierline_desk.models import TranscriptRequest

CONVERSATION = "conv 77/ü"  # quoted in the URL path
TRACKER_URL = f"{RASA_URL}/conversations/conv%2077%2F%C3%BC/tracker"

EVENTS: list[dict[str, Any]] = [
    {"event": "action", "name": "action_session_start", "timestamp": 1795600000.0},
    {"event": "session_started", "timestamp": 1795600000.1},
    {"event": "user", "text": "where is my order?", "timestamp": 1795600980.5},
    {"event": "bot", "text": "Happy to check. What's the order number?", "timestamp": 1795600981},
    {"event": "user", "text": "/affirm", "timestamp": 1795600990},  # a button payload
    {"event": "user", "text": "112-4839201-5573910 <script>", "timestamp": 1795601000},
    {"event": "bot", "text": None, "data": {"buttons": []}, "timestamp": 1795601001},
    {"event": "slot", "name": "order_id", "value": "112-4839201-5573910"},
    {"event": "bot", "text": "It shipped with UPS and arrives Thursday.", "timestamp": 1795601002},
    {"event": "user", "text": "EXTERNAL: EXTERNAL_handback", "timestamp": 1795601003},
]


def request(client: TestClient, email: str = "maya.chen@example.com"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/transcript-requests", json={"conversation_id": CONVERSATION, "email": email}
    )


def rasa_with(events: list[dict[str, Any]]) -> respx.MockRouter:
    router = respx.mock(assert_all_called=True)
    router.get(TRACKER_URL, params={"token": RASA_TOKEN}).mock(
        return_value=httpx.Response(200, json={"sender_id": CONVERSATION, "events": events})
    )
    return router


def test_transcript_is_fetched_mailed_and_marked_sent(
    client: TestClient, catcher: Catcher, session: Session
) -> None:
    with rasa_with(EVENTS):
        resp = request(client)
    assert resp.status_code == 201
    body = resp.json()
    assert body["status"] == "sent"
    assert "emailed" in body["message"]

    msg = catcher.only()
    assert msg["To"] == "maya.chen@example.com"
    assert body["request_id"] in msg["Subject"]
    assert msg["X-Tierline-Reference"] == body["request_id"]
    text = text_of(msg)
    said = [
        "where is my order?",
        "Happy to check. What's the order number?",
        "112-4839201-5573910 <script>",
        "It shipped with UPS and arrives Thursday.",
    ]
    positions = [text.index(s) for s in said]
    assert positions == sorted(positions)  # in conversation order
    assert "/affirm" not in text and "EXTERNAL" not in text
    assert "[2026-11-25 10:03 UTC] You:" in text  # 1795600980.5 as UTC
    assert "Tierline:" in text
    assert "112-4839201-5573910 &lt;script&gt;" in html_of(msg)

    session.expire_all()
    row = session.get(TranscriptRequest, body["request_id"])
    assert row is not None and row.status == "sent"
    sent = audit_rows(session, "transcript.sent")
    assert len(sent) == 1
    assert sent[0].details["message_id"] == str(msg["Message-ID"])
    assert sent[0].details["messages"] == 4


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("too slow"),
        httpx.Response(500, text="boom"),
        httpx.Response(401, json={"message": "bad token"}),
        httpx.Response(200, text="not json"),
    ],
    ids=["refused", "timeout", "500", "401", "not-json"],
)
def test_rasa_down_keeps_the_request_pending_and_mails_nothing(
    client: TestClient, catcher: Catcher, session: Session, failure: Any
) -> None:
    with respx.mock(assert_all_called=True) as rasa:
        route = rasa.get(TRACKER_URL)
        if isinstance(failure, httpx.Response):
            route.mock(return_value=failure)
        else:
            route.mock(side_effect=failure)
        resp = request(client)
    assert resp.status_code == 201
    body = resp.json()
    assert body["status"] == "pending"
    assert "could not be fetched" in body["message"]
    assert catcher.messages() == []
    session.expire_all()
    row = session.get(TranscriptRequest, body["request_id"])
    assert row is not None and row.status == "pending"
    assert audit_rows(session, "transcript.sent") == []


def test_empty_conversation_is_not_mailed(client: TestClient, catcher: Catcher) -> None:
    with rasa_with(EVENTS[:2]):
        body = request(client).json()
    assert body["status"] == "pending"
    assert "no messages" in body["message"]
    assert catcher.messages() == []


def test_smtp_down_keeps_it_pending_and_the_cli_sends_it_later(
    client: TestClient,
    catcher: Catcher,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    use_smtp(monkeypatch, 9)  # nothing listens on the discard port
    with rasa_with(EVENTS):
        body = request(client).json()
    assert body["status"] == "pending"
    assert "mail server" in body["message"]
    assert catcher.messages() == []

    # The mail server is back: the retry command mails it and marks it sent.
    use_smtp(monkeypatch, catcher.port)
    with rasa_with(EVENTS):
        assert cli_main(["send-transcripts"]) == 0
    out = capsys.readouterr().out
    assert f"{body['request_id']}: sent" in out
    assert "1 sent, 0 still pending" in out
    assert body["request_id"] in catcher.only()["Subject"]
    session.expire_all()
    assert session.get(TranscriptRequest, body["request_id"]).status == "sent"  # type: ignore[union-attr]

    # Nothing left to do: a second run sends nothing more.
    assert cli_main(["send-transcripts"]) == 0
    assert len(catcher.messages()) == 1


def test_cli_retry_reports_what_stays_pending(
    client: TestClient, catcher: Catcher, capsys: pytest.CaptureFixture[str]
) -> None:
    with respx.mock(assert_all_called=True) as rasa:
        rasa.get(TRACKER_URL).mock(side_effect=httpx.ConnectError("down"))
        body = request(client).json()
        assert cli_main(["send-transcripts"]) == 4
    assert f"{body['request_id']}: pending" in capsys.readouterr().out
    assert catcher.messages() == []


def test_parse_events_ignores_junk() -> None:
    lines = parse_events(
        [
            "nonsense",
            {"event": "user"},
            {"event": "user", "text": "   "},
            {"event": "bot", "text": "hi", "timestamp": "yesterday"},
            {"event": "user", "text": " hello ", "timestamp": True},
        ]
    )
    assert [(line.sender, line.text, line.at) for line in lines] == [
        ("bot", "hi", None),
        ("user", "hello", None),
    ]


def test_the_transcript_carries_the_email_thread_of_the_conversations_case(
    client: TestClient, catcher: Catcher, session: Session
) -> None:
    case = make_email_case(session)
    case.conversation_id = CONVERSATION
    add_sent_reply(session, case, "Could you send a photo of the box?")
    answer = shopper_mail(
        to=case_address(case),
        text="Here it is.",
        attachments=[("box.jpg", "image/jpeg", jpeg_bytes())],
    )
    assert inbound.process(session, answer.as_bytes(), source="smtp").status == "threaded"
    with rasa_with(EVENTS):
        resp = request(client)
    assert resp.status_code == 201 and resp.json()["status"] == "sent", resp.text
    text = text_of(catcher.only())
    said = [
        "It shipped with UPS and arrives Thursday.",  # the chat first
        f"jordan.ecr ({case.case_number}) by email:",
        "Could you send a photo of the box?",
        f"You ({case.case_number}) by email:",
        "Here it is.",
        "[Attached: box.jpg]",
    ]
    positions = [text.index(s) for s in said]
    assert positions == sorted(positions)
