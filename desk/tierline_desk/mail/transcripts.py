"""Mail a conversation transcript. The desk does not hold the chat: Rasa does.

``GET {RASA_URL}/conversations/{id}/tracker?token={RASA_TOKEN}`` gives the tracker; its
``user`` and ``bot`` events with text (and their timestamps) are the transcript. Button
payloads (``/intent``) and injected intents (``EXTERNAL: ...``) are not things anyone typed
and are left out.

A request whose transcript was mailed is marked ``sent``; otherwise it stays ``pending``
(Rasa unreachable, no messages yet, mail server down) and can be retried with
``python -m tierline_desk.cli send-transcripts``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..attachments import service as attachment_service
from ..models import Attachment, Case, CaseMessage, TranscriptRequest
from ..rasa_client import RasaUnavailable, sync_client
from ..services import audit, case_followup, chat
from ..settings import get_settings
from . import inbound_attachments, templates
from .sender import build_message, mask_email, send
from .templates import TranscriptLine

log = logging.getLogger("tierline_desk.mail")

SENT = "sent"
PENDING = "pending"


def fetch_transcript(conversation_id: str) -> list[TranscriptLine]:
    """The conversation's user and bot messages, oldest first. Raises :class:`RasaUnavailable`."""
    settings = get_settings()
    url = f"{settings.rasa_base_url()}/conversations/{quote(conversation_id, safe='')}/tracker"
    token = settings.rasa_token.get_secret_value()
    params = {"token": token} if token else {}
    try:
        resp = sync_client().get(url, params=params, timeout=settings.rasa_timeout_seconds)
        resp.raise_for_status()
        tracker = resp.json()
    except httpx.HTTPStatusError as exc:
        raise RasaUnavailable(f"Rasa answered {exc.response.status_code} to the tracker") from exc
    except httpx.HTTPError as exc:
        raise RasaUnavailable(f"Rasa could not be reached: {type(exc).__name__}") from exc
    except ValueError as exc:
        raise RasaUnavailable("Rasa's tracker was not JSON") from exc
    events = tracker.get("events") if isinstance(tracker, dict) else None
    return parse_events(events if isinstance(events, list) else [])


def web_chat_lines(session: Session, conversation_id: str) -> list[TranscriptLine]:
    """A web chat's whole history as the shopper saw it (bot, people, notices), with signed
    links to the files sent that expire after ATTACHMENT_EMAIL_LINK_SECONDS."""
    settings = get_settings()
    messages = chat.messages_after(session, conversation_id, 0, limit=5000)
    files = attachment_service.by_message(session, conversation_id, [m.seq for m in messages])
    base = settings.desk_public_url.rstrip("/")
    lines = []
    for message in messages:
        if message.sender == "agent":
            sender = f"agent:{message.author or 'Agent'}"
        else:
            sender = {"shopper": "user"}.get(message.sender, message.sender)
        links = tuple(
            (a.filename, base + links_for_email(a, settings.attachment_email_link_seconds))
            for a in files.get(message.seq, [])
        )
        lines.append(
            TranscriptLine(at=message.created_at, sender=sender, text=message.text, files=links)
        )
    return lines


def links_for_email(attachment: Attachment, ttl_seconds: int) -> str:
    return str(attachment_service.describe(attachment, ttl_seconds=ttl_seconds)["url"])


def case_email_lines(session: Session, conversation_id: str) -> list[TranscriptLine]:
    """The email threads of the conversation's cases, oldest first: the specialists' replies
    that were sent and the shopper's answers (their new text, and the files they attached)."""
    rows = session.execute(
        select(CaseMessage, Case.case_number)
        .join(Case, Case.case_number == CaseMessage.case_number)
        .where(
            Case.conversation_id == conversation_id,
            or_(CaseMessage.direction == "inbound", CaseMessage.sent.is_(True)),
        )
        .order_by(CaseMessage.created_at, CaseMessage.id)
    ).all()
    owners = [case_followup.message_owner(m.id) for m, _n in rows]
    files = inbound_attachments.for_owners(session, owners)
    lines = []
    for message, number in rows:
        who = "You" if message.direction == "inbound" else message.author
        text = message.body.strip()
        for found in files.get(case_followup.message_owner(message.id), []):
            text += f"\n[Attached: {found.filename}]"
        lines.append(
            TranscriptLine(at=message.created_at, sender=f"email:{who} ({number})", text=text)
        )
    return lines


def parse_events(events: list[Any]) -> list[TranscriptLine]:
    lines: list[TranscriptLine] = []
    for event in events:
        if not isinstance(event, dict) or event.get("event") not in ("user", "bot"):
            continue
        text = event.get("text")
        if not isinstance(text, str) or not text.strip():
            continue
        text = text.strip()
        if event["event"] == "user" and (text.startswith("/") or text.startswith("EXTERNAL: ")):
            continue
        lines.append(
            TranscriptLine(at=_when(event.get("timestamp")), sender=event["event"], text=text)
        )
    return lines


def _when(timestamp: Any) -> datetime | None:
    if isinstance(timestamp, int | float) and not isinstance(timestamp, bool):
        try:
            return datetime.fromtimestamp(float(timestamp), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


@dataclass(frozen=True)
class Outcome:
    sent: bool
    message: str


def deliver(session: Session, req: TranscriptRequest, actor: str = "bot") -> Outcome:
    """Fetch, mail, and mark ``req`` sent (committing). Never raises for Rasa or SMTP trouble."""
    if req.status == SENT:
        return Outcome(True, "The transcript was already emailed.")
    try:
        lines = web_chat_lines(session, req.conversation_id) or fetch_transcript(
            req.conversation_id
        )
        lines += case_email_lines(session, req.conversation_id)
    except RasaUnavailable as exc:
        log.warning("transcript %s stays pending: %s", req.request_id, exc)
        return Outcome(
            False,
            "The conversation could not be fetched from the assistant right now; the "
            "request is saved and the transcript will be emailed once it can be.",
        )
    if not lines:
        return Outcome(False, "There are no messages in that conversation yet; nothing was sent.")
    try:
        msg = build_message(
            templates.transcript(
                request_id=req.request_id,
                conversation_id=req.conversation_id,
                to=req.email,
                lines=lines,
            )
        )
    except Exception as exc:
        log.warning(
            "transcript %s: could not prepare the mail: %s", req.request_id, type(exc).__name__
        )
        return Outcome(False, "The transcript could not be prepared; the request is saved.")
    if not send(msg):
        return Outcome(
            False,
            "The mail server is not available right now; the request is saved and the "
            "transcript will be emailed once it is.",
        )
    req.status = SENT
    audit.record(
        session,
        "transcript.sent",
        actor=actor,
        details={
            "request_id": req.request_id,
            "conversation_id": req.conversation_id,
            "message_id": str(msg["Message-ID"]),
            "messages": len(lines),
        },
    )
    session.commit()
    log.info("transcript %s mailed to %s", req.request_id, mask_email(req.email))
    return Outcome(True, f"The transcript ({len(lines)} messages) was emailed.")
