"""The web chat's test kit: the app with identity secrets, a fake Rasa, and websocket steps."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession

from tierline_desk.models import ChatMessage
from tierline_desk.settings import get_settings

from .desk import RASA_URL

IDENTITY_SECRET = "identity-secret-for-tests"
SHOP_SECRET = "shop-secret-for-tests"
MAYA_ID = "C-1001"
Frame = dict[str, Any]


@pytest.fixture
def app(db: str, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("TIERLINE_IDENTITY_SECRET", IDENTITY_SECRET)
    monkeypatch.setenv("SHOP_IDENTITY_SECRET", SHOP_SECRET)
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    return create_app()


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


class FakeRasa:
    """Rasa's REST channel and HTTP API, answering like the real bot would."""

    def __init__(self, router: respx.MockRouter) -> None:
        self.received: list[dict[str, Any]] = []
        self.events: list[Any] = []
        self.down = False
        self.action_failed = False  # the signed REST channel's 502 after a failed action
        self.replies: Callable[[str], list[dict[str, Any]]] = lambda text: [
            {"recipient_id": "x", "text": f"You said: {text}"}
        ]
        router.post("/webhooks/rest/webhook").mock(side_effect=self._webhook)
        router.post(path__regex=r"/conversations/[^/]+/tracker/events").mock(
            side_effect=self._events
        )
        router.post(path__regex=r"/conversations/[^/]+/trigger_intent").mock(
            side_effect=self._trigger
        )

    def _webhook(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.received.append(body)
        if self.down:
            return httpx.Response(500, json={"error": "boom"})
        if self.action_failed:
            return httpx.Response(
                502, json={"error": "action_failed", "messages": self.replies(body["message"])}
            )
        return httpx.Response(200, json=self.replies(body["message"]))

    def _events(self, request: httpx.Request) -> httpx.Response:
        assert request.url.params["token"] == "rasa-secret-token"
        self.events.append(json.loads(request.content))
        return httpx.Response(200, json={})

    def _trigger(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.events.append(body)
        outcome = body["entities"]["handback_outcome"]
        return httpx.Response(
            200,
            json={"messages": [{"recipient_id": "x", "text": f"I'm back. Outcome: {outcome}"}]},
        )


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    with respx.mock(base_url=RASA_URL, assert_all_called=False) as router:
        yield FakeRasa(router)


def start(web: TestClient, **body: Any) -> dict[str, Any]:
    resp = web.post("/chat/api/session", json=body)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def hello(ws: WebSocketTestSession, sess: dict[str, Any], last_seq: int = 0) -> Frame:
    ws.send_json(
        {
            "type": "hello",
            "conversation_id": sess["conversation_id"],
            "token": sess["token"],
            "last_seq": last_seq,
        }
    )
    ready = ws.receive_json()
    assert ready["type"] == "ready", ready
    return dict(ready)


def until(ws: WebSocketTestSession, match: Callable[[Frame], bool], limit: int = 40) -> list[Frame]:
    """Frames up to and including the first one that matches."""
    seen: list[Frame] = []
    for _ in range(limit):
        frame = ws.receive_json()
        seen.append(frame)
        if match(frame):
            return seen
    raise AssertionError(f"no matching frame in {seen}")


def until_each(
    ws: WebSocketTestSession, *matches: Callable[[Frame], bool], limit: int = 40
) -> list[Frame]:
    """The first frame matching each of ``matches``, whatever order they come in."""
    found: dict[int, Frame] = {}
    for _ in range(limit):
        frame = ws.receive_json()
        for index, match in enumerate(matches):
            if index not in found and match(frame):
                found[index] = frame
        if len(found) == len(matches):
            return [found[index] for index in range(len(matches))]
    raise AssertionError(f"frames missing: {sorted(set(range(len(matches))) - set(found))}")


def bot_message(frame: Frame) -> bool:
    return frame["type"] == "message" and frame["sender"] == "bot"


def ask(web: TestClient, text: str) -> tuple[dict[str, Any], Frame]:
    """A new session says ``text`` in the chat: the session and the bot's answer."""
    sess = start(web)
    with web.websocket_connect("/chat/ws") as ws:
        hello(ws, sess)
        ws.send_json({"type": "message", "client_id": "c1", "text": text})
        answer = until(ws, bot_message)[-1]
    return sess, answer


def messages(session: Session, conversation_id: str) -> list[ChatMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id)
            .order_by(ChatMessage.seq)
        )
    )
