"""The live console: one websocket per open console (``/console/ws``), instead of polling.

It carries the console events an agent may see (services/console_events.py: queues, tickets,
cases), the chat of the ticket the agent has open, and who else has that ticket or case open
or is typing in it (services/console_presence.py). The REST API stays the record: after a
reconnect the console fetches again, and chat messages are keyed by ``seq``, so nothing is lost
or shown twice. Protocol: docs/console-api.md, *Live console*.

Authentication: the console's session cookie, an ``Origin`` of this desk (when the browser sends
one), and the session's CSRF token in the first frame, which a page on another site cannot know.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from redis.exceptions import RedisError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..agent_auth import SESSION_COOKIE, mark_seen
from ..db import run_in_session as db
from ..errors import ApiError
from ..models import Agent
from ..services import agent_actions, agents, case_followup, chat
from ..services.chat_hub import get_hub
from ..services.console_events import Audience, case_audience, publish_now, ticket_audience
from ..services.console_presence import PresenceBoard, Viewer
from ..websocket_frames import accept, receive_text
from .tickets import chat_message_fields

log = logging.getLogger("tierline_desk.console.live")

router = APIRouter(tags=["console"])

HELLO_TIMEOUT_SECONDS = 10.0
IDLE_TIMEOUT_SECONDS = 75.0  # the console pings every 20 s; a silent socket is a dead one
RECHECK_SECONDS = 15.0  # the open ticket's chat is read again even without a wake-up
TYPING_EVERY_SECONDS = 1.0
EVENT_QUEUE_LIMIT = 1000  # events waiting for a slow socket; beyond it: a "resync" frame
_NUMBER = re.compile(r"[A-Za-z0-9-]{1,40}")  # a ticket's or case's number, as typed


@dataclass(frozen=True)
class ConsoleAgent:
    id: int
    username: str
    display_name: str
    role: str
    csrf_token: str

    def viewer(self) -> Viewer:
        return Viewer(self.username, self.display_name, self.role)


@dataclass
class Watch:
    """The ticket or case the agent has open."""

    subject: str  # "ticket:T-000123" or "case:CASE-100042"
    audience: Audience
    ticket_number: str | None = None
    conversation_id: str | None = None
    sent_seq: int = 0
    mode: str | None = None
    shopper_typing: bool = False


def same_origin(ws: WebSocket) -> bool:
    """A browser always names the page's origin; it must be this desk. No Origin: not a
    browser, and the CSRF token in the hello is still needed."""
    origin = ws.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc == ws.headers.get("host", "")


def session_agent(session: Session, token: str | None) -> ConsoleAgent | None:
    """The agent of a live console session (None: unknown, expired, or the agent inactive);
    the agent counts as online for routing, as with every console call."""
    row = agents.session_for_token(session, token) if token else None
    if row is None:
        return None
    mark_seen(session, row.agent)
    a = row.agent
    return ConsoleAgent(a.id, a.username, a.display_name, a.role, row.csrf_token)


def presence_board(ws: WebSocket) -> PresenceBoard:
    board: PresenceBoard = ws.app.state.presence
    return board


class ConsoleConnection:
    def __init__(self, ws: WebSocket, agent: ConsoleAgent, token: str) -> None:
        self.ws = ws
        self.agent = agent
        self.token = token
        self.connection = secrets.token_hex(8)
        self.presence = presence_board(ws)
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=EVENT_QUEUE_LIMIT)
        self.behind = False
        self.watch: Watch | None = None
        self.chat_task: asyncio.Task[None] | None = None
        self.wake: asyncio.Event | None = None
        self.last_typing = 0.0
        self.send_lock = asyncio.Lock()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_json(frame)

    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.send({"type": "error", "code": code, "message": message, **extra})

    # ---- events for everyone who may see them

    def on_event(self, event: dict[str, Any]) -> None:
        """From the hub, on this socket's loop: queue what this agent may see."""
        audience = Audience.from_json(event.get("audience"))
        if audience is None or not audience.admits(self.agent.role, self.agent.id):
            return
        try:
            self.events.put_nowait(event)
        except asyncio.QueueFull:
            self.behind = True

    async def event_loop(self) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # closed: the reader ends it
            while True:
                event = await self.events.get()
                frame = {"type": "event", "kind": event.get("kind"), "data": event.get("data")}
                if event.get("kind") == "presence":
                    frame = {"type": "presence", **(event.get("data") or {})}
                await self.send(frame)
                if self.behind and self.events.empty():
                    self.behind = False
                    await self.send({"type": "resync"})

    # ---- reading

    async def read_loop(self) -> None:
        while True:
            raw = await asyncio.wait_for(receive_text(self.ws), IDLE_TIMEOUT_SECONDS)
            try:
                frame = json.loads(raw) if raw is not None else None
            except (ValueError, RecursionError):
                frame = None
            if not isinstance(frame, dict):
                await self.error("bad_frame", "Each frame must be a JSON object (text).")
                continue
            try:
                await self.dispatch(frame)
            except (RedisError, OSError) as exc:  # Redis restarting: the console carries on
                log.warning("console presence unavailable: %s", exc)
                await self.error(
                    "presence_unavailable", "Who else is here is unknown for a moment."
                )
            except OperationalError:  # the database restarting
                log.warning("database unavailable for a console frame")
                await self.error(
                    "unavailable", "The desk is briefly unavailable; try again in a moment."
                )

    async def dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "ping":
            await self.on_ping()
        elif kind == "watch":
            await self.on_watch(frame)
        elif kind == "unwatch":
            await self.unwatch()
        elif kind == "typing":
            await self.on_typing()
        else:
            await self.error("bad_frame", f"Unknown frame type {str(kind)[:40]!r}.")

    async def on_ping(self) -> None:
        """Keeps the agent online and the presence entry alive; ends a session that ended."""
        agent = await db(lambda s: session_agent(s, self.token))
        if agent is None:
            raise SessionEnded
        self.agent = agent  # a changed role counts from now on
        if self.watch is not None:
            await self.presence.join(self.watch.subject, self.connection, self.agent.viewer())
        await self.send({"type": "pong"})

    async def on_watch(self, frame: dict[str, Any]) -> None:
        ticket, case = frame.get("ticket"), frame.get("case")
        after = frame.get("after_seq")
        after = after if isinstance(after, int) and after >= 0 else 0
        try:
            if isinstance(ticket, str) and _NUMBER.fullmatch(ticket.strip()):
                watch = await db(lambda s: self._ticket_watch(s, ticket, after))
            elif isinstance(case, str) and _NUMBER.fullmatch(case.strip()):
                watch = await db(lambda s: self._case_watch(s, case))
            else:
                await self.error(
                    "bad_frame",
                    "Watch a ticket or a case by its number: {ticket: 'T-000123'} or "
                    "{case: 'CASE-100042'}.",
                )
                return
        except ApiError as exc:
            await self.error(exc.code, exc.message, subject=ticket or case)
            return
        await self.unwatch()
        self.watch = watch
        await self.presence.join(watch.subject, self.connection, self.agent.viewer())
        await self.send({"type": "watching", "subject": watch.subject})
        await self.announce_presence(watch)
        if watch.conversation_id is not None:
            self.wake = get_hub().subscribe(watch.conversation_id)
            self.chat_task = asyncio.create_task(self.chat_loop(watch, self.wake))

    def _agent_row(self, session: Session) -> Agent:
        agent = session.get(Agent, self.agent.id)
        assert agent is not None
        return agent

    def _ticket_watch(self, session: Session, number: str, after: int) -> Watch:
        ticket = agent_actions.get_ticket(session, self._agent_row(session), number)
        web_chat = chat.get(session, ticket.conversation_id) is not None
        return Watch(
            subject=f"ticket:{ticket.ticket_number}",
            audience=ticket_audience(ticket),
            ticket_number=ticket.ticket_number,
            conversation_id=ticket.conversation_id if web_chat else None,
            sent_seq=after,
        )

    def _case_watch(self, session: Session, number: str) -> Watch:
        c = case_followup.get_case(session, self._agent_row(session), number)
        return Watch(subject=f"case:{c.case_number}", audience=case_audience(c))

    async def unwatch(self) -> None:
        watch, self.watch = self.watch, None
        if self.chat_task is not None:
            self.chat_task.cancel()
            self.chat_task = None
        if watch is None:
            return
        if self.wake is not None and watch.conversation_id is not None:
            get_hub().unsubscribe(watch.conversation_id, self.wake)
            self.wake = None
        await self.presence.leave(watch.subject, self.connection)
        await self.announce_presence(watch)

    async def on_typing(self) -> None:
        watch = self.watch
        now = time.monotonic()
        if watch is None or now - self.last_typing < TYPING_EVERY_SECONDS:
            return
        self.last_typing = now
        await self.presence.typing(watch.subject, self.connection)
        await self.announce_presence(watch)

    async def announce_presence(self, watch: Watch) -> None:
        viewers = await self.presence.viewers(watch.subject)
        publish_now(watch.audience, "presence", {"subject": watch.subject, "viewers": viewers})

    # ---- the open ticket's chat

    async def chat_loop(self, watch: Watch, wake: asyncio.Event) -> None:
        while True:
            try:
                if not await self.flush_chat(watch):
                    return
            except (WebSocketDisconnect, RuntimeError):
                return  # the socket closed; the reader ends the connection
            except Exception:
                # A database hiccup must not silence the chat: log it and look again soon.
                log.exception("could not push the console chat; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=RECHECK_SECONDS)
            wake.clear()

    async def flush_chat(self, watch: Watch) -> bool:
        """Push the chat's new messages, its mode and the shopper's typing; False when the
        agent may no longer see the ticket (it was escalated away, say)."""
        assert watch.ticket_number is not None and watch.conversation_id is not None
        number, conversation_id, after = watch.ticket_number, watch.conversation_id, watch.sent_seq

        def load(session: Session) -> dict[str, Any] | None:
            try:
                agent_actions.get_ticket(session, self._agent_row(session), number)
            except ApiError:
                return None
            conversation = chat.get(session, conversation_id)
            rows = chat.messages_after(session, conversation_id, after)
            return {
                "mode": conversation.mode if conversation else None,
                "messages": [
                    chat_message_fields(m).model_dump()
                    for m in chat.messages_out(session, conversation_id, rows)
                ],
            }

        loaded = await db(load)
        if loaded is None:
            await self.send(
                {"type": "unwatched", "subject": watch.subject, "reason": "no_longer_visible"}
            )
            return False
        typing = get_hub().is_shopper_typing(conversation_id)
        messages = loaded["messages"]
        if messages or loaded["mode"] != watch.mode or typing != watch.shopper_typing:
            watch.mode, watch.shopper_typing = loaded["mode"], typing
            if messages:
                watch.sent_seq = max(watch.sent_seq, messages[-1]["seq"])
            await self.send(
                {
                    "type": "messages",
                    "ticket": number,
                    "mode": watch.mode,
                    "shopper_typing": typing,
                    "messages": messages,
                }
            )
        return True


class SessionEnded(Exception):
    """The console session expired, was logged out, or its agent was deactivated."""


async def close(ws: WebSocket, code: int, error: str, message: str) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await ws.send_json({"type": "error", "code": error, "message": message})
        await ws.close(code=code)


@router.websocket("/console/ws")
async def console_socket(ws: WebSocket) -> None:
    if not await accept(ws, origin_allowed=same_origin(ws)):
        return
    token = ws.cookies.get(SESSION_COOKIE)
    agent = await db(lambda s: session_agent(s, token))
    if agent is None or token is None:
        await close(ws, 4401, "not_logged_in", "Log in to the console first.")
        return
    try:
        raw = await asyncio.wait_for(receive_text(ws), HELLO_TIMEOUT_SECONDS)
        hello = json.loads(raw) if raw is not None else None
    except (TimeoutError, ValueError, RecursionError, WebSocketDisconnect):
        hello = None
    if not isinstance(hello, dict) or hello.get("type") != "hello":
        await close(ws, 4400, "bad_hello", "Start with {type: hello, csrf_token}.")
        return
    csrf = hello.get("csrf_token")
    if (
        not isinstance(csrf, str)
        or not csrf.isascii()
        or not secrets.compare_digest(csrf.encode(), agent.csrf_token.encode())
    ):
        await close(ws, 4403, "csrf_failed", "Missing or wrong csrf_token in the hello frame.")
        return
    await serve(ws, ConsoleConnection(ws, agent, token))


async def serve(ws: WebSocket, connection: ConsoleConnection) -> None:
    hub = get_hub()
    key = hub.listen_console(connection.on_event)
    events: asyncio.Task[None] | None = None
    try:
        agent = connection.agent
        await connection.send(
            {
                "type": "ready",
                "agent": {
                    "username": agent.username,
                    "display_name": agent.display_name,
                    "role": agent.role,
                },
            }
        )
        events = asyncio.create_task(connection.event_loop())
        await connection.read_loop()
    except SessionEnded:
        await close(ws, 4401, "not_logged_in", "Your console session has ended. Log in again.")
    except (WebSocketDisconnect, TimeoutError):
        pass
    finally:
        hub.unlisten_console(key)
        if events is not None:
            events.cancel()
        # The agent left: off the ticket at once, even when this task is being cancelled (the
        # shielded cleanup carries on by itself then).
        cleanup = asyncio.ensure_future(connection.unwatch())
        try:
            await asyncio.shield(cleanup)
        except (RedisError, OSError):
            log.warning("could not remove a console's presence (it expires by itself)")
