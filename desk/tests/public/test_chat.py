"""The web chat: session, websocket relay to Rasa (faked over HTTP), handover to people."""

from __future__ import annotations

import asyncio
import hmac
import threading
from collections.abc import Callable
from hashlib import sha256
from typing import Any, NamedTuple

import httpx
import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.utils.console import AgentClient, LoginFn, login
from tests.utils.desk import RASA_URL
from tests.utils.mail_catcher import Catcher, catcher, text_of
from tests.utils.web_chat import (
    IDENTITY_SECRET,
    MAYA_ID,
    FakeRasa,
    ask,
    bot_message,
    chat_socket,
    hello,
    messages,
    start,
    until,
    until_each,
)
from tierline_desk.api.schemas import HandoffRequest
from tierline_desk.models import Conversation, HandoffTicket
from tierline_desk.services import handoffs, shop_identity

__all__ = ["catcher", "login"]
QueueFn = Callable[[dict[str, Any]], HandoffTicket]  # the chat's handoff, queued: its ticket
ClaimFn = Callable[[dict[str, Any]], tuple[HandoffTicket, AgentClient]]  # ...and claimed by Alex

# ---------------------------------------------------------------- session


def test_a_new_session_gets_a_conversation_and_a_secret_token(web: TestClient) -> None:
    sess = start(web)
    assert sess["conversation_id"].startswith("web-") and len(sess["token"]) >= 40
    assert sess["customer"] is None and sess["resumed"] is False
    again = start(web, conversation_id=sess["conversation_id"], token=sess["token"])
    assert again["conversation_id"] == sess["conversation_id"] and again["resumed"] is True


def test_a_wrong_token_never_resumes_someone_elses_conversation(web: TestClient) -> None:
    sess = start(web)
    other = start(web, conversation_id=sess["conversation_id"], token="guess")
    assert other["conversation_id"] != sess["conversation_id"]
    assert other["resumed"] is False


def test_the_shop_identity_token_signs_the_shopper_in(web: TestClient) -> None:
    token = shop_identity.issue_token(MAYA_ID)
    sess = start(web, identity=token)
    assert sess["customer"] == {"name": "Maya Chen", "first_name": "Maya"}
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    resp = web.post("/chat/api/session", json={"identity": forged})
    assert resp.status_code == 401
    assert resp.json()["detail"]["code"] == "bad_identity"


def test_a_different_shopper_on_the_same_browser_gets_a_new_conversation(web: TestClient) -> None:
    maya = start(web, identity=shop_identity.issue_token(MAYA_ID))
    guest = start(web, conversation_id=maya["conversation_id"], token=maya["token"])
    assert guest["conversation_id"] != maya["conversation_id"] and guest["customer"] is None


def test_the_demo_shop_cookie_identifies_the_shopper(web: TestClient) -> None:
    web.cookies.set("tierline_shop", shop_identity.issue_token(MAYA_ID))
    assert start(web)["customer"]["first_name"] == "Maya"


# ---------------------------------------------------------------- websocket: the bot


def test_a_message_is_stored_acked_relayed_with_a_signed_id_and_answered(
    web: TestClient, rasa: FakeRasa, session: Session
) -> None:
    rasa.replies = lambda text: [
        {
            "recipient_id": "x",
            "text": "Which order?",
            "buttons": [{"title": "Mine", "payload": "/x"}],
        }
    ]
    sess = start(web, identity=shop_identity.issue_token(MAYA_ID))
    with web.websocket_connect("/chat/ws") as ws:
        ready = hello(ws, sess)
        assert ready["mode"] == "bot" and ready["agent"] is None
        ws.send_json({"type": "message", "client_id": "c1", "text": "where is my order"})
        frames = until(ws, bot_message)
    ack = next(f for f in frames if f["type"] == "ack")
    assert ack == {"type": "ack", "client_id": "c1", "seq": 1}
    assert any(f["type"] == "typing" and f["on"] for f in frames)
    assert frames[-1]["text"] == "Which order?" and frames[-1]["seq"] == 2
    assert frames[-1]["buttons"] == [{"title": "Mine", "payload": "/x"}]
    sent = rasa.received[0]
    assert sent["sender"] == sess["conversation_id"] and sent["message"] == "where is my order"
    expected = hmac.new(IDENTITY_SECRET.encode(), MAYA_ID.encode(), sha256).hexdigest()
    assert sent["metadata"] == {"customer_id": MAYA_ID, "customer_signature": expected}
    stored = messages(session, sess["conversation_id"])
    assert [(m.seq, m.sender) for m in stored] == [(1, "shopper"), (2, "bot")]


def test_a_guest_sends_no_customer_metadata(web: TestClient, rasa: FakeRasa) -> None:
    ask(web, "hi")
    assert "metadata" not in rasa.received[0]


def test_typed_intents_cannot_be_forced(web: TestClient, rasa: FakeRasa) -> None:
    ask(web, '  /EXTERNAL_handback{"x": 1}')
    assert rasa.received[0]["message"] == 'EXTERNAL_handback{"x": 1}'


def test_only_buttons_the_bot_offered_are_accepted(
    web: TestClient, rasa: FakeRasa, session: Session
) -> None:
    rasa.replies = lambda text: [
        {"text": "Want a person?", "buttons": [{"title": "Yes", "payload": "/affirm"}]}
    ]
    sess = start(web)
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "button", "client_id": "b0", "payload": "/affirm", "title": "Yes"})
        refused = until(ws, lambda f: f["type"] == "error")
        assert refused[-1]["code"] == "unknown_button"
        ws.send_json({"type": "message", "client_id": "c1", "text": "help"})
        until(ws, bot_message)
        ws.send_json({"type": "button", "client_id": "b1", "payload": "/affirm", "title": "Yes"})
        until(ws, lambda f: bot_message(f) and f["seq"] == 4)
    assert [r["message"] for r in rasa.received] == ["help", "/affirm"]
    shown = [m.text for m in messages(session, sess["conversation_id"])]
    assert shown == ["help", "Want a person?", "Yes", "Want a person?"]


def test_a_failed_or_empty_bot_reply_becomes_an_apology_and_an_offer_of_a_person(
    web: TestClient, rasa: FakeRasa, session: Session
) -> None:
    rasa.replies = lambda text: []
    sess = start(web)
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "c1", "text": "hello?"})
        empty = until(ws, bot_message)[-1]
        rasa.down = True
        ws.send_json({"type": "message", "client_id": "c2", "text": "anyone?"})
        failed = until(ws, bot_message)[-1]
        for apology in (empty, failed):
            assert apology["text"].startswith("I'm sorry")
            assert apology["buttons"] == [
                {"title": "Talk to a person", "payload": "/talk_to_representative"}
            ]
        # The bot is still down: the desk queues the shopper for a person itself.
        ws.send_json(
            {
                "type": "button",
                "client_id": "c3",
                "payload": "/talk_to_representative",
                "title": "Talk to a person",
            }
        )
        # The ticket and the notice are stored one after the other: a push between the two
        # sends the queue frame first.
        notice, queue = until_each(
            ws,
            lambda f: f["type"] == "message" and f["sender"] == "system",
            lambda f: f["type"] == "queue" and f["position"] is not None,
        )
    ticket = session.scalar(
        select(HandoffTicket).where(HandoffTicket.conversation_id == sess["conversation_id"])
    )
    assert ticket is not None and ticket.status == "waiting" and ticket.tier == 1
    assert ticket.ticket_number in notice["text"]
    assert queue["ticket_number"] == ticket.ticket_number and queue["position"] == 1
    assert [m["text"] for m in ticket.recent_messages][:2] == ["hello?", empty["text"]]


def test_a_failed_action_shows_what_the_bot_said_then_apologises(
    web: TestClient, rasa: FakeRasa, session: Session
) -> None:
    rasa.replies = lambda text: [{"recipient_id": "x", "text": "Let me look up that order."}]
    rasa.action_failed = True
    sess = start(web)
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "c1", "text": "where is my order"})
        apology = until(ws, lambda f: bot_message(f) and f["text"].startswith("I'm sorry"))[-1]
    assert apology["buttons"] == [
        {"title": "Talk to a person", "payload": "/talk_to_representative"}
    ]
    shown = [(m.sender, m.text[:26]) for m in messages(session, sess["conversation_id"])]
    assert shown == [
        ("shopper", "where is my order"),
        ("bot", "Let me look up that order."),
        ("bot", "I'm sorry, I couldn't come"),
    ]


def test_the_bots_answer_waits_for_the_database_to_come_back(
    web: TestClient, rasa: FakeRasa, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database restart while the bot answers: the answer is stored once it is back."""
    from sqlalchemy.exc import OperationalError

    from tierline_desk.services import chat as chat_service

    real_append = chat_service.append
    outages = {"left": 3}

    def append(session: Session, conversation_id: str, sender: str, *a: Any, **k: Any) -> Any:
        if sender == "bot" and outages["left"] > 0:
            outages["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("the database system is starting up"))
        return real_append(session, conversation_id, sender, *a, **k)

    monkeypatch.setattr(chat_service, "append", append)
    sess, answer = ask(web, "where is my order")
    assert answer["text"] == "You said: where is my order"
    assert outages["left"] == 0
    shown = [(m.sender, m.text) for m in messages(session, sess["conversation_id"])]
    assert shown == [("shopper", "where is my order"), ("bot", "You said: where is my order")]


def test_a_message_stored_as_the_database_goes_away_is_still_relayed(
    web: TestClient, rasa: FakeRasa, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the shopper's message is committed, the desk needs no further read to relay it:
    the database failing right after the commit must not leave it stored but unanswered."""
    from sqlalchemy.exc import OperationalError

    from tierline_desk.services import chat as chat_service

    real_insert, real_get = chat_service._insert, chat_service.get
    armed = {"now": False, "failed": 0}

    def insert(session: Session, message: Any) -> Any:
        stored = real_insert(session, message)
        if message.sender == "shopper":
            armed["now"] = True  # the next read after this commit finds the database gone
        return stored

    def get(session: Session, conversation_id: str) -> Any:
        if armed["now"]:
            armed["now"] = False
            armed["failed"] += 1
            raise OperationalError("SELECT", {}, Exception("server closed the connection"))
        return real_get(session, conversation_id)

    monkeypatch.setattr(chat_service, "_insert", insert)
    monkeypatch.setattr(chat_service, "get", get)
    sess, answer = ask(web, "where is my order")
    assert answer["text"] == "You said: where is my order"
    assert [m["message"] for m in rasa.received] == ["where is my order"]
    shown = [(m.sender, m.text) for m in messages(session, sess["conversation_id"])]
    assert shown == [("shopper", "where is my order"), ("bot", "You said: where is my order")]


def test_reconnecting_replays_only_what_was_missed_and_retries_are_not_doubled(
    web: TestClient, rasa: FakeRasa, session: Session
) -> None:
    sess = start(web)
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "c1", "text": "one"})
        until(ws, bot_message)
        ws.send_json({"type": "message", "client_id": "c2", "text": "two"})
        until(ws, lambda f: bot_message(f) and f["seq"] == 4)
    with chat_socket(web, sess, last_seq=2) as ws:
        replay = until(ws, lambda f: f["type"] == "message" and f["seq"] == 4)
        assert [f["seq"] for f in replay if f["type"] == "message"] == [3, 4]
        # The widget never saw the ack for "two": it sends it again with the same client id.
        ws.send_json({"type": "message", "client_id": "c2", "text": "two"})
        ack = until(ws, lambda f: f["type"] == "ack")[-1]
        assert ack["seq"] == 3
        ws.send_json({"type": "ping"})
        until(ws, lambda f: f["type"] == "pong")
    assert [r["message"] for r in rasa.received] == ["one", "two"]
    assert len(messages(session, sess["conversation_id"])) == 4


def test_bad_input_gets_a_clear_error_and_nothing_is_stored(
    web: TestClient, rasa: FakeRasa, session: Session
) -> None:
    sess = start(web)
    with chat_socket(web, sess) as ws:
        ws.send_text("{not json")
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "message", "client_id": "c1", "text": "x" * 100_000})
        too_long = ws.receive_json()
        assert too_long["code"] == "too_long" and too_long["client_id"] == "c1"
        assert "100000" in too_long["message"]
        ws.send_json({"type": "message", "client_id": "c2", "text": " \x00\x07 "})
        assert ws.receive_json()["code"] == "empty_message"
        ws.send_json({"type": "message", "text": "no id"})
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "dance"})
        assert ws.receive_json()["code"] == "bad_frame"
        ws.send_json({"type": "message", "client_id": "c3", "text": "a\x00b <script>x</script>"})
        until(ws, bot_message)
    assert rasa.received[0]["message"] == "ab <script>x</script>"
    assert (
        next(m.text for m in messages(session, sess["conversation_id"]))
        == rasa.received[0]["message"]
    )


def test_a_flood_from_one_shopper_is_rate_limited(web: TestClient, rasa: FakeRasa) -> None:
    sess = start(web)
    errors = []
    with chat_socket(web, sess) as ws:
        for n in range(12):
            ws.send_json({"type": "message", "client_id": f"c{n}", "text": f"spam {n}"})
        frames = until(ws, lambda f: f["type"] == "error", limit=200)
        errors.append(frames[-1])
    assert errors[0]["code"] == "rate_limited" and "wait a few seconds" in errors[0]["message"]
    assert len(rasa.received) < 12


def test_a_bad_hello_closes_the_socket_with_a_reason(web: TestClient) -> None:
    with web.websocket_connect("/chat/ws") as ws:
        ws.send_json({"type": "hello", "conversation_id": "web-" + "0" * 24, "token": "nope"})
        assert ws.receive_json()["code"] == "ws_4401"


def test_a_foreign_origin_is_refused(web: TestClient) -> None:
    from starlette.websockets import WebSocketDisconnect

    with (
        pytest.raises(WebSocketDisconnect),
        web.websocket_connect("/chat/ws", headers={"origin": "https://evil.example"}) as ws,
    ):
        ws.receive_json()


# ---------------------------------------------------------------- people take over


@pytest.fixture
def queued(session: Session, web: TestClient) -> QueueFn:
    def _queue(sess: dict[str, Any]) -> HandoffTicket:
        req = HandoffRequest.model_validate(
            {
                "conversation_id": sess["conversation_id"],
                "tier": 1,
                "reason": "Package arrived damaged",
                "customer": {"id": MAYA_ID},
                "order_number": "112-4839201-5573910",
            }
        )
        ticket, _ = handoffs.create(session, req, "bot")
        session.commit()
        return ticket

    return _queue


@pytest.fixture
def claimed(login: LoginFn, queued: QueueFn) -> ClaimFn:
    """The chat's ticket, queued and claimed by Alex (an associate)."""

    def _claim(sess: dict[str, Any]) -> tuple[HandoffTicket, AgentClient]:
        ticket = queued(sess)
        alex = login("alex")
        alex.post(f"/console/api/tickets/{ticket.ticket_number}/claim")
        return ticket, alex

    return _claim


class ClaimedChat(NamedTuple):
    """A chat session, and its handoff's ticket claimed by Alex with Alex's console client."""

    sess: dict[str, Any]
    ticket: HandoffTicket
    alex: AgentClient


@pytest.fixture
def mayas_claimed_chat(web: TestClient, rasa: FakeRasa, claimed: ClaimFn) -> ClaimedChat:
    """Maya (signed in by the shop) in the chat, her handoff claimed by Alex."""
    sess = start(web, identity=shop_identity.issue_token(MAYA_ID))
    return ClaimedChat(sess, *claimed(sess))


def test_an_agent_takes_over_chats_acts_and_hands_back_to_the_bot(
    web: TestClient, rasa: FakeRasa, session: Session, login: LoginFn, queued: QueueFn
) -> None:
    sess = start(web, identity=shop_identity.issue_token(MAYA_ID))
    ticket = queued(sess)
    alex = login("alex")
    with web.websocket_connect("/chat/ws") as ws:
        ready = hello(ws, sess)
        assert ready["queue"]["position"] == 1 and ready["queue"]["ticket_number"]
        assert alex.post(f"/console/api/tickets/{ticket.ticket_number}/claim").status_code == 200
        joined = until(ws, lambda f: f["type"] == "agent" and f["agent"] is not None)
        agent = joined[-1]["agent"]
        assert (
            agent
            == {
                "name": "Alex Rivera",
                "role": "associate",
                "tier_label": "Customer Service Associate",
            }
            or agent["tier_label"] == "Customer Service Associate"
        )
        notice = next(f for f in joined if f["type"] == "message")
        assert notice["sender"] == "system" and "joined the chat" in notice["text"]
        assert rasa.events[0] == [{"event": "pause"}]

        ws.send_json({"type": "message", "client_id": "s1", "text": "It came in pieces"})
        until(ws, lambda f: f["type"] == "ack")
        seen = alex.get(f"/console/api/tickets/{ticket.ticket_number}/messages?after=0").json()
        assert seen["mode"] == "agent" and seen["web_chat"] is True
        assert seen["messages"][-1]["text"] == "It came in pieces"
        assert rasa.received == []  # a person has the chat: nothing goes to the bot

        reply = alex.post(
            f"/console/api/tickets/{ticket.ticket_number}/messages",
            json={"text": "So sorry! Let me fix that."},
        )
        assert reply.status_code == 201, reply.text
        said = until(ws, lambda f: f["type"] == "message" and f["sender"] == "agent")[-1]
        assert said["text"] == "So sorry! Let me fix that." and said["author_role"] == "associate"

        back = alex.post(
            f"/console/api/tickets/{ticket.ticket_number}/handback",
            json={"outcome": "a replacement is on its way"},
        )
        assert back.status_code == 200, back.text
        assert back.json()["status"] == "resolved"
        frames = until(ws, bot_message)
        assert frames[-1]["text"] == "I'm back. Outcome: a replacement is on its way"
        if not any(f["type"] == "agent" and f["agent"] is None for f in frames):
            until(ws, lambda f: f["type"] == "agent" and f["agent"] is None)
    conversation = session.scalar(
        select(Conversation).where(Conversation.conversation_id == sess["conversation_id"])
    )
    assert conversation is not None
    session.refresh(conversation)
    assert conversation.mode == "bot" and conversation.agent_id is None
    assert rasa.events[1] == [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
    seqs = [m.seq for m in messages(session, sess["conversation_id"])]
    assert seqs == list(range(1, len(seqs) + 1))


def test_handback_fails_cleanly_when_the_bot_is_down(
    web: TestClient, session: Session, login: LoginFn, queued: QueueFn
) -> None:
    sess = start(web)
    ticket = queued(sess)
    alex = login("alex")
    with respx.mock(base_url=RASA_URL, assert_all_called=False) as router:
        router.post(path__regex=r".*").mock(return_value=httpx.Response(503))
        alex.post(f"/console/api/tickets/{ticket.ticket_number}/claim")
        resp = alex.post(
            f"/console/api/tickets/{ticket.ticket_number}/handback", json={"outcome": "done"}
        )
    assert resp.status_code == 502 and resp.json()["detail"]["code"] == "rasa_unavailable"
    session.refresh(ticket)
    assert ticket.status == "claimed"


def test_writing_to_a_chat_needs_the_claim(
    web: TestClient, rasa: FakeRasa, login: LoginFn, queued: QueueFn
) -> None:
    ticket = queued(start(web))
    resp = login("alex").post(
        f"/console/api/tickets/{ticket.ticket_number}/messages", json={"text": "hi"}
    )
    assert resp.status_code == 409 and resp.json()["detail"]["code"] == "not_claimed"


def test_the_authority_endpoint_shows_the_roles_limits(login: LoginFn) -> None:
    assert login("alex").get("/console/api/authority").json() == {
        "role": "associate",
        "refund": "200.00",
        "certificate": "25.00",
        "reship": True,
        "budget": "200.00",
        "daily": "1000.00",
        "reships_per_order": 1,
    }
    assert login("jordan.ecr").get("/console/api/authority").json()["refund"] == "unlimited"
    assert login("admin").get("/console/api/authority").json()["refund"] is None


def test_the_conversation_count_matches_sessions(web: TestClient, session: Session) -> None:
    start(web)
    start(web)
    assert session.scalar(select(func.count()).select_from(Conversation)) == 2


def test_a_refund_is_told_in_the_chat_and_confirmed_by_email(
    web: TestClient, catcher: Catcher, mayas_claimed_chat: ClaimedChat
) -> None:
    sess, ticket, alex = mayas_claimed_chat
    url = f"/console/api/tickets/{ticket.ticket_number}/refund"
    body = {"amount": "20.00", "reason": "damaged"}
    with chat_socket(web, sess) as ws:
        refund = alex.post(url, json=body, key="refund-1")
        assert refund.status_code == 201, refund.text
        refund_id = refund.json()["refund_id"]
        line = until(ws, lambda f: f["type"] == "message" and refund_id in f["text"])[-1]
        assert line["sender"] == "system" and "$20.00" in line["text"]
        assert "confirmation email" in line["text"]
        # A retried request (same key) replays the result: no second line, no second mail.
        again = alex.post(url, json=body, key="refund-1")
        assert again.headers["Idempotent-Replayed"] == "true"
    mail = catcher.only()
    assert mail["To"] == "maya.chen@example.com" and refund_id in mail["Subject"]
    assert "$20.00" in text_of(mail)


def test_email_me_this_chat_sends_the_whole_history_with_the_agents_lines(
    web: TestClient, rasa: FakeRasa, catcher: Catcher, claimed: ClaimFn
) -> None:
    sess = start(web, identity=shop_identity.issue_token(MAYA_ID))
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "c1", "text": "my parcel is late"})
        until(ws, bot_message)
        ticket, alex = claimed(sess)
        alex.post(
            f"/console/api/tickets/{ticket.ticket_number}/messages",
            json={"text": "I've checked with the carrier."},
        )
        until(ws, lambda f: f["type"] == "message" and f["sender"] == "agent")
        ws.send_json({"type": "email_transcript", "email": None})
        notice = until(ws, lambda f: f["type"] == "notice")[-1]
        assert notice["text"].startswith("We've emailed a copy of this chat to m")
        ws.send_json({"type": "email_transcript", "email": "not-an-address"})
        refused = until(ws, lambda f: f["type"] == "notice")[-1]
        assert "doesn't look like an email address" in refused["text"]
    body = text_of(catcher.only())
    assert "my parcel is late" in body and "You said: my parcel is late" in body
    assert "Alex Rivera" in body and "I've checked with the carrier." in body


def test_the_shopper_sees_when_the_agent_is_typing(
    web: TestClient, rasa: FakeRasa, claimed: ClaimFn
) -> None:
    sess = start(web)
    ticket, alex = claimed(sess)
    with chat_socket(web, sess) as ws:
        typed = alex.post(f"/console/api/tickets/{ticket.ticket_number}/typing")
        assert typed.status_code == 204
        on = until(ws, lambda f: f["type"] == "typing" and f["who"] == "agent")[-1]
        assert on == {"type": "typing", "who": "agent", "name": "Alex Rivera", "on": True}
        alex.post(f"/console/api/tickets/{ticket.ticket_number}/messages", json={"text": "Hi!"})
        off = until(ws, lambda f: f["type"] == "typing" and f["who"] == "agent")[-1]
        assert off["on"] is False


def test_only_the_agent_on_the_ticket_can_type_in_it(
    web: TestClient, login: LoginFn, queued: QueueFn
) -> None:
    ticket = queued(start(web))
    resp = login("alex").post(f"/console/api/tickets/{ticket.ticket_number}/typing")
    assert resp.status_code == 409 and resp.json()["detail"]["code"] == "not_claimed"


def test_certificates_and_reships_are_told_in_the_chat_and_emailed(
    web: TestClient, catcher: Catcher, mayas_claimed_chat: ClaimedChat
) -> None:
    sess, ticket, alex = mayas_claimed_chat
    base = f"/console/api/tickets/{ticket.ticket_number}"
    with chat_socket(web, sess) as ws:
        cert = alex.post(
            f"{base}/certificate", json={"amount": "15.00", "reason": "sorry"}, key="c1"
        )
        assert cert.status_code == 201, cert.text
        code = cert.json()["code"]
        line = until(ws, lambda f: f["type"] == "message" and code in f["text"])[-1]
        assert "$15.00 off" in line["text"] and "confirmation email" in line["text"]
        sku = alex.get(f"{base}").json()["order"]["items"][0]["sku"]
        reship = alex.post(
            f"{base}/reship", json={"items": [{"sku": sku}], "reason": "lost"}, key="r1"
        )
        assert reship.status_code == 201, reship.text
        reship_id = reship.json()["reship_id"]
        until(ws, lambda f: f["type"] == "message" and reship_id in f["text"])
    subjects = sorted(str(m["Subject"]) for m in catcher.messages())
    assert any(code in s for s in subjects) and any("replacement" in s for s in subjects), subjects


@pytest.mark.parametrize(
    ("mode", "queue", "seconds"),
    [
        ("bot", {"ticket_number": None}, 30.0),
        ("bot", {"ticket_number": "T-1001", "position": 2}, 10.0),
        ("agent", {"ticket_number": None}, 2.0),
    ],
)
def test_sockets_look_often_only_with_a_person_and_now_and_then_while_queued(
    mode: str, queue: dict[str, Any], seconds: float
) -> None:
    from tierline_desk.public.chat import recheck_seconds
    from tierline_desk.services.chat import ChatState

    assert recheck_seconds(ChatState(mode=mode, agent=None, queue=queue)) == seconds
    assert recheck_seconds(None) == 2.0


def test_a_socket_awaiting_the_bots_answer_looks_often() -> None:
    """The answer may be stored by another replica while wake-ups can't travel (Redis away)."""
    from tierline_desk.public.chat import recheck_seconds
    from tierline_desk.services.chat import ChatState

    idle = ChatState(mode="bot", agent=None, queue={"ticket_number": None})
    assert recheck_seconds(idle, awaiting_answer=True) == 2.0


def test_a_desk_shutting_down_stores_the_answer_it_was_waiting_for(
    app: FastAPI, session: Session
) -> None:
    """A rolling restart: the widget's socket is closed, the desk stops, yet the answer to the
    message it had acknowledged is stored for the widget to read on the other replica."""
    gate = threading.Event()

    async def slow_webhook(request: httpx.Request) -> httpx.Response:
        await asyncio.to_thread(gate.wait, 10)
        return httpx.Response(200, json=[{"recipient_id": "x", "text": "It ships today."}])

    with respx.mock(base_url=RASA_URL, assert_all_called=False) as router:
        router.post("/webhooks/rest/webhook").mock(side_effect=slow_webhook)
        with TestClient(app) as web:
            sess = start(web)
            with chat_socket(web, sess) as ws:
                ws.send_json({"type": "message", "client_id": "c1", "text": "where is it?"})
                until(ws, lambda f: f["type"] == "ack")
            threading.Timer(0.5, gate.set).start()
        # The TestClient has run the desk's shutdown.
    stored = messages(session, sess["conversation_id"])
    assert [(m.sender, m.text) for m in stored] == [
        ("shopper", "where is it?"),
        ("bot", "It ships today."),
    ]
