"""The database away (e.g. PostgreSQL restarting): a chat socket closes with "try again later"
and a clear message, instead of an unhandled error; the unacknowledged message is resent after
the reconnect and stored once."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from starlette.websockets import WebSocketDisconnect

from tests.utils.web_chat import FakeRasa, chat_socket, start, until
from tierline_desk.services import chat


def _database_down(*_args: Any, **_kwargs: Any) -> Any:
    raise OperationalError("SELECT 1", {}, Exception("the database system is starting up"))


def test_a_hello_while_the_database_is_down_gets_try_again_later(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(app) as web:
        sess = start(web)
        monkeypatch.setattr(chat, "authenticate", _database_down)
        with web.websocket_connect("/chat/ws") as ws:
            ws.send_json(
                {
                    "type": "hello",
                    "conversation_id": sess["conversation_id"],
                    "token": sess["token"],
                    "last_seq": 0,
                }
            )
            frame = ws.receive_json()
            assert frame["type"] == "error" and frame["code"] == "unavailable"
            assert "briefly unavailable" in frame["message"]
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 1013


def test_a_message_the_database_could_not_store_is_stored_once_after_the_reconnect(
    app: FastAPI, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_store = chat.append_shopper_message
    with TestClient(app) as web:
        sess = start(web)
        with chat_socket(web, sess) as ws:
            monkeypatch.setattr(chat, "append_shopper_message", _database_down)
            ws.send_json({"type": "message", "client_id": "c1", "text": "where is my order?"})
            frames = until(ws, lambda f: f["type"] == "error")
            assert frames[-1]["code"] == "unavailable"
            assert not any(f["type"] == "ack" for f in frames)  # not stored, so not acked
        monkeypatch.setattr(chat, "append_shopper_message", real_store)
        with chat_socket(web, sess) as ws:  # the widget reconnects and resends
            for _ in range(2):  # even twice: the client_id makes it one message
                ws.send_json({"type": "message", "client_id": "c1", "text": "where is my order?"})
            until(ws, lambda f: f["type"] == "message" and f["sender"] == "bot")
        with chat_socket(web, sess) as ws:
            history = until(ws, lambda f: f["type"] == "message" and f["sender"] == "bot")
    shopper_lines = [f for f in history if f.get("sender") == "shopper"]
    assert [f["text"] for f in shopper_lines] == ["where is my order?"]
