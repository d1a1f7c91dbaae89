"""'Email me this chat' is no mail relay: limited, and a signed-in shopper's goes to their
account's email unless they confirm another address. One service for widget and bot."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession

from tests.utils.desk import API_TOKEN
from tests.utils.mail_catcher import Catcher, catcher
from tests.utils.web_chat import (
    MAYA_ID,
    FakeRasa,
    Frame,
    app,
    bot_message,
    chat_socket,
    rasa,
    start,
    until,
    web,
)
from tierline_desk.services import shop_identity

__all__ = ["app", "catcher", "rasa", "web"]
MAYA_EMAIL = "maya.chen@example.com"
ROOT = Path(__file__).resolve().parents[3]


def ask(ws: WebSocketTestSession, email: str | None, **extra: object) -> Frame:
    ws.send_json({"type": "email_transcript", "email": email, **extra})
    return until(ws, lambda f: f["type"] in ("notice", "error", "confirm_email"))[-1]


def chatted(web: TestClient, **body: object) -> dict[str, str]:
    sess = start(web, **body)
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "c1", "text": "hello"})
        until(ws, bot_message)
    return sess


def test_a_guest_cannot_use_the_chat_as_a_mail_relay(
    web: TestClient, rasa: FakeRasa, catcher: Catcher
) -> None:
    sess = chatted(web)
    with chat_socket(web, sess, last_seq=2) as ws:
        answers = [ask(ws, f"victim{i}@example.net") for i in range(40)]
    sent = [a for a in answers if a["type"] == "notice" and "We've emailed" in a["text"]]
    refused = [a for a in answers if a["type"] == "error"]
    assert len(sent) == 3 and len(refused) == 37
    assert refused[0]["code"] == "rate_limited" and refused[0]["retry_after"] >= 1
    assert "please wait about" in refused[0]["message"]
    assert len(catcher.messages()) == 3


def test_one_client_address_is_limited_across_conversations(
    web: TestClient, rasa: FakeRasa, catcher: Catcher
) -> None:
    outcomes = []
    for i in range(4):
        sess = chatted(web)
        with chat_socket(web, sess, last_seq=2) as ws:
            outcomes += [ask(ws, f"someone{i}-{j}@example.net")["type"] for j in range(2)]
    assert outcomes.count("notice") == 5  # the address's burst
    assert len(catcher.messages()) == 5


def test_a_signed_in_shopper_confirms_another_address(
    web: TestClient, rasa: FakeRasa, catcher: Catcher
) -> None:
    sess = chatted(web, identity=shop_identity.issue_token(MAYA_ID))
    with chat_socket(web, sess, last_seq=2) as ws:
        question = ask(ws, "someone.else@example.net")
        assert question["type"] == "confirm_email"
        assert question["email"] == "someone.else@example.net"
        assert "not to the email on your account (m***@example.com)" in question["text"]
        assert catcher.messages() == []  # nothing sent without the confirmation
        done = ask(ws, "someone.else@example.net", confirm=True)
        assert done["type"] == "notice" and "s***@example.net" in done["text"]
        own = ask(ws, None)
        assert own["type"] == "notice" and "m***@example.com" in own["text"]
        same = ask(ws, MAYA_EMAIL.upper())  # their own address needs no confirmation
        assert same["type"] == "notice"
    assert [m["To"] for m in catcher.messages()] == [
        "someone.else@example.net",
        MAYA_EMAIL,
        MAYA_EMAIL.upper(),
    ]


def test_only_a_literal_true_confirms(web: TestClient, rasa: FakeRasa, catcher: Catcher) -> None:
    sess = chatted(web, identity=shop_identity.issue_token(MAYA_ID))
    with chat_socket(web, sess, last_seq=2) as ws:
        for confirm in ("true", 1, "yes", None):
            assert ask(ws, "x@example.net", confirm=confirm)["type"] == "confirm_email"
    assert catcher.messages() == []


def test_the_bots_path_shares_the_service_and_the_conversations_limit(
    web: TestClient, rasa: FakeRasa, catcher: Catcher
) -> None:
    guest = chatted(web)
    maya = chatted(web, identity=shop_identity.issue_token(MAYA_ID))
    auth = {"Authorization": f"Bearer {API_TOKEN}"}

    def post(conversation_id: str, email: str) -> httpx.Response:
        return web.post(
            "/api/v1/transcript-requests",
            json={"conversation_id": conversation_id, "email": email},
            headers=auth,
        )

    with chat_socket(web, guest, last_seq=2) as ws:
        assert ask(ws, "a@example.net")["type"] == "notice"
    codes = [post(guest["conversation_id"], f"b{i}@example.net").status_code for i in range(4)]
    assert codes == [201, 201, 429, 429]
    refused = post(guest["conversation_id"], "c@example.net")
    assert refused.json()["detail"]["code"] == "rate_limited" and refused.headers["Retry-After"]
    other = post(maya["conversation_id"], "someone.else@example.net")
    assert other.status_code == 409 and other.json()["detail"]["code"] == "confirm_address"
    assert post(maya["conversation_id"], MAYA_EMAIL).status_code == 201


def test_the_widget_answers_the_confirmation() -> None:
    chat = ROOT / "desk/tierline_desk/static/chat"
    widget = "\n".join(path.read_text() for path in sorted(chat.rglob("*.js")))
    assert 'case "confirm_email":' in widget
    assert '{ type: "email_transcript", email, confirm: true }' in widget
    assert '{ type: "email_transcript", email: null }' in widget


def test_one_code_path_mails_transcripts() -> None:
    desk = ROOT / "desk/tierline_desk"
    callers = [
        p.relative_to(desk).as_posix()
        for p in desk.rglob("*.py")
        if "transcript_mail.deliver(" in p.read_text()
        or "mail_transcripts.deliver(" in p.read_text()
    ]
    assert callers == ["services/transcript_requests.py"]
