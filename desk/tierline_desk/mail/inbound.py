"""Mail coming in: the one function every door calls (local catcher, IMAP poller, webhook).

:func:`process` takes the raw RFC 822 bytes and either threads the mail into its case (a
``CaseMessage`` with direction ``inbound``, its images and PDFs kept) or quarantines it (an
``InboundMail`` row an admin sees in the console, touching no case). Each Message-ID is taken
once: the same mail again (an IMAP re-read, a webhook retry) is a ``duplicate`` and changes
nothing. The rules (docs/email.md):

1. Too large (INBOUND_MAIL_MAX_BYTES), unreadable, an auto-reply (RFC 3834 ``Auto-Submitted``,
   ``X-Autoreply``, ``Precedence: bulk/list/junk/auto_reply``, "Out of office" subjects) or a
   bounce (``multipart/report``, MAILER-DAEMON) -> quarantined.
2. The case: the case address it was sent to (``cases+case-100001.<token>@...``) or the
   ``X-Tierline-Case-Token`` header, with a valid HMAC token; else ``In-Reply-To``/
   ``References`` naming a mail the desk sent for a case. Never the subject. A token that does
   not verify is ``forged_token``; no case at all is ``no_case``.
3. The sender: the From address must be the case's shopper's email (case-insensitive, exact
   address); anyone else is ``unknown_sender``. A ``dmarc=fail`` in Authentication-Results
   (added by the receiving server) is ``failed_authentication``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr
from typing import Literal

import html2text
from mailparser_reply import EmailReplyParser
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..models import Case, CaseMessage, InboundMail, utcnow
from ..services import audit
from ..services.case_followup import customer_email, message_owner
from ..settings import get_settings
from . import case_threads, inbound_attachments
from .outbox import normalize_message_id
from .sender import mask_email

log = logging.getLogger("tierline_desk.mail.inbound")

Source = Literal["smtp", "imap", "webhook"]
Status = Literal["threaded", "quarantined", "duplicate"]

MAX_BODY_CHARS = 50_000
EXCERPT_CHARS = 2_000
_AUTO_SUBJECT = re.compile(
    r"^\s*(out of (the )?office|automatic reply|auto(matic)?[- ]?re(ply|sponse)|auto:|"
    r"vacation|undeliverable|delivery status notification|returned mail)",
    re.IGNORECASE,
)
_MSGID = re.compile(r"<([^<>\s\x00]{1,298})>")
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")


@dataclass(frozen=True)
class Outcome:
    status: Status
    message_id: str
    reason: str | None = None
    case_number: str | None = None
    case_message_id: int | None = None


class _Quarantine(Exception):
    def __init__(self, reason: str, case_number: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.case_number = case_number


# ---------------------------------------------------------------- reading the mail


def _header(msg: Message, name: str) -> str:
    """A header as text; a header too broken for the parser reads as empty. No NUL characters
    (PostgreSQL's text columns refuse them)."""
    try:
        value = msg.get(name)
        return str(value).replace("\x00", "").strip() if value is not None else ""
    except Exception:
        return ""


def _headers(msg: Message, name: str) -> list[str]:
    try:
        return [str(v).replace("\x00", "") for v in msg.get_all(name) or []]
    except Exception:
        return []


def _message_id(msg: Message, raw: bytes) -> str:
    """The mail's own Message-ID, or one made from its bytes (so it is still taken once)."""
    found = _MSGID.search(_header(msg, "Message-ID"))
    if found:
        return normalize_message_id(found.group(1))[:300]
    return f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@inbound.invalid"


def _from_address(msg: Message) -> str:
    return parseaddr(_header(msg, "From"))[1].strip().lower()[:320]


def _recipients(msg: Message, envelope: Sequence[str]) -> list[str]:
    values = [*envelope]
    for name in ("To", "Cc", "Delivered-To", "X-Original-To"):
        values += [addr for _n, addr in getaddresses(_headers(msg, name)) if addr]
    return values


def auto_reply_reason(msg: Message, from_address: str) -> str | None:
    """``bounce``, ``auto_reply`` or None (a person wrote it)."""
    if msg.get_content_type() == "multipart/report" or from_address.split("@")[0] in (
        _BOUNCE_SENDERS
    ):
        return "bounce"
    if _header(msg, "Return-Path") == "<>":
        return "bounce"
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return "auto_reply"
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return "auto_reply"
    if _header(msg, "Precedence").lower() in ("bulk", "auto_reply", "list", "junk"):
        return "auto_reply"
    if _header(msg, "List-Id") or _AUTO_SUBJECT.match(_header(msg, "Subject")):
        return "auto_reply"
    return None


def _text(msg: EmailMessage) -> str:
    """The plain text of the mail (its HTML turned into text when it has no plain part)."""
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is None:
            return ""
        content = part.get_content()
        if not isinstance(content, str):
            return ""
    except Exception:  # an unknown charset, a broken transfer encoding
        payload = msg.get_payload(decode=True) if not msg.is_multipart() else None
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_subtype() == "html":
        converter = html2text.HTML2Text()
        converter.ignore_images = True
        converter.body_width = 0
        content = converter.handle(content)
    return content.replace("\r\n", "\n").replace("\x00", "")


def split_quoted(text: str) -> tuple[str, str]:
    """(the new text, the earlier text it quotes); all of it new when no quote is found."""
    try:
        reply = EmailReplyParser(languages=["en"]).parse_reply(text) or ""
    except Exception:
        reply = ""
    reply = reply.strip()
    stripped = text.strip()
    if not reply or not stripped.startswith(reply):
        return stripped, ""
    return reply, stripped[len(reply) :].strip()


def _attachments(msg: EmailMessage) -> Iterable[tuple[str | None, bytes]]:
    try:
        parts = list(msg.iter_attachments())
    except Exception:
        return []
    found = []
    for part in parts:
        try:
            data = part.get_payload(decode=True)
        except Exception:
            data = None
        found.append((part.get_filename(), data if isinstance(data, bytes) else b""))
    return found


# ---------------------------------------------------------------- finding the case


def _case(session: Session, number: str) -> Case | None:
    return session.scalar(select(Case).where(Case.case_number == number))


def find_case(session: Session, msg: Message, envelope: Sequence[str]) -> Case:
    """The case this mail answers (rules in the module doc); raises :class:`_Quarantine`."""
    claims = [case_threads.claim_in_address(a) for a in _recipients(msg, envelope)]
    token = _header(msg, case_threads.TOKEN_HEADER)
    claims.append(case_threads.claim_in_header(token) if token else None)
    found = [c for c in claims if c is not None]
    if any(not c.valid for c in found):
        raise _Quarantine("forged_token")
    numbers = {c.case_number for c in found}
    if len(numbers) > 1:
        raise _Quarantine("ambiguous_case")
    if numbers:
        case = _case(session, numbers.pop())
        if case is None:
            raise _Quarantine("no_case")
        return case
    ids = _MSGID.findall(_header(msg, "In-Reply-To"))
    ids += reversed(_MSGID.findall(" ".join(_headers(msg, "References"))))
    for mid in ids:
        root = case_threads.claim_in_message_id(mid)
        if root is not None:
            if not root.valid:
                raise _Quarantine("forged_token")
            number: str | None = root.case_number
        else:
            number = session.scalar(
                select(CaseMessage.case_number).where(
                    CaseMessage.message_id == normalize_message_id(mid),
                    CaseMessage.direction == "outbound",
                )
            )
        case = _case(session, number) if number else None
        if case is not None:
            return case
    raise _Quarantine("no_case")


def _check_sender(session: Session, msg: Message, case: Case, sender: str) -> None:
    if "dmarc=fail" in " ".join(_headers(msg, "Authentication-Results")).lower():
        raise _Quarantine("failed_authentication", case.case_number)
    shopper = (customer_email(session, case) or "").lower()
    if not sender or sender != shopper:
        raise _Quarantine("unknown_sender", case.case_number)


# ---------------------------------------------------------------- storing


def _record(
    session: Session,
    *,
    message_id: str,
    source: Source,
    msg: Message,
    size: int,
    status: Literal["threaded", "quarantined"],
    reason: str | None,
    case_number: str | None,
    excerpt: str,
) -> None:
    sender = _from_address(msg)
    session.add(
        InboundMail(
            message_id=message_id,
            source=source,
            received_at=utcnow(),
            from_email=sender,
            subject=_header(msg, "Subject")[:300],
            status=status,
            reason=reason,
            case_number=case_number,
            size=size,
            excerpt=excerpt[:EXCERPT_CHARS],
        )
    )
    if status == "quarantined":
        audit.record(
            session,
            "mail.quarantined",
            actor=f"mail:{source}",
            details={
                "message_id": message_id,
                "reason": reason,
                "case_number": case_number,
                "from": mask_email(sender),
            },
        )


def _thread_in(
    session: Session, msg: EmailMessage, case: Case, sender: str, message_id: str, source: Source
) -> CaseMessage:
    new_text, quoted = split_quoted(_text(msg))
    notes = []
    row = CaseMessage(
        case_number=case.case_number,
        direction="inbound",
        author=sender,
        from_email=sender,
        to_email=case_threads.reply_address(case.case_number),
        subject=_header(msg, "Subject")[:300],
        body="",
        quoted=quoted[:MAX_BODY_CHARS] or None,
        message_id=message_id,
        sent=True,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    kept = 0
    for name, data in _attachments(msg):
        checked = inbound_attachments.check(name, data)
        if isinstance(checked, inbound_attachments.Refused):
            notes.append(f"[Attachment {checked.filename} not kept: {checked.reason}.]")
            continue
        inbound_attachments.store_checked(session, message_owner(row.id), checked)
        kept += 1
    body = new_text[:MAX_BODY_CHARS] or ("(no text)" if kept else "(empty message)")
    row.body = "\n\n".join([body, *notes])
    from_status = case.status
    if case.status != "open":  # the shopper wrote again: the team owes an answer
        case.status, case.closed_at, case.closed_by = "open", None, None
    audit.record(
        session,
        "case.email_in",
        actor=f"mail:{source}",
        order_number=case.order_number,
        details={
            "case_number": case.case_number,
            "message_id": message_id,
            "attachments": kept,
            "refused_attachments": len(notes),
            "from_status": from_status,
            "status": case.status,
        },
    )
    return row


def process(
    session: Session, raw: bytes, *, source: Source, envelope: Sequence[str] = ()
) -> Outcome:
    """Thread or quarantine one raw mail, and commit. ``envelope``: the SMTP recipients."""
    if len(raw) > get_settings().inbound_mail_max_bytes:
        head = BytesHeaderParser(policy=policy.default).parsebytes(raw[:65536])
        return _finish(session, _Taken(head, raw, source, _message_id(head, raw)), "too_large")
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    taken = _Taken(msg, raw, source, _message_id(msg, raw))
    if _seen(session, taken.message_id):
        return Outcome("duplicate", taken.message_id)
    try:
        return _finish(session, taken, None, _thread_or_quarantine(session, taken, envelope))
    except _Quarantine as stop:
        session.rollback()
        return _finish(session, taken, stop.reason, case_number=stop.case_number)
    except SQLAlchemyError:  # the database, not the mail: the door asks the sender to retry
        session.rollback()
        raise
    except Exception as exc:  # a mail too broken for the parser's later steps
        session.rollback()
        log.warning("inbound mail %s unreadable: %s", taken.message_id, type(exc).__name__)
        return _finish(session, taken, "unreadable")


@dataclass(frozen=True)
class _Taken:
    msg: Message
    raw: bytes
    source: Source
    message_id: str


def _seen(session: Session, message_id: str) -> bool:
    return (
        session.scalar(select(InboundMail.id).where(InboundMail.message_id == message_id))
        is not None
    )


def _thread_or_quarantine(session: Session, taken: _Taken, envelope: Sequence[str]) -> CaseMessage:
    msg = taken.msg
    assert isinstance(msg, EmailMessage)
    sender = _from_address(msg)
    reason = auto_reply_reason(msg, sender)
    if reason is not None:
        raise _Quarantine(reason)
    case = find_case(session, msg, envelope)
    _check_sender(session, msg, case, sender)
    return _thread_in(session, msg, case, sender, taken.message_id, taken.source)


def _finish(
    session: Session,
    taken: _Taken,
    reason: str | None,
    row: CaseMessage | None = None,
    case_number: str | None = None,
) -> Outcome:
    """Record the mail as threaded (``row``) or quarantined (``reason``) and commit."""
    if row is not None:
        case_number = row.case_number
    elif _seen(session, taken.message_id):
        return Outcome("duplicate", taken.message_id)
    status: Literal["threaded", "quarantined"] = "threaded" if row is not None else "quarantined"
    excerpt = "" if row is not None else _excerpt(taken, reason)
    _record(
        session,
        message_id=taken.message_id,
        source=taken.source,
        msg=taken.msg,
        size=len(taken.raw),
        status=status,
        reason=reason,
        case_number=case_number,
        excerpt=excerpt,
    )
    try:
        session.commit()
    except IntegrityError:  # the same mail through another door at the same moment
        session.rollback()
        return Outcome("duplicate", taken.message_id)
    log.info(
        "inbound mail %s via %s: %s%s%s",
        taken.message_id,
        taken.source,
        status,
        f" ({reason})" if reason else "",
        f" on {case_number}" if case_number else "",
    )
    return Outcome(status, taken.message_id, reason, case_number, row.id if row else None)


def _excerpt(taken: _Taken, reason: str | None) -> str:
    if reason == "too_large" or not isinstance(taken.msg, EmailMessage):
        return f"({len(taken.raw)} bytes, not read)"
    try:
        return _text(taken.msg)[:EXCERPT_CHARS]
    except Exception:
        return ""
