"""Relaying a shopper's message to the bot and storing the bot's answer.

The message is stored (and acknowledged) before the relay starts, so from then on the desk owes
the shopper an answer, whatever happens to the websocket it came on. So each relay runs as a
task of its own:

- a socket that closes meanwhile (the widget reconnects, maybe to another replica) does not
  cancel it; typing indicators for that socket are best effort;
- once the answer is stored, every socket of the conversation is woken, on every replica
  (the hub), even if the one that sent the message is gone;
- a desk that is shutting down waits for the relays in flight (:func:`finish`) before it
  stops, so a rolling restart does not drop answers;
- a desk that crashed mid-relay can't answer, so every desk looks for answers owed
  (:func:`apologise_for_owed_answers`, every few seconds): a conversation the bot has whose
  last line is a shopper's message older than any live relay takes gets the apology, with the
  offer of a person, from exactly one desk.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..api.schemas import HandoffRequest
from ..db import run_in_session, run_until_stored
from ..models import ChatMessage, Conversation, utcnow
from ..rasa_client import RasaUnavailable, send_message
from ..settings import get_settings
from . import chat, handoffs
from .chat_hub import get_hub

log = logging.getLogger("tierline_desk.bot_relay")

TALK_TO_PERSON = "/talk_to_representative"
APOLOGY = (
    "I'm sorry, I couldn't come up with an answer just now. Would you like to talk to a "
    "person from our team?"
)
APOLOGY_BUTTONS = [{"title": "Talk to a person", "payload": TALK_TO_PERSON}]

Typing = Callable[[bool], Awaitable[None]]

# A live relay is done within the REST channel's timeout; a message left unanswered longer than
# that plus this margin was being relayed by a desk that died.
OWED_MARGIN_SECONDS = 10.0
# Older than this, the shopper has long gone: no apology.
OWED_WINDOW = timedelta(hours=1)
LOOK_EVERY_SECONDS = 5.0

# One relay at a time per conversation, so answers are stored in the order they were asked.
_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
_in_flight: set[asyncio.Task[None]] = set()


async def relay(
    conversation_id: str,
    customer_id: str | None,
    text: str,
    typing: Typing,
    *,
    command: bool = False,
) -> None:
    """Send ``text`` to the bot and store its answer (or an apology). Returns when the answer
    is stored; if the caller is cancelled meanwhile, the relay still finishes. ``command``: the
    text is the payload of a button the bot offered (sent signed as one; rasa_client.py)."""
    task = asyncio.create_task(_relay(conversation_id, customer_id, text, typing, command))
    _in_flight.add(task)
    task.add_done_callback(_done)
    await asyncio.shield(task)


def in_flight() -> int:
    return len(_in_flight)


async def finish(timeout: float) -> int:
    """Wait up to ``timeout`` seconds for the relays in flight; how many did not finish."""
    pending = set(_in_flight)
    if not pending:
        return 0
    log.info("waiting for %d bot answer(s) in flight before stopping", len(pending))
    _, unfinished = await asyncio.wait(pending, timeout=timeout)
    if unfinished:
        log.error("stopping with %d bot answer(s) not stored", len(unfinished))
    return len(unfinished)


def _done(task: asyncio.Task[None]) -> None:
    _in_flight.discard(task)
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("a bot answer could not be stored", exc_info=exc)


async def _relay(
    conversation_id: str, customer_id: str | None, text: str, typing: Typing, command: bool
) -> None:
    lock = _locks.get(conversation_id)
    if lock is None:
        lock = asyncio.Lock()
        _locks[conversation_id] = lock
    async with lock:
        await typing(True)
        try:
            await _ask_and_store(conversation_id, customer_id, text, command=command)
        finally:
            get_hub().notify(conversation_id)
            await typing(False)


def _relaying_here(conversation_id: str) -> bool:
    """Whether this desk has a relay for the conversation in flight (a waiting one implies a
    running one, which holds the conversation's lock)."""
    lock = _locks.get(conversation_id)
    return lock is not None and lock.locked()


async def _ask_and_store(
    conversation_id: str, customer_id: str | None, text: str, *, command: bool = False
) -> None:
    said: list[dict[str, Any]] = []
    try:
        replies: list[dict[str, Any]] | None = await send_message(
            conversation_id, text, customer_id, command=command
        )
    except RasaUnavailable as exc:
        log.warning("relay to Rasa failed: %s", exc)
        replies, said = None, exc.said
    # Stored even across a database restart: an answer dropped here would never come.
    for reply in said:  # the bot spoke, then an action failed: show it, then apologise
        await run_until_stored(functools.partial(_store_reply, conversation_id, reply))
    if not replies and text == TALK_TO_PERSON:
        await run_until_stored(
            functools.partial(_handoff_without_bot, conversation_id, customer_id)
        )
    elif not replies:
        await run_until_stored(functools.partial(_apologise, conversation_id))
    else:
        for reply in replies:
            await run_until_stored(functools.partial(_store_reply, conversation_id, reply))


def _store_reply(conversation_id: str, reply: dict[str, Any], session: Session) -> None:
    chat.append(session, conversation_id, "bot", reply["text"], buttons=reply["buttons"])


def _apologise(conversation_id: str, session: Session) -> None:
    chat.append(
        session,
        conversation_id,
        "bot",
        APOLOGY,
        buttons=APOLOGY_BUTTONS,
    )


def _handoff_without_bot(conversation_id: str, customer_id: str | None, session: Session) -> None:
    """The shopper asked for a person and the bot can't answer: queue them ourselves."""
    recent = chat.messages_after(session, conversation_id, 0)[-20:]
    request = HandoffRequest.model_validate(
        {
            "conversation_id": conversation_id,
            "tier": 1,
            "reason": "The assistant could not answer; the shopper asked for a person",
            "customer": {"id": customer_id} if customer_id else {},
            "bot_attempts": ["The assistant did not answer (it was unavailable)"],
            "recent_messages": [
                {"sender": "user" if m.sender == "shopper" else "bot", "text": m.text[:5000]}
                for m in recent
                if m.sender in ("shopper", "bot")
            ],
        }
    )
    ticket, _ = handoffs.create(session, request, "web-chat")
    session.commit()
    position = handoffs.queue_position(session, ticket)
    wait = handoffs.estimated_wait(position)
    chat.append(
        session,
        conversation_id,
        "system",
        f"You're in line for a customer-service associate (ticket {ticket.ticket_number}"
        + (f", number {position} in the queue, about {wait} min" if position else "")
        + "). Please stay in this window.",
    )


# ---------------------------------------------------------------- answers owed after a crash


def owed_answers(session: Session, limit: int = 100) -> list[tuple[str, int]]:
    """(conversation id, last seq) of conversations the bot has whose last line is a shopper's
    message older than any live relay takes (a relay still waiting its turn on this desk is
    skipped by the caller)."""
    now = utcnow()
    owed_after = timedelta(seconds=get_settings().chat_reply_timeout_seconds + OWED_MARGIN_SECONDS)
    rows = session.execute(
        select(Conversation.conversation_id, Conversation.last_seq)
        .join(
            ChatMessage,
            and_(
                ChatMessage.conversation_id == Conversation.conversation_id,
                ChatMessage.seq == Conversation.last_seq,
            ),
        )
        .where(
            Conversation.mode == "bot",
            Conversation.last_activity_at < now - owed_after,
            Conversation.last_activity_at > now - OWED_WINDOW,
            ChatMessage.sender == "shopper",
        )
        .order_by(Conversation.last_activity_at)
        .limit(limit)
    )
    return [(cid, seq) for cid, seq in rows]


def _apologise_if_still_owed(session: Session, conversation_id: str, last_seq: int) -> bool:
    return (
        chat.append_if_last(
            session,
            conversation_id,
            last_seq,
            "bot",
            APOLOGY,
            buttons=APOLOGY_BUTTONS,
        )
        is not None
    )


async def apologise_for_owed_answers() -> int:
    """One look: apologise in every conversation owed an answer; how many this desk did (the
    others may have been taken by another desk first)."""
    owed = await run_in_session(owed_answers)
    done = 0
    for conversation_id, last_seq in owed:
        if _relaying_here(conversation_id):
            continue
        stored = await run_in_session(
            functools.partial(
                _apologise_if_still_owed, conversation_id=conversation_id, last_seq=last_seq
            )
        )
        if stored:
            done += 1
            log.warning("apologised for an answer lost with a desk (%s)", conversation_id)
            get_hub().notify(conversation_id)
    return done


async def keep_looking_for_owed_answers() -> None:
    """The desk's background task: :func:`apologise_for_owed_answers` every few seconds."""
    while True:
        try:
            await apologise_for_owed_answers()
        except SQLAlchemyError as exc:  # e.g. the database restarting: look again later
            log.warning("could not look for answers owed: %s", str(exc).splitlines()[0])
        await asyncio.sleep(LOOK_EVERY_SECONDS)
