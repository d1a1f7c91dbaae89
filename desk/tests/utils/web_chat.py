"""The web chat's test kit: the app with identity secrets, a fake Rasa, and websocket steps.

The fake Rasa is the harness's (tierline_harness.fake_rasa), the one the bench's smoke run
serves over HTTP; here respx hands it the desk's requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import respx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession
from tierline_harness.fake_rasa import FakeRasa

from tierline_desk.models import ChatMessage
from tierline_desk.settings import get_settings

from .desk import RASA_TOKEN, RASA_URL, fresh_rows

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


@pytest.fixture
def rasa() -> Iterator[FakeRasa]:
    """The fake Rasa in front of the desk's HTTP client (respx): every POST to Rasa reaches it."""
    fake = FakeRasa(token=RASA_TOKEN)

    def answer(request: httpx.Request) -> httpx.Response:
        status, payload = fake.answer(str(request.url), request.content)
        return httpx.Response(status, json=payload)

    with respx.mock(base_url=RASA_URL, assert_all_called=False) as router:
        router.post().mock(side_effect=answer)
        yield fake


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


@contextmanager
def chat_socket(
    web: TestClient, sess: dict[str, Any], last_seq: int = 0
) -> Iterator[WebSocketTestSession]:
    """The shopper's socket for ``sess``, past its hello (what came after ``last_seq`` is
    replayed next)."""
    with web.websocket_connect("/chat/ws") as ws:
        hello(ws, sess, last_seq)
        yield ws


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


def send_burst(web: TestClient, sess: dict[str, Any], count: int, label: str) -> list[str]:
    """``count`` messages at once on a new socket of ``sess``, then a ping: the error codes
    that came back before the pong."""
    with chat_socket(web, sess, last_seq=10**6) as ws:
        for i in range(count):
            ws.send_json({"type": "message", "client_id": f"{label}-{i}", "text": "hi"})
        ws.send_json({"type": "ping"})
        frames = until(ws, lambda f: f["type"] == "pong", limit=400)
    return [f["code"] for f in frames if f["type"] == "error"]


def bot_message(frame: Frame) -> bool:
    return frame["type"] == "message" and frame["sender"] == "bot"


def ask(web: TestClient, text: str) -> tuple[dict[str, Any], Frame]:
    """A new session says ``text`` in the chat: the session and the bot's answer."""
    sess = start(web)
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "c1", "text": text})
        answer = until(ws, bot_message)[-1]
    return sess, answer


def messages(session: Session, conversation_id: str) -> list[ChatMessage]:
    return fresh_rows(
        session,
        select(ChatMessage)
        .where(ChatMessage.conversation_id == conversation_id)
        .order_by(ChatMessage.seq),
    )
