"""Emailing a chat's transcript: the one path for the widget and for the bot's actions.

"Email me this chat" sends mail with text the shopper chose, so it must not become a relay:

- **Few, then slowly** (token buckets, services/rate_limits.py; shared through Redis with
  several desks): per conversation (``TRANSCRIPT_PER_CONVERSATION_BURST`` / ``_PER_HOUR``) on
  both paths, and per client address (``TRANSCRIPT_PER_ADDRESS_BURST`` / ``_PER_HOUR``) on the
  widget's path (the bot's actions all come from the action server's address, behind the
  bearer token, so they are limited per conversation only). A refusal says when to try again.
- **A signed-in shopper's transcript goes to the email on their account.** Another address is
  used only when the shopper confirmed it (the widget asks: ``confirm_email`` frame,
  docs/web-chat.md); unconfirmed, nothing is sent and no token is taken.
- Guests (no account) name the address; the limits are what bounds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.orm import Session
from starlette.applications import Starlette

from ..mail import transcripts as transcript_mail
from ..mail.sender import is_address, mask_email
from ..models import TranscriptRequest, utcnow
from ..settings import Settings
from ..store import get_store
from . import audit, chat, ids
from .rate_limits import FloodLimiter, Rate, RedisBuckets, flood_limiter

Status = Literal["sent", "pending", "refused", "confirm", "invalid"]


@dataclass
class TranscriptLimits:
    per_conversation: FloodLimiter
    per_address: FloodLimiter

    @classmethod
    def from_settings(cls, settings: Settings, shared: RedisBuckets | None) -> TranscriptLimits:
        conversation = Rate(
            settings.transcript_per_conversation_burst,
            settings.transcript_per_conversation_per_hour / 60.0,
        )
        address = Rate(
            settings.transcript_per_address_burst, settings.transcript_per_address_per_hour / 60.0
        )
        return cls(
            flood_limiter("transcripts_per_conversation", conversation, shared),
            flood_limiter("transcripts_per_address", address, shared),
        )


def limits_of(app: Starlette) -> TranscriptLimits:
    """The app's transcript limits (made in ``create_app``), the same for both paths."""
    made = app.state.transcript_limits
    assert isinstance(made, TranscriptLimits)
    return made


@dataclass(frozen=True)
class Ask:
    conversation_id: str
    email: str | None  # None: the email on the shopper's account
    actor: str  # audit: "web" or the bearer's actor
    confirmed: bool = False  # the shopper confirmed an address other than their account's
    client_address: str | None = None  # the widget's client; None for the bot's actions


@dataclass(frozen=True)
class Answer:
    status: Status
    message: str
    email: str | None = None
    request: TranscriptRequest | None = None
    retry_after: int | None = None


def _account_email(session: Session, conversation_id: str) -> str | None:
    conversation = chat.get(session, conversation_id)
    if conversation is None or not conversation.customer_id:
        return None
    customer = get_store().customer(session, conversation.customer_id)
    return customer.email if customer and customer.email else None


def _wait_message(wait: float) -> tuple[str, int]:
    minutes = max(1, int(wait // 60) + (1 if wait % 60 else 0))
    when = "a minute" if minutes == 1 else f"{minutes} minutes"
    return (
        f"We've already emailed this chat a few times. To protect your inbox, please wait "
        f"about {when} before asking again.",
        max(1, int(wait) + 1),
    )


def request_transcript(session: Session, limits: TranscriptLimits, ask: Ask) -> Answer:
    """Check, limit, record (one committed TranscriptRequest, audited) and mail the transcript."""
    typed = (ask.email or "").strip() or None
    account = _account_email(session, ask.conversation_id)
    if typed is not None and not is_address(typed):
        return Answer(
            "invalid", f"{typed[:80]} doesn't look like an email address; please check it."
        )
    other = account is not None and typed is not None and typed.lower() != account.lower()
    if other and not ask.confirmed:
        return Answer(
            "confirm",
            f"This chat would go to {typed}, not to the email on your account "
            f"({mask_email(account)}). Send it to {typed}?",
            email=typed,
        )
    address = typed or account
    if address is None:
        return Answer("invalid", "Please enter the email address to send this chat to.")
    wait = limits.per_conversation.take(ask.conversation_id)
    if not wait and ask.client_address is not None:
        wait = limits.per_address.take(ask.client_address)
    if wait:
        message, retry_after = _wait_message(wait)
        return Answer("refused", message, email=address, retry_after=retry_after)
    req = TranscriptRequest(
        request_id=ids.unique_random_id(session, TranscriptRequest, "request_id", "TR", 8),
        conversation_id=ask.conversation_id,
        email=address,
        status="pending",
        created_at=utcnow(),
    )
    session.add(req)
    audit.record(
        session,
        "transcript.request",
        actor=ask.actor,
        details={
            "request_id": req.request_id,
            "conversation_id": ask.conversation_id,
            "to_account_email": address == account,
        },
    )
    session.commit()
    outcome = transcript_mail.deliver(session, req, actor=ask.actor)
    if outcome.sent:
        return Answer(
            "sent",
            f"We've emailed a copy of this chat to {mask_email(address)}.",
            email=address,
            request=req,
        )
    return Answer("pending", outcome.message, email=address, request=req)
