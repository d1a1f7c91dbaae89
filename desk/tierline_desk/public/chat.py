"""The shopper's web chat: a session endpoint and one websocket per open widget.

The desk owns the conversation. While the bot has it, each shopper message is stored, then
relayed to Rasa's REST channel (with the signed customer id) and the replies are stored; while
a person has it, messages are only stored and the agent's console reads them. The widget gets
every stored line, in ``seq`` order, over the websocket. Protocol: docs/web-chat.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Cookie, FastAPI, Request, WebSocket, WebSocketDisconnect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..db import run_in_session as db
from ..deps import SessionDep
from ..errors import ApiError
from ..models import Conversation
from ..services import (
    audit,
    chat,
    csat,
    shop_identity,
    shopper_messages,
    transcript_requests,
)
from ..services.chat_hub import get_hub
from ..services.rate_limits import FloodLimits, retry_after_header
from ..services.typed_text import clean_text
from ..settings import get_settings
from ..store import get_store
from ..websocket_frames import accept, receive_text
from .schemas import CustomerCard, SessionIn, SessionOut

log = logging.getLogger("tierline_desk.chat")

router = APIRouter(tags=["web chat"])

SHOP_COOKIE = "tierline_shop"
HELLO_TIMEOUT_SECONDS = 10.0
RECHECK_SECONDS = 2.0
# While only the bot has the chat, every change arrives with a message (the hub wakes the
# socket), so the safety-net look at the database can be rare: polling every open chat every
# two seconds was as much database work as the messages themselves.
IDLE_RECHECK_SECONDS = 30.0
# A shopper waiting in a queue sees the place move as tickets ahead are taken; nothing wakes
# the socket for that, so it looks again. Every 2 s for each of hundreds of waiting shoppers
# was most of a busy desk's database work; a place ten seconds late is fine (the person
# joining the chat still arrives at once: it is a message).
QUEUE_RECHECK_SECONDS = 10.0
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@router.post("/chat/api/session", response_model=SessionOut)
def open_session(
    body: SessionIn,
    session: SessionDep,
    request: Request,
    tierline_shop: Annotated[str | None, Cookie()] = None,
) -> SessionOut:
    """Resume the widget's conversation (its id + token) or start a new one.

    The shopper is whoever the signed identity token says (the embedding shop's server made
    it), or the demo shop's sign-in cookie; never a customer id the browser names itself.
    """
    customer_id = None
    if body.identity:
        customer_id = shop_identity.verify_token(body.identity)
        if customer_id is None:
            raise ApiError(
                401, "bad_identity", "The shop's identity token is invalid or has expired."
            )
    elif tierline_shop:
        customer_id = shop_identity.verify_token(tierline_shop)
    if customer_id is not None and get_store().customer(session, customer_id) is None:
        customer_id = None
    existing = chat.authenticate(session, body.conversation_id, body.token)
    # Someone else signed in on this browser: never show them the earlier shopper's chat.
    if existing is not None and existing.customer_id == customer_id and existing.mode != "closed":
        card = chat.customer_card(session, customer_id)
        return SessionOut(
            conversation_id=existing.conversation_id,
            token=body.token,
            customer=CustomerCard(**card) if card else None,
            resumed=True,
        )
    _check_session_flood(request)
    conversation, token = chat.create_conversation(session, customer_id)
    audit.record(
        session,
        "chat.start",
        actor="web",
        details={"conversation_id": conversation.conversation_id, "signed_in": bool(customer_id)},
    )
    session.commit()
    card = chat.customer_card(session, customer_id)
    return SessionOut(
        conversation_id=conversation.conversation_id,
        token=token,
        customer=CustomerCard(**card) if card else None,
        resumed=False,
    )


def flood_limits(app: FastAPI) -> FloodLimits:
    """The app's flood limits (made in ``create_app``; services/rate_limits.py)."""
    limits = app.state.flood_limits
    assert isinstance(limits, FloodLimits)
    return limits


def _check_session_flood(request: Request) -> None:
    """429 with Retry-After when this client IP has opened too many chats lately."""
    client_ip = request.client.host if request.client else "unknown"
    wait = flood_limits(request.app).sessions_per_ip.take(client_ip)
    if wait:
        retry_after = retry_after_header(wait)
        raise ApiError(
            429,
            "rate_limited",
            "Too many new chats have been started from your network just now. Please wait "
            f"{retry_after} seconds and try again.",
            headers={"Retry-After": retry_after},
            retry_after=int(retry_after),
        )


# ---------------------------------------------------------------- websocket


def _origin_allowed(ws: WebSocket) -> bool:
    origin = ws.headers.get("origin")
    if not origin:
        return True  # not a browser: the conversation token is what authenticates
    host = ws.headers.get("host", "")
    if origin.split("://", 1)[-1] == host:
        return True
    allowed = {o.strip().rstrip("/") for o in get_settings().chat_allowed_origins.split(",")}
    return origin.rstrip("/") in allowed


def recheck_seconds(state: chat.ChatState | None, *, awaiting_answer: bool = False) -> float:
    """How long a socket waits for a wake-up before looking again (queues and people move).

    ``awaiting_answer``: the shopper's message is the last line, so the bot's answer is due;
    it may be stored by another replica while the wake-up can't travel (Redis restarting)."""
    if awaiting_answer:
        return RECHECK_SECONDS
    if state is not None and state.mode == "bot":
        return QUEUE_RECHECK_SECONDS if state.queue.get("ticket_number") else IDLE_RECHECK_SECONDS
    return RECHECK_SECONDS


def state_key(state: chat.ChatState) -> str:
    return json.dumps([state.mode, state.agent, state.queue, state.csat], sort_keys=True)


class ChatConnection:
    """One open widget: reads the shopper's frames, pushes every new line and state change."""

    def __init__(self, ws: WebSocket, conversation: Conversation, last_seq: int) -> None:
        self.ws = ws
        self.conversation_id = conversation.conversation_id
        self.customer_id = conversation.customer_id
        self.sent_seq = last_seq
        self.state_key: str | None = None
        self.state: chat.ChatState | None = None
        self.agent_typing: str | None = None
        self.last_sender: str | None = None  # of the last line pushed
        self.send_lock = asyncio.Lock()
        self.limits = flood_limits(ws.app)
        self.limiter = self.limits.connection_limiter()  # this socket only
        self.hub = get_hub()

    async def send(self, frame: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_json(frame)

    async def try_send(self, frame: dict[str, Any]) -> None:
        """Send if the socket is still open. For frames that must not stop the work around them
        (the message is stored, the answer is on its way): a widget that went away reconnects
        and reads the stored lines."""
        with contextlib.suppress(WebSocketDisconnect, RuntimeError):
            await self.send(frame)

    async def error(self, code: str, message: str, **extra: Any) -> None:
        await self.send({"type": "error", "code": code, "message": message, **extra})

    # ---- pushing

    async def flush(self) -> None:
        after = self.sent_seq

        def load(session: Session) -> tuple[list[dict[str, Any]], chat.ChatState | None]:
            conversation = chat.get(session, self.conversation_id)
            if conversation is None:
                return [], None
            rows = chat.messages_after(session, self.conversation_id, after)
            frames = chat.messages_out(session, self.conversation_id, rows)
            return frames, chat.state(session, conversation)

        frames, state = await db(load)
        for frame in frames:
            if frame["seq"] > self.sent_seq:
                await self.send(frame)
                self.sent_seq = frame["seq"]
                self.last_sender = frame["sender"]
        if state is not None:
            self.state = state
        if state is not None and state_key(state) != self.state_key:
            self.state_key = state_key(state)
            for frame in state.frames():
                await self.send(frame)
        typing = self.hub.typing_agent(self.conversation_id)
        if typing != self.agent_typing:
            self.agent_typing = typing
            await self.send({"type": "typing", "who": "agent", "name": typing, "on": bool(typing)})

    async def push_loop(self, wake: asyncio.Event) -> None:
        while True:
            try:
                await self.flush()
            except (WebSocketDisconnect, RuntimeError):
                log.info("push loop ends", exc_info=True)
                return  # the socket closed; the reader ends the connection
            except Exception:
                # A database hiccup must not silence the chat: log it and look again soon.
                log.exception("could not push chat updates; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self.recheck_seconds())
            wake.clear()

    def recheck_seconds(self) -> float:
        state = self.state
        awaiting = self.last_sender == "shopper" and state is not None and state.mode == "bot"
        return recheck_seconds(state, awaiting_answer=awaiting)

    # ---- reading

    async def read_loop(self) -> None:
        while True:
            raw = await receive_text(self.ws)
            if raw is None:
                await self.error("bad_frame", "Send text frames (JSON), not binary ones.")
                continue
            try:
                frame = json.loads(raw)
            except (ValueError, RecursionError):  # RecursionError: absurdly nested JSON
                await self.error("bad_frame", "That wasn't valid JSON; nothing was sent.")
                continue
            if not isinstance(frame, dict):
                await self.error("bad_frame", "Each frame must be a JSON object.")
                continue
            await self.dispatch(frame)

    async def dispatch(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "ping":
            await self.send({"type": "pong"})
        elif kind == "typing":
            self.hub.shopper_typing(self.conversation_id)
        elif kind in ("message", "button"):
            await self.on_message(frame, is_button=kind == "button")
        elif kind == "email_transcript":
            await self.on_email_transcript(frame.get("email"), frame.get("confirm", False))
        elif kind == "csat":
            await self.on_csat(frame)
        else:
            await self.error("bad_frame", f"Unknown frame type {str(kind)[:40]!r}.")

    async def on_message(self, frame: dict[str, Any], *, is_button: bool) -> None:
        client_id = frame.get("client_id")
        if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
            await self.error(
                "bad_frame", "Each message needs a client_id (1-64 letters, digits, - or _)."
            )
            return
        read: shopper_messages.Message | shopper_messages.Refused
        if is_button:
            payload, title = frame.get("payload"), frame.get("title")
            if not isinstance(payload, str) or not isinstance(title, str):
                await self.error(
                    "bad_frame", "A button needs a payload and a title.", client_id=client_id
                )
                return
            read = await shopper_messages.read_button(self.conversation_id, payload)
        else:
            files = frame.get("attachments")
            text = frame.get("text", "" if files else None)
            if not isinstance(text, str):
                await self.error("bad_frame", "A message needs text.", client_id=client_id)
                return
            read = shopper_messages.read_text(text, may_be_empty=bool(files))
            if files is not None and isinstance(read, shopper_messages.Message):
                read = await shopper_messages.read_files(self.conversation_id, read, files)
        if isinstance(read, shopper_messages.Refused):
            await self.refuse(read, client_id)
            return
        refused = await shopper_messages.check_flood(
            self.limits, self.limiter, self.conversation_id
        )
        if refused is not None:
            await self.refuse(refused, client_id)
            return
        stored = await shopper_messages.store(self.conversation_id, read, client_id)
        # Stored: from here on the shopper is owed an answer, even if this socket closes.
        await self.try_send({"type": "ack", "client_id": client_id, "seq": stored.seq})
        await shopper_messages.answer(
            self.conversation_id, self.customer_id, read, stored, self.bot_typing
        )

    async def refuse(self, refused: shopper_messages.Refused, client_id: str) -> None:
        await self.error(refused.code, refused.message, client_id=client_id, **refused.extra)

    async def bot_typing(self, on: bool) -> None:
        await self.try_send({"type": "typing", "who": "bot", "name": None, "on": on})

    async def on_csat(self, frame: dict[str, Any]) -> None:
        """The shopper's answer to the survey (services/csat.py): once per subject."""
        refused = await shopper_messages.check_flood(
            self.limits, self.limiter, self.conversation_id
        )
        if refused is not None:
            await self.error(refused.code, refused.message, **refused.extra)
            return

        def store(session: Session) -> dict[str, Any]:
            row = csat.answer_web(
                session,
                self.conversation_id,
                frame.get("subject"),
                frame.get("score"),
                frame.get("comment"),
            )
            session.commit()
            return {"type": "csat_thanks", "subject": row.subject, "score": row.score}

        try:
            thanks = await db(store)
        except ApiError as exc:
            await self.error(exc.code, exc.message, **exc.extra)
            return
        await self.send({**thanks, "text": "Thank you for your feedback!"})
        self.hub.notify(self.conversation_id)  # other tabs: the survey is answered

    async def on_email_transcript(self, email: Any, confirm: Any = False) -> None:
        """One path with the bot's (services/transcript_requests.py): limited, and a signed-in
        shopper's chat goes to their account's email unless they confirm another address."""
        typed = clean_text(email) if isinstance(email, str) else ""
        ask = transcript_requests.Ask(
            conversation_id=self.conversation_id,
            email=typed or None,
            actor="web",
            confirmed=confirm is True,
            client_address=self.ws.client.host if self.ws.client else "unknown",
        )
        limits = transcript_requests.limits_of(self.ws.app)
        answer = await db(lambda s: transcript_requests.request_transcript(s, limits, ask))
        if answer.status == "confirm":
            await self.send(
                {"type": "confirm_email", "email": answer.email, "text": answer.message}
            )
        elif answer.status == "refused":
            await self.error("rate_limited", answer.message, retry_after=answer.retry_after)
        else:
            await self.send({"type": "notice", "text": answer.message})


@router.websocket("/chat/ws")
async def chat_socket(ws: WebSocket) -> None:
    if not await accept(ws, origin_allowed=_origin_allowed(ws)):
        return
    try:
        await _serve_socket(ws)
    except OperationalError as exc:
        # The database is away (e.g. restarting). A message not yet stored was not acked, so
        # the widget resends it; close with "try again later" and let it reconnect.
        log.warning(
            "database unavailable; closing a chat socket so it reconnects: %s",
            str(exc).splitlines()[0],
        )
        await _close(
            ws,
            1013,
            "Support chat is briefly unavailable. Reconnecting\u2026",
            error_code="unavailable",
        )


async def _serve_socket(ws: WebSocket) -> None:
    try:
        raw = await asyncio.wait_for(receive_text(ws), HELLO_TIMEOUT_SECONDS)
        hello = json.loads(raw) if raw is not None else None
    except (TimeoutError, ValueError, RecursionError, WebSocketDisconnect):
        await _close(ws, 4400, "Start with a hello frame.")
        return
    if not isinstance(hello, dict) or hello.get("type") != "hello":
        await _close(ws, 4400, "Start with a hello frame.")
        return
    last_seq = hello.get("last_seq")
    last_seq = last_seq if isinstance(last_seq, int) and last_seq >= 0 else 0

    def authenticate(session: Session) -> tuple[Conversation, chat.ChatState] | None:
        found = chat.authenticate(session, hello.get("conversation_id"), hello.get("token"))
        return None if found is None else (found, chat.state(session, found))

    authenticated = await db(authenticate)
    if authenticated is None:
        await _close(ws, 4401, "Unknown conversation or wrong token; start a new session.")
        return
    conversation, state = authenticated
    connection = ChatConnection(ws, conversation, last_seq)
    hub = get_hub()
    wake = hub.subscribe(conversation.conversation_id)
    pusher: asyncio.Task[None] | None = None
    try:
        connection.state_key = state_key(state)
        await connection.send(
            {
                "type": "ready",
                "mode": state.mode,
                "agent": state.agent,
                "queue": state.queue,
                "csat": state.csat,
            }
        )
        pusher = asyncio.create_task(connection.push_loop(wake))
        await connection.read_loop()
    except WebSocketDisconnect:
        pass
    finally:
        if pusher is not None:
            pusher.cancel()
        hub.unsubscribe(conversation.conversation_id, wake)


async def _close(ws: WebSocket, code: int, message: str, *, error_code: str = "") -> None:
    try:
        frame_code = error_code or f"ws_{code}"
        await ws.send_json({"type": "error", "code": frame_code, "message": message})
        await ws.close(code=code)
    except (RuntimeError, WebSocketDisconnect):
        pass
