"""The live console websocket (/console/ws) on one desk (the in-memory hub and presence):
events by role, the open ticket's chat, catching up after a drop, presence and collisions."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect
from tierline_harness.hostile import REFUSED_TEXTS, TEXTS

from tests.utils.console import AgentClient, World
from tests.utils.console_live import (
    chat_seqs,
    event,
    frames_until,
    live_console,
    mentions,
    presence_of,
)
from tests.utils.web_chat import FakeRasa, rasa
from tierline_desk.console.live import RECHECK_SECONDS
from tierline_desk.models import Agent, HandoffTicket
from tierline_desk.services import chat
from tierline_desk.services.chat_hub import get_hub
from tierline_desk.services.console_events import Audience, publish
from tierline_desk.services.conversation_control import say

__all__ = ["rasa"]

Login = Callable[[str], AgentClient]


def _conversation(session: Session, number: str) -> str:
    ticket = session.scalar(select(HandoffTicket).where(HandoffTicket.ticket_number == number))
    assert ticket is not None
    return ticket.conversation_id


def _alex_with_his_ticket(login: Login, session: Session) -> tuple[AgentClient, str]:
    """Alex logged in, and a tier-1 web-chat ticket he claimed."""
    return login("alex"), World(session).ticket("alex", tier=1)


@contextmanager
def _alex_watching_his_ticket(
    login: Login, session: Session
) -> Iterator[tuple[AgentClient, str, WebSocketTestSession, dict[str, Any]]]:
    """Alex's console with his ticket open: (alex, ticket number, socket, first chat frame)."""
    agent, number = _alex_with_his_ticket(login, session)
    with live_console(agent) as ws:
        ws.send_json({"type": "watch", "ticket": number})
        yield agent, number, ws, frames_until(ws, lambda f: f["type"] == "messages")[-1]


def _shopper_says(session: Session, conversation_id: str, text: str) -> int:
    message = say(session, conversation_id, text, sender="shopper")
    assert message is not None
    return message.seq


# ------------------------------------------------------------------ events by role


def test_a_new_ticket_is_pushed_to_the_agents_of_its_tier(login: Login, session: Session) -> None:
    world = World(session)
    with live_console(login("alex")) as alex, live_console(login("sam.lead")) as sam:
        number = world.ticket(None, tier=1)
        created = frames_until(alex, event("ticket.created", number))[-1]
        assert created["data"] == {
            "ticket_number": number,
            "tier": 1,
            "status": "waiting",
            "conversation_id": _conversation(session, number),
        }
        frames_until(sam, event("ticket.created", number))


def test_an_associate_never_receives_a_tier_2_ticket_event(
    login: Login, session: Session, rasa: FakeRasa
) -> None:
    world = World(session)
    with live_console(login("alex")) as alex, live_console(login("sam.lead")) as sam:
        # A tier-2 ticket is created and claimed, and its supervisor opens it (presence).
        tier2 = world.ticket("sam.lead", tier=2)
        sam.send_json({"type": "watch", "ticket": tier2})
        seen_by_sam = frames_until(sam, presence_of(f"ticket:{tier2}", "sam.lead"))
        # Then a tier-1 ticket: events reach each socket in order, so once alex has the
        # tier-1 event, any tier-2 event would have come before it.
        tier1 = world.ticket(None, tier=1)
        seen_by_alex = frames_until(alex, event("ticket.created", tier1))
        assert mentions(seen_by_alex, tier2) == []
        seen_by_sam += frames_until(sam, event("ticket.created", tier1))
        assert {f["kind"] for f in mentions(seen_by_sam, tier2) if f["type"] == "event"} == {
            "ticket.created",
            "ticket.claimed",
        }
        # Asking to watch it is refused like the REST call.
        alex.send_json({"type": "watch", "ticket": tier2})
        refused = frames_until(alex, lambda f: f["type"] == "error")[-1]
        assert refused["code"] == "forbidden_role"


def test_claims_and_escalations_reach_the_other_agents(
    login: Login, session: Session, rasa: FakeRasa
) -> None:
    world = World(session)
    alex_http, sam_http = login("alex"), login("sam.lead")
    with live_console(alex_http) as alex, live_console(sam_http) as sam:
        number = world.ticket(None, tier=1)
        assert alex_http.post(f"/console/api/tickets/{number}/claim").status_code == 200
        claimed = frames_until(sam, event("ticket.claimed", number))[-1]
        assert claimed["data"]["status"] == "claimed"
        resp = alex_http.post(f"/console/api/tickets/{number}/escalate", {"note": "over my limit"})
        assert resp.status_code == 200, resp.text
        # alex no longer holds it and works no tier-2 queue, but is told it left his hands.
        escalated = frames_until(alex, event("ticket.escalated", number))[-1]
        assert escalated["data"] == {**claimed["data"], "tier": 2, "status": "waiting"}
        frames_until(sam, event("ticket.escalated", number))


def test_a_rolled_back_change_is_never_announced(login: Login, session: Session) -> None:
    world = World(session)
    with live_console(login("alex")) as alex:
        publish(session, Audience(frozenset({"associate"})), "ticket.created", {"n": "ghost"})
        session.rollback()
        number = world.ticket(None, tier=1)  # commits: only its own event goes out
        assert mentions(frames_until(alex, event("ticket.created", number)), "ghost") == []


# ------------------------------------------------------------------ the open ticket's chat


def test_the_open_tickets_chat_is_pushed_and_catches_up_after_a_drop(
    login: Login, session: Session, rasa: FakeRasa
) -> None:
    agent, number = _alex_with_his_ticket(login, session)
    conversation_id = _conversation(session, number)
    first = [_shopper_says(session, conversation_id, f"before {i}") for i in range(2)]
    with live_console(agent) as alex:
        alex.send_json({"type": "watch", "ticket": number, "after_seq": 0})
        history = frames_until(alex, lambda f: f["type"] == "messages")
        assert chat_seqs(history) == first
        # The agent's own reply (REST) and the shopper's next line come over the socket.
        resp = agent.post(f"/console/api/tickets/{number}/messages", {"text": "On it"})
        assert resp.status_code == 201, resp.text
        live = frames_until(alex, lambda f: chat_seqs([f]) == [resp.json()["seq"]])
        assert resp.json()["seq"] in chat_seqs(live)
        last_seen = resp.json()["seq"]
    # Dropped: three lines arrive while the console is away.
    missed = [_shopper_says(session, conversation_id, f"while away {i}") for i in range(3)]
    with live_console(agent) as alex:
        alex.send_json({"type": "watch", "ticket": number, "after_seq": last_seen})
        caught_up = frames_until(alex, lambda f: f["type"] == "messages")
        assert chat_seqs(caught_up) == missed  # each missed line once, in order, nothing older
        after = _shopper_says(session, conversation_id, "and one more")
        assert chat_seqs(frames_until(alex, lambda f: f["type"] == "messages")) == [after]
    rows = chat.messages_after(session, conversation_id, 0)
    assert [m.seq for m in rows] == [*first, last_seen, *missed, after]


def test_the_shopper_typing_shows_on_the_console_at_once(
    login: Login, session: Session, rasa: FakeRasa
) -> None:
    with _alex_watching_his_ticket(login, session) as (_, number, alex, first):
        assert first["shopper_typing"] is False
        started = time.monotonic()
        get_hub().shopper_typing(_conversation(session, number))  # the widget's typing frame
        typing = frames_until(alex, lambda f: f["type"] == "messages")[-1]
        assert typing["shopper_typing"] is True and typing["messages"] == []
        # Woken at once, not found by the socket's next look at the database (15 s).
        assert time.monotonic() - started < RECHECK_SECONDS / 3


def test_the_queues_catch_up_after_a_drop_through_the_rest_api(
    login: Login, session: Session
) -> None:
    world = World(session)
    agent = login("alex")
    with live_console(agent) as alex:
        seen = world.ticket(None, tier=1)
        frames_until(alex, event("ticket.created", seen))
    missed = world.ticket(None, tier=1)  # created while the console was away
    with live_console(agent):
        waiting = agent.get("/console/api/queues").json()["queues"][0]["waiting"]
        numbers = [t["ticket_number"] for t in waiting]
        assert numbers.count(seen) == 1 and numbers.count(missed) == 1


def test_watching_ends_when_the_ticket_leaves_the_agents_sight(
    login: Login, session: Session, rasa: FakeRasa
) -> None:
    with _alex_watching_his_ticket(login, session) as (agent, number, alex, _):
        resp = agent.post(f"/console/api/tickets/{number}/escalate", {"note": "needs Sam"})
        assert resp.status_code == 200
        _shopper_says(session, _conversation(session, number), "hello?")  # wakes the watch
        ended = frames_until(alex, lambda f: f["type"] == "unwatched")[-1]
        assert ended == {
            "type": "unwatched",
            "subject": f"ticket:{number}",
            "reason": "no_longer_visible",
        }


# ------------------------------------------------------------------ presence and collisions


def test_two_agents_see_each_other_viewing_and_typing(
    login: Login, session: Session, rasa: FakeRasa
) -> None:
    world = World(session)
    number = world.ticket("alex", tier=1)
    subject = f"ticket:{number}"
    with live_console(login("alex")) as alex:
        alex.send_json({"type": "watch", "ticket": number})
        frames_until(alex, presence_of(subject, "alex"))
        with live_console(login("sam.lead")) as sam:
            sam.send_json({"type": "watch", "ticket": number})
            frames_until(sam, presence_of(subject, "alex", "sam.lead"))
            frames_until(alex, presence_of(subject, "alex", "sam.lead"))
            sam.send_json({"type": "typing"})
            typing = frames_until(alex, presence_of(subject, "alex", "sam.lead", typing="sam.lead"))
            sam_row = [v for v in typing[-1]["viewers"] if v["username"] == "sam.lead"]
            assert sam_row == [
                {
                    "username": "sam.lead",
                    "display_name": "Sam Okafor",
                    "role": "supervisor",
                    "typing": True,
                }
            ]
        # Sam's console closed: he is gone from the ticket at once.
        frames_until(alex, presence_of(subject, "alex"))


def test_presence_on_an_email_case_and_leaving_it(login: Login, session: Session) -> None:
    world = World(session)
    case = world.case("executive_customer_relations").case_number
    subject = f"case:{case}"
    with live_console(login("jordan.ecr")) as jordan, live_console(login("sam.lead")) as sam:
        jordan.send_json({"type": "watch", "case": case})
        frames_until(jordan, presence_of(subject, "jordan.ecr"))
        sam.send_json({"type": "watch", "case": case})
        frames_until(jordan, presence_of(subject, "jordan.ecr", "sam.lead"))
        sam.send_json({"type": "unwatch"})
        frames_until(jordan, presence_of(subject, "jordan.ecr"))


# ------------------------------------------------------------------ refusals


def _refused(ws_frames: list[dict[str, object]], code: str) -> None:
    assert ws_frames and ws_frames[-1]["code"] == code, ws_frames


def test_the_websocket_needs_a_session(app: FastAPI) -> None:
    with TestClient(app) as anon, anon.websocket_connect("/console/ws") as ws:
        _refused([ws.receive_json()], "not_logged_in")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4401


def test_the_websocket_refuses_another_sites_origin(login: Login) -> None:
    agent = login("alex")
    with (
        pytest.raises(WebSocketDisconnect) as refused,
        agent.http.websocket_connect("/console/ws", headers={"origin": "https://evil.example"}),
    ):
        pass
    assert refused.value.code == 1008
    # The desk's own origin is fine.
    with live_console(agent, headers={"origin": "http://testserver"}):
        pass


def test_the_websocket_needs_the_sessions_csrf_token(login: Login) -> None:
    agent = login("alex")
    with agent.http.websocket_connect("/console/ws") as ws:
        ws.send_json({"type": "hello", "csrf_token": "not-the-token"})
        _refused([ws.receive_json()], "csrf_failed")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403


def test_an_inactive_agent_is_refused_and_dropped(login: Login, session: Session) -> None:
    agent = login("alex")
    with live_console(agent) as ws:
        alex = session.scalar(select(Agent).where(Agent.username == "alex"))
        assert alex is not None
        alex.active = False
        session.commit()
        ws.send_json({"type": "ping"})  # the session is checked again on every ping
        _refused(frames_until(ws, lambda f: f["type"] == "error"), "not_logged_in")
    with agent.http.websocket_connect("/console/ws") as ws:
        _refused([ws.receive_json()], "not_logged_in")


# ------------------------------------------------------------------ hostile input


def test_hostile_input_on_the_console_websocket_gets_clear_errors(login: Login) -> None:
    """The corpus's texts as every free-text field of the socket: the ticket or case to watch,
    the frame's type and the hello's CSRF token. Each gets an error frame that explains
    itself; the socket stays up (a ping is still answered) and no hello is let in."""
    texts = [*TEXTS.values(), *(text for text, _ in REFUSED_TEXTS.values())]
    agent = login("alex")
    with live_console(agent) as ws:
        for text in texts:
            for frame in ({"type": "watch", "ticket": text}, {"type": "watch", "case": text}):
                ws.send_json(frame)
                error = frames_until(ws, lambda f: f["type"] == "error")[-1]
                assert error["message"] and error["code"] in (
                    "bad_frame",
                    "ticket_not_found",
                    "case_not_found",
                    "forbidden_role",
                ), (text[:40], error)
            ws.send_json({"type": text})
            assert frames_until(ws, lambda f: f["type"] == "error")[-1]["code"] == "bad_frame"
        ws.send_text("[" * 5000 + "]" * 5000)
        assert frames_until(ws, lambda f: f["type"] == "error")[-1]["code"] == "bad_frame"
        ws.send_bytes(b'{"type": "ping"}')
        assert frames_until(ws, lambda f: f["type"] == "error")[-1]["code"] == "bad_frame"
        ws.send_json({"type": "ping"})
        frames_until(ws, lambda f: f["type"] == "pong")
    for text in texts:
        with agent.http.websocket_connect("/console/ws") as ws:
            ws.send_json({"type": "hello", "csrf_token": text})
            assert ws.receive_json()["code"] == "csrf_failed"
