"""Customer satisfaction: one question ("How did we do?", 1-5 and an optional comment) per
ticket, email case or (when CSAT_BOT_CHATS is on) bot-only chat.

- **Web chat**: once a person resolved or handed back the conversation's latest ticket, the
  widget is offered a survey for it (``csat`` frame, docs/web-chat.md) until it is answered;
  the offer is read from the database, so it survives a reload. Bot-only chats are offered one
  only when ``CSAT_BOT_CHATS`` is on and the shopper wrote ``CSAT_BOT_MIN_MESSAGES`` messages.
- **Email cases**: the closing reply carries a link to ``/csat/<token>``; the token is signed
  (itsdangerous, with TIERLINE_IDENTITY_SECRET and a salt of its own) and expires after
  ``CSAT_LINK_DAYS``.
- **Once**: ``csat_responses.subject`` is unique, so a second answer is refused
  (``csat_already_answered``) however it arrives.
- **Low scores** (``<= CSAT_LOW_SCORE``) open a ``csat_follow_up`` case for the supervisors
  (services/cases.py; they answer it by email from the console's Cases), audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from ..errors import ApiError
from ..models import Agent, Case, ChatMessage, CsatResponse, HandoffTicket, utcnow
from ..settings import Settings, SettingsError, get_settings, require_secret
from . import audit, cases, handoffs
from .rate_limits import FloodLimiter, Rate, RedisBuckets, flood_limiter
from .typed_text import clean_text

log = logging.getLogger("tierline_desk.csat")

QUESTION = "How did we do? Rate this conversation from 1 (poor) to 5 (excellent)."
FOLLOW_UP_KIND = "csat_follow_up"
LINK_SALT = "tierline.csat.case-link.v1"
TIER_LABELS = {0: "Bot", 1: "Associates", 2: "Supervisors", 3: "Specialists"}
SPECIALIST_TEAM = cases.SPECIALIST_TEAM


@dataclass(frozen=True)
class Subject:
    """What a survey rates, with what its answer is stored under."""

    key: str  # csat_responses.subject
    channel: str  # web | email
    conversation_id: str
    tier: int
    reason: str
    agent_id: int | None
    ticket_number: str | None = None
    case_number: str | None = None
    order_number: str | None = None
    customer: dict[str, Any] | None = None


# ---------------------------------------------------------------- web chat


def _ticket_subject(ticket: HandoffTicket) -> Subject:
    return Subject(
        key=f"ticket:{ticket.ticket_number}",
        channel="web",
        conversation_id=ticket.conversation_id,
        tier=ticket.tier,
        reason=ticket.reason,
        agent_id=ticket.claimed_by,
        ticket_number=ticket.ticket_number,
        order_number=ticket.order_number,
        customer=dict(ticket.customer or {}),
    )


def _bot_chat_subject(session: Session, conversation_id: str) -> Subject | None:
    settings = get_settings()
    if not settings.csat_bot_chats:
        return None
    if session.scalar(select(Case.id).where(Case.conversation_id == conversation_id).limit(1)):
        return None
    written = session.scalar(
        select(func.count())
        .select_from(ChatMessage)
        .where(ChatMessage.conversation_id == conversation_id, ChatMessage.sender == "shopper")
    )
    if int(written or 0) < settings.csat_bot_min_messages:
        return None
    return Subject(
        key=f"chat:{conversation_id}",
        channel="web",
        conversation_id=conversation_id,
        tier=0,
        reason="bot_only",
        agent_id=None,
    )


def web_subject(
    session: Session, conversation_id: str, latest: HandoffTicket | None
) -> Subject | None:
    """The survey this web chat is offered: its ``latest`` ticket (handoffs.latest_ticket) once a
    person resolved it (or handed it back), or the chat itself (bot-only chats, CSAT_BOT_CHATS);
    else None."""
    if latest is None:
        return _bot_chat_subject(session, conversation_id)
    if latest.status == "resolved" and latest.claimed_by is not None:
        return _ticket_subject(latest)
    return None


def answered(session: Session, subject_key: str) -> bool:
    return (
        session.scalar(select(CsatResponse.id).where(CsatResponse.subject == subject_key))
        is not None
    )


def web_offer(
    session: Session, conversation_id: str, latest: HandoffTicket | None
) -> dict[str, Any]:
    """The widget's ``csat`` frame body: ``subject`` None when nothing is to be rated."""
    subject = web_subject(session, conversation_id, latest)
    if subject is None:
        return {"subject": None, "question": None, "answered": False}
    return {
        "subject": subject.key,
        "question": QUESTION,
        "answered": answered(session, subject.key),
    }


def answer_web(
    session: Session, conversation_id: str, subject_key: Any, score: Any, comment: Any
) -> CsatResponse:
    """The shopper's answer from the widget (not committed). Raises ApiError with a clear code:
    what is wrong with the answer first, then whether there is anything to rate."""
    read_score(score)
    read_comment(comment)
    subject = web_subject(
        session, conversation_id, handoffs.latest_ticket(session, conversation_id)
    )
    if subject is None or subject_key != subject.key:
        raise ApiError(
            409,
            "csat_not_offered",
            "There is no survey to answer in this chat (only a chat a person closed is rated).",
        )
    return _record(session, subject, score, comment)


# ---------------------------------------------------------------- email cases (signed links)


def _serializer() -> URLSafeTimedSerializer:
    secret = require_secret(get_settings().identity_secret, "TIERLINE_IDENTITY_SECRET")
    return URLSafeTimedSerializer(secret, salt=LINK_SALT)


def case_token(case_number: str) -> str:
    return str(_serializer().dumps({"case": case_number}))


def case_link(case_number: str) -> str | None:
    """The survey page's address for a case, for its closing email; None (and a warning) when
    TIERLINE_IDENTITY_SECRET, which signs it, is not set: the reply still goes, unrated."""
    try:
        token = case_token(case_number)
    except SettingsError as exc:
        log.warning("case %s closed without a survey link: %s", case_number, exc)
        return None
    return f"{get_settings().public_base_url.rstrip('/')}/csat/{token}"


def rated_by_link(c: Case) -> bool:
    """Whether a case's closing email carries a survey link (not the follow-ups themselves)."""
    return c.kind != FOLLOW_UP_KIND


def _case_from_token(session: Session, token: Any) -> Case:
    if not isinstance(token, str) or not 0 < len(token) <= 512:
        raise ApiError(404, "csat_link_invalid", "This survey link is not valid.")
    try:
        data = _serializer().loads(token, max_age=get_settings().csat_link_days * 86400)
    except SignatureExpired as exc:
        raise ApiError(
            410,
            "csat_link_expired",
            "This survey link has expired. Thank you all the same: reply to our email if "
            "there is anything we can still do.",
        ) from exc
    except BadSignature as exc:
        raise ApiError(404, "csat_link_invalid", "This survey link is not valid.") from exc
    number = data.get("case") if isinstance(data, dict) else None
    found = (
        session.scalar(select(Case).where(Case.case_number == number))
        if isinstance(number, str)
        else None
    )
    if found is None or not rated_by_link(found):
        raise ApiError(404, "csat_link_invalid", "This survey link is not valid.")
    return found


def _case_subject(session: Session, c: Case) -> Subject:
    closer = (
        session.scalar(select(Agent).where(Agent.username == c.closed_by)) if c.closed_by else None
    )
    return Subject(
        key=f"case:{c.case_number}",
        channel="email",
        conversation_id=c.conversation_id,
        tier=3 if c.team == SPECIALIST_TEAM else 1,
        reason=c.kind,
        agent_id=closer.id if closer is not None else None,
        case_number=c.case_number,
        order_number=c.order_number,
        customer=dict(c.customer or {}),
    )


def case_survey(session: Session, token: Any) -> dict[str, Any]:
    """What the survey page shows for a link (raises for a bad or expired one)."""
    c = _case_from_token(session, token)
    subject = _case_subject(session, c)
    return {
        "case_number": c.case_number,
        "question": QUESTION,
        "answered": answered(session, subject.key),
    }


def answer_case(session: Session, token: Any, score: Any, comment: Any) -> CsatResponse:
    c = _case_from_token(session, token)
    return _record(session, _case_subject(session, c), score, comment)


# ---------------------------------------------------------------- storing an answer


def read_score(score: Any) -> int:
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ApiError(422, "csat_bad_score", "Choose a score from 1 (poor) to 5 (excellent).")
    return score


def read_comment(comment: Any) -> str | None:
    if comment is None:
        return None
    if not isinstance(comment, str):
        raise ApiError(422, "csat_bad_comment", "The comment must be text.")
    limit = get_settings().csat_comment_max_chars
    if len(comment) > limit:
        raise ApiError(
            422,
            "csat_comment_too_long",
            f"Please keep the comment under {limit} characters (it has {len(comment)}).",
            max_chars=limit,
        )
    return clean_text(comment) or None


def _already(subject: Subject) -> ApiError:
    return ApiError(
        409,
        "csat_already_answered",
        "You already rated this conversation. Thank you: one answer per conversation.",
        subject=subject.key,
    )


def _record(session: Session, subject: Subject, score: Any, comment: Any) -> CsatResponse:
    value = read_score(score)
    text = read_comment(comment)
    if answered(session, subject.key):
        raise _already(subject)
    row = CsatResponse(
        subject=subject.key,
        channel=subject.channel,
        conversation_id=subject.conversation_id,
        ticket_number=subject.ticket_number,
        case_number=subject.case_number,
        tier=subject.tier,
        agent_id=subject.agent_id,
        reason=subject.reason,
        score=value,
        comment=text,
        created_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:  # answered at the same moment elsewhere
        raise _already(subject) from exc
    audit.record(
        session,
        "csat.answer",
        actor="web" if subject.channel == "web" else "email",
        order_number=subject.order_number,
        details={"subject": subject.key, "score": value, "tier": subject.tier},
    )
    if value <= get_settings().csat_low_score:
        _open_follow_up(session, subject, row)
    session.flush()
    return row


def _open_follow_up(session: Session, subject: Subject, row: CsatResponse) -> None:
    """A low score: a case for the supervisors to look into (and answer the shopper)."""
    said = f'\n\nThe shopper wrote: "{row.comment}"' if row.comment else ""
    case = cases.open_case(
        session,
        kind=FOLLOW_UP_KIND,
        conversation_id=subject.conversation_id,
        description=(
            f"The shopper rated {subject.key.replace(':', ' ')} {row.score} out of 5 "
            f"({TIER_LABELS.get(subject.tier, subject.tier)}, reason: {subject.reason})."
            f"{said}"
        ),
        actor="csat",
        order_number=subject.order_number,
        customer=subject.customer,
    )
    row.follow_up_case_number = case.case_number
    audit.record(
        session,
        "csat.follow_up",
        actor="csat",
        order_number=subject.order_number,
        details={"subject": subject.key, "score": row.score, "case_number": case.case_number},
    )


# ---------------------------------------------------------------- the public page's limits


@dataclass
class CsatLimits:
    per_address: FloodLimiter

    @classmethod
    def from_settings(cls, settings: Settings, shared: RedisBuckets | None) -> CsatLimits:
        rate = Rate(settings.csat_per_ip_burst, settings.csat_per_ip_per_minute)
        return cls(flood_limiter("csat_per_address", rate, shared))


def limits_of(app: Starlette) -> CsatLimits:
    made = app.state.csat_limits
    assert isinstance(made, CsatLimits)
    return made


def link_expiry(now: datetime | None = None) -> datetime:
    """Until when a link made now can be used (shown in the email)."""
    return (now or utcnow()).astimezone(UTC) + timedelta(days=get_settings().csat_link_days)
