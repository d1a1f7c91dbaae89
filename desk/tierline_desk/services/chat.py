"""The web chat's one history: conversations, their ordered messages, and who has them.

Every line the shopper sees (their own, the bot's, an agent's, a system notice) is a
:class:`~tierline_desk.models.ChatMessage` with a per-conversation ``seq``; the widget renders
by ``seq`` and asks for ``seq > last_seen`` after a reconnect, so nothing is lost or doubled.
Nothing here commits except :func:`append`, which must, to hand out the ``seq``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..attachments import service as attachment_service
from ..models import (
    INTEGER_MAX,
    Agent,
    ChatMessage,
    Conversation,
    utcnow,
)
from ..store import get_store
from . import csat, handoffs

ROLE_LABELS = {
    "associate": "Customer Service Associate",
    "supervisor": "Supervisor",
    "specialist": "Executive Customer Relations",
    "admin": "Administrator",
}
# Quick replies the widget itself offers (not sent by the bot), allowed as button payloads.
# Payload -> the title the widget shows for it (static/chat/widget.js).
WIDGET_PAYLOADS = {"/request_callback": "Call me instead"}
# Button payloads from this many recent bot messages are accepted.
BUTTON_MEMORY = 20
_CONVERSATION_ID = re.compile(r"^web-[0-9a-f]{24}$")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_conversation(session: Session, customer_id: str | None) -> tuple[Conversation, str]:
    """A new conversation and the secret token that lets its widget reconnect (shown once)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    conversation = Conversation(
        conversation_id=f"web-{secrets.token_hex(12)}",
        token_hash=_hash(token),
        customer_id=customer_id,
        channel="web",
        mode="bot",
        last_seq=0,
        created_at=now,
        last_activity_at=now,
    )
    session.add(conversation)
    session.flush()
    return conversation, token


def authenticate(session: Session, conversation_id: Any, token: Any) -> Conversation | None:
    """The conversation when ``token`` is its secret; None for anything else (never raises)."""
    if not isinstance(conversation_id, str) or not isinstance(token, str):
        return None
    if not _CONVERSATION_ID.fullmatch(conversation_id) or not 0 < len(token) <= 200:
        return None
    conversation = get(session, conversation_id)
    if conversation is None:
        return None
    if not hmac.compare_digest(conversation.token_hash, _hash(token)):
        return None
    return conversation


def get(session: Session, conversation_id: str) -> Conversation | None:
    return session.scalar(
        select(Conversation).where(Conversation.conversation_id == conversation_id)
    )


def append(
    session: Session,
    conversation_id: str,
    sender: str,
    text: str,
    *,
    author: str | None = None,
    author_role: str | None = None,
    buttons: list[dict[str, str]] | None = None,
    client_id: str | None = None,
) -> tuple[ChatMessage, bool]:
    """Store one message with the next ``seq`` and commit. Returns (message, created).

    A shopper message whose ``client_id`` was already stored (a retry after a reconnect) is
    not stored again: the earlier one comes back with ``created=False``.
    """
    if client_id is not None:
        earlier = _by_client_id(session, conversation_id, client_id)
        if earlier is not None:
            return earlier, False
    now = utcnow()
    seq, _mode = _claim_seq(session, conversation_id, now)
    return _insert(
        session,
        ChatMessage(
            conversation_id=conversation_id,
            seq=seq,
            sender=sender,
            author=author,
            author_role=author_role,
            text=text,
            buttons=buttons or [],
            client_id=client_id,
            created_at=now,
        ),
    )


@dataclass(frozen=True)
class StoredShopperMessage:
    seq: int
    created: bool  # False: a retry of a message stored before (same client_id)
    mode: str  # the conversation's mode when it was stored: who answers it


def append_shopper_message(
    session: Session, conversation_id: str, text: str, client_id: str
) -> StoredShopperMessage:
    """Store a shopper's message like :func:`append`, and the mode it was stored in.

    The mode is read under the conversation's row lock, before the commit: once the commit
    succeeds the caller knows all it needs to answer the message, with no further read that
    a database going away could make fail (the message stored, its relay never started).
    """
    earlier = _by_client_id(session, conversation_id, client_id)
    if earlier is not None:
        conversation = get(session, conversation_id)
        mode = conversation.mode if conversation is not None else "closed"
        return StoredShopperMessage(earlier.seq, False, mode)
    now = utcnow()
    seq, mode = _claim_seq(session, conversation_id, now)
    message, created = _insert(
        session,
        ChatMessage(
            conversation_id=conversation_id,
            seq=seq,
            sender="shopper",
            text=text,
            buttons=[],
            client_id=client_id,
            created_at=now,
        ),
    )
    return StoredShopperMessage(message.seq, created, mode)


def _claim_seq(session: Session, conversation_id: str, now: datetime) -> tuple[int, str]:
    """The conversation's next ``seq`` and its mode, its row locked until the commit.

    The row-locking increment hands out seq numbers in commit order, also across processes.
    """
    session.execute(
        update(Conversation)
        .where(Conversation.conversation_id == conversation_id)
        .values(last_seq=Conversation.last_seq + 1, last_activity_at=now)
        .execution_options(synchronize_session=False)
    )
    row = session.execute(
        select(Conversation.last_seq, Conversation.mode).where(
            Conversation.conversation_id == conversation_id
        )
    ).one_or_none()
    if row is None:
        session.rollback()
        raise LookupError(f"no conversation {conversation_id}")
    return int(row.last_seq), str(row.mode)


def append_if_last(
    session: Session,
    conversation_id: str,
    last_seq: int,
    sender: str,
    text: str,
    *,
    buttons: list[dict[str, str]] | None = None,
) -> ChatMessage | None:
    """Store a message only if the conversation's last line is still ``last_seq`` (and commit);
    None if another line came first. Of several processes trying, exactly one succeeds."""
    now = utcnow()
    claimed = session.execute(
        update(Conversation)
        .where(Conversation.conversation_id == conversation_id, Conversation.last_seq == last_seq)
        .values(last_seq=last_seq + 1, last_activity_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        session.rollback()
        return None
    message, _ = _insert(
        session,
        ChatMessage(
            conversation_id=conversation_id,
            seq=last_seq + 1,
            sender=sender,
            text=text,
            buttons=buttons or [],
            created_at=now,
        ),
    )
    return message


def _insert(session: Session, message: ChatMessage) -> tuple[ChatMessage, bool]:
    """Add ``message`` (its ``seq`` already claimed) and commit; a shopper message whose
    ``client_id`` another request stored first comes back as that one, ``created=False``."""
    session.add(message)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        conversation_id, client_id = message.conversation_id, message.client_id
        earlier = _by_client_id(session, conversation_id, client_id) if client_id else None
        if earlier is None:
            raise
        return earlier, False
    return message, True


def _by_client_id(session: Session, conversation_id: str, client_id: str) -> ChatMessage | None:
    return session.scalar(
        select(ChatMessage).where(
            ChatMessage.conversation_id == conversation_id, ChatMessage.client_id == client_id
        )
    )


def messages_after(
    session: Session, conversation_id: str, after: int, limit: int = 500
) -> list[ChatMessage]:
    """Messages with ``seq > after``; an ``after`` past any possible seq finds none (a larger
    number than an Integer column holds would fail the query on PostgreSQL)."""
    after = min(after, INTEGER_MAX)
    return list(
        session.scalars(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id, ChatMessage.seq > after)
            .order_by(ChatMessage.seq)
            .limit(limit)
        )
    )


def offered_title(session: Session, conversation_id: str, payload: str) -> str | None:
    """The title of the button with this payload the bot offered recently (or the widget
    offers); None when nobody offered it. The newest offer wins."""
    if payload in WIDGET_PAYLOADS:
        return WIDGET_PAYLOADS[payload]
    recent = session.scalars(
        select(ChatMessage.buttons)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.sender == "bot")
        .order_by(ChatMessage.seq.desc())
        .limit(BUTTON_MEMORY)
    )
    for buttons in recent:
        for button in buttons or []:
            if isinstance(button, dict) and button.get("payload") == payload:
                title = button.get("title")
                return title if isinstance(title, str) and title else payload
    return None


def allowed_payload(session: Session, conversation_id: str, payload: str) -> bool:
    """A button payload is accepted only if the bot offered it recently (or the widget does)."""
    return offered_title(session, conversation_id, payload) is not None


def message_out(
    message: ChatMessage, attachments: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """A message as the widget and the console get it; ``attachments``: its files, described
    with signed links (only for someone allowed to see this conversation)."""
    return {
        "type": "message",
        "seq": message.seq,
        "sender": message.sender,
        "author": message.author,
        "author_role": message.author_role,
        "text": message.text,
        "buttons": list(message.buttons or []),
        "client_id": message.client_id,
        "created_at": message.created_at.isoformat(),
        "attachments": attachments or [],
    }


def messages_out(
    session: Session, conversation_id: str, messages: list[ChatMessage]
) -> list[dict[str, Any]]:
    """:func:`message_out` of each message, with the files it carries."""
    files = attachment_service.by_message(session, conversation_id, [m.seq for m in messages])
    return [
        message_out(m, [attachment_service.describe(a) for a in files.get(m.seq, [])])
        for m in messages
    ]


def agent_card(agent: Agent | None) -> dict[str, str] | None:
    if agent is None:
        return None
    return {
        "name": agent.display_name,
        "role": agent.role,
        "tier_label": ROLE_LABELS.get(agent.role, agent.role.title()),
    }


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


def customer_card(session: Session, customer_id: str | None) -> dict[str, str] | None:
    customer = get_store().customer(session, customer_id) if customer_id else None
    if customer is None:
        return None
    return {"name": customer.name, "first_name": first_name(customer.name)}


@dataclass(frozen=True)
class ChatState:
    """What the widget shows around the messages: who has the chat, the queue place."""

    mode: str
    agent: dict[str, str] | None
    queue: dict[str, Any]
    # The satisfaction survey offered in this chat (services/csat.py: web_offer).
    csat: dict[str, Any] = field(default_factory=dict)

    def frames(self) -> list[dict[str, Any]]:
        return [
            {"type": "agent", "agent": self.agent},
            {"type": "queue", **self.queue},
            {"type": "csat", **self.csat},
        ]


NOT_QUEUED: dict[str, Any] = {
    "ticket_number": None,
    "tier": None,
    "position": None,
    "estimated_wait_minutes": None,
}


def state(session: Session, conversation: Conversation) -> ChatState:
    """``conversation`` as loaded by ``session`` (not a detached copy: its mode must be fresh).

    Every open widget reads this on each wake-up, so its newest ticket is read once, for the
    queue place and the survey."""
    latest = handoffs.latest_ticket(session, conversation.conversation_id)
    queue = dict(NOT_QUEUED)
    if latest is not None and latest.status == "waiting":
        position = handoffs.queue_position(session, latest)
        queue = {
            "ticket_number": latest.ticket_number,
            "tier": latest.tier,
            "position": position,
            "estimated_wait_minutes": handoffs.estimated_wait(position),
        }
    agent = conversation.agent if conversation.mode == "agent" else None
    return ChatState(
        mode=conversation.mode,
        agent=agent_card(agent),
        queue=queue,
        csat=csat.web_offer(session, conversation.conversation_id, latest),
    )
