"""The live console's websocket in tests: connect as a logged-in agent, read frames until one
matches (every frame read on the way is kept, so a test can check what it did NOT receive)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from starlette.testclient import WebSocketTestSession

from .console import AgentClient
from .web_chat import until

Frame = dict[str, Any]
WS = "/console/ws"


@contextmanager
def live_console(
    agent: AgentClient, headers: dict[str, str] | None = None
) -> Iterator[WebSocketTestSession]:
    """An open console websocket of ``agent``, after its hello was accepted."""
    with agent.http.websocket_connect(WS, headers=headers or {}) as ws:
        ws.send_json({"type": "hello", "csrf_token": agent.csrf})
        ready = ws.receive_json()
        assert ready["type"] == "ready", ready
        yield ws


def frames_until(
    ws: WebSocketTestSession, wanted: Callable[[Frame], bool], limit: int = 200
) -> list[Frame]:
    """Every frame up to and including the first ``wanted`` one (pytest's timeout ends a
    test whose frame never comes)."""
    return until(ws, wanted, limit)


def event(kind: str, ticket: str | None = None) -> Callable[[Frame], bool]:
    """Matches the console event ``kind`` (about ``ticket`` when given)."""

    def matches(frame: Frame) -> bool:
        if frame.get("type") != "event" or frame.get("kind") != kind:
            return False
        return ticket is None or frame["data"].get("ticket_number") == ticket

    return matches


def presence_of(
    subject: str, *usernames: str, typing: str | None = None
) -> Callable[[Frame], bool]:
    """Matches a presence frame of ``subject`` listing exactly ``usernames`` (and, when given,
    ``typing`` as the one typing)."""

    def matches(frame: Frame) -> bool:
        if frame.get("type") != "presence" or frame.get("subject") != subject:
            return False
        viewers = frame["viewers"]
        typers = [v["username"] for v in viewers if v["typing"]]
        return sorted(v["username"] for v in viewers) == sorted(usernames) and (
            typing is None or typers == [typing]
        )

    return matches


def mentions(frames: list[Frame], text: str) -> list[Frame]:
    return [f for f in frames if text in str(f)]


def chat_seqs(frames: list[Frame]) -> list[int]:
    """The ``seq`` of every chat message the frames carried, in the order they came."""
    return [m["seq"] for f in frames if f.get("type") == "messages" for m in f["messages"]]
