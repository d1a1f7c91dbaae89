"""A shopper's message from the web chat, once the websocket has read its frame.

What is stored and shown (clean text, or the title the bot offered for a button), what the bot
gets, the flood limits, storing it, and the answer it is owed. The websocket handler
(public/chat.py) only turns frames into these calls and their outcomes back into frames.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.orm import Session

from ..attachments import service as attachments
from ..db import run_in_session as db
from ..db import run_until_stored
from ..settings import get_settings
from . import bot_relay, chat
from .chat_hub import get_hub
from .rate_limits import FloodLimits, KeyedLimiter, retry_after_header
from .typed_text import as_plain_text, clean_text

NOT_WORDS = "I can only read words, not commands. Could you tell me in a few words what you need?"
# What the bot is told when a message carries files and no words (signed as a command: the
# shopper can't type it). Its rule answers; the desk keeps the files with the conversation.
FILES_COMMAND = "/share_photo"


@dataclass(frozen=True)
class Refused:
    """Why a message was not taken: an ``error`` frame's code, message and extra fields."""

    code: str
    message: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    """A message worth storing: ``shown`` is stored and shown, ``for_bot`` relayed (empty: only
    slashes, nothing to relay); ``command``: an offered button's payload (signed as one)."""

    shown: str
    for_bot: str
    command: bool = False
    files: tuple[str, ...] = ()  # attachment ids (checked: this conversation's, not yet sent)


async def read_button(conversation_id: str, payload: str) -> Message | Refused:
    """A button the bot offered in this conversation; the title stored and shown is the one the
    bot offered, never the one sent."""
    offered = await db(lambda s: chat.offered_title(s, conversation_id, payload))
    if offered is None:
        return Refused(
            "unknown_button",
            "That option isn't available any more; please type your question instead.",
        )
    return Message(clean_text(offered)[:200] or payload, payload, command=True)


async def read_files(conversation_id: str, message: Message, files: Any) -> Message | Refused:
    """The message with the files it carries: ids this conversation uploaded and no message
    carries yet (attachments/service.py)."""
    if not isinstance(files, list) or not files:
        return Refused("bad_frame", "attachments must be a list of attachment ids.")
    try:
        await db(lambda s: attachments.unsent(s, conversation_id, files))
    except attachments.Refused as refused:
        return Refused(refused.code, refused.message)
    return replace(message, files=tuple(files))


def read_text(text: str, *, may_be_empty: bool = False) -> Message | Refused:
    """Typed text, cleaned (services/typed_text.py) and within CHAT_MAX_MESSAGE_CHARS.

    ``may_be_empty``: the message carries files, so it needs no words."""
    limit = get_settings().chat_max_message_chars
    shown = clean_text(text)
    if not shown and may_be_empty:
        return Message("", FILES_COMMAND, command=True)
    if not shown:
        return Refused("empty_message", "Your message is empty.")
    if len(shown) > limit:
        return Refused(
            "too_long",
            f"Messages can be up to {limit} characters; yours has {len(shown)}. "
            "Please shorten it or send it in parts.",
            {"limit": limit},
        )
    return Message(shown, as_plain_text(shown))


async def check_flood(
    limits: FloodLimits, connection: KeyedLimiter, conversation_id: str
) -> Refused | None:
    """None while this socket and this conversation are within their limits."""
    wait = connection.take("connection") or await limits.per_conversation.take_async(
        conversation_id
    )
    if not wait:
        return None
    return Refused(
        "rate_limited",
        "You're sending messages faster than we can read them. Please wait a few "
        f"seconds (about {retry_after_header(wait)}) and send it again.",
        {"retry_after": int(retry_after_header(wait))},
    )


async def store(
    conversation_id: str, message: Message, client_id: str
) -> chat.StoredShopperMessage:
    """Store the message (once per ``client_id``): from then on the shopper is owed an answer,
    even if the socket closes."""

    def store_with_files(session: Session) -> chat.StoredShopperMessage:
        stored = chat.append_shopper_message(session, conversation_id, message.shown, client_id)
        attachments.attach_to_message(session, conversation_id, message.files, stored.seq)
        return stored

    return await db(store_with_files)


async def answer(
    conversation_id: str,
    customer_id: str | None,
    message: Message,
    stored: chat.StoredShopperMessage,
    bot_typing: Callable[[bool], Awaitable[None]],
) -> None:
    """Wake the conversation's sockets, then get the answer owed: the bot's while the bot has
    the chat (a retry of a stored message is not relayed again)."""
    hub = get_hub()
    hub.notify(conversation_id)
    if not (stored.created and stored.mode == "bot"):
        return
    if message.for_bot:
        await bot_relay.relay(
            conversation_id, customer_id, message.for_bot, bot_typing, command=message.command
        )
    else:
        # Only slashes (a would-be command): nothing to relay, but never leave it unanswered.
        await run_until_stored(lambda s: chat.append(s, conversation_id, "bot", NOT_WORDS))
        hub.notify(conversation_id)
