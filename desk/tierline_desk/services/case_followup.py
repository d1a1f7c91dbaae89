"""Cases answered by email, worked from the console: list, read, reply, close.

Who sees what: specialists work the ``executive_customer_relations`` team's cases; associates
work the ``associates`` team's cases answered by email (``response_channel == "email"``);
supervisors see both. Admins see none.

Status: ``open`` -> ``answered`` (a reply was stored) -> ``closed`` (``closed_at``/``closed_by``).
A reply is stored first (``sent`` false), committed, then emailed; only then is it marked sent.
So a mail server that is down never loses the agent's words.

Nothing here commits: the router commits (one transaction per action, plus one to mark a reply
sent once the mail server has taken it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid

from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from ..attachments import service as attachment_service
from ..attachments.schemas import AttachmentOut
from ..console.schemas import (
    CaseAttachmentOut,
    CaseCard,
    CaseDetailOut,
    CaseListOut,
    CaseMessageOut,
    CaseReplyOut,
    CaseStatusFilter,
)
from ..errors import ApiError
from ..mail import case_reply, case_threads, inbound_attachments, sender
from ..mail.outbox import normalize_message_id
from ..mail.sender import is_address
from ..models import INTEGER_MAX, Agent, Case, CaseMessage, MailAttachment, utcnow
from ..responses import from_row
from ..settings import get_settings
from ..store import get_store
from . import audit, cases, csat
from .console_access import require_role
from .console_events import case_audience, publish_case

ROLES = ("associate", "supervisor", "specialist")
SPECIALIST_TEAM = "executive_customer_relations"
ASSOCIATE_TEAM = "associates"
SUPERVISOR_TEAM = "supervisors"  # low satisfaction scores to follow up (services/csat.py)


def check_role(agent: Agent) -> None:
    require_role(agent, ROLES, "work email cases")


# ---------------------------------------------------------------- visibility


def _specialist_cases() -> ColumnElement[bool]:
    return Case.team == SPECIALIST_TEAM


def _associate_email_cases() -> ColumnElement[bool]:
    return and_(Case.team == ASSOCIATE_TEAM, Case.response_channel == "email")


def visible(agent: Agent) -> ColumnElement[bool]:
    """The SQL condition for the cases this agent's role works."""
    if agent.role == "specialist":
        return _specialist_cases()
    if agent.role == "associate":
        return _associate_email_cases()
    if agent.role == "supervisor":
        return or_(_specialist_cases(), _associate_email_cases(), Case.team == SUPERVISOR_TEAM)
    return false()


def can_see(agent: Agent, c: Case) -> bool:
    return case_audience(c).admits(agent.role, agent.id)


def get_case(session: Session, agent: Agent, number: str) -> Case:
    check_role(agent)
    c = cases.by_number(session, number)
    if not can_see(agent, c):
        raise ApiError(
            403,
            "forbidden_role",
            f"Case {c.case_number} belongs to the {c.team} team ({c.response_channel}), which "
            f"the {agent.role} role does not work.",
            role=agent.role,
        )
    return c


# ---------------------------------------------------------------- cards


@dataclass(frozen=True)
class _Stats:
    count: int = 0
    unsent: int = 0
    last_at: datetime | None = None


def _stats(session: Session, numbers: list[str]) -> dict[str, _Stats]:
    if not numbers:
        return {}
    rows = session.execute(
        select(
            CaseMessage.case_number,
            func.count(CaseMessage.id),
            func.sum(case((CaseMessage.sent.is_(False), 1), else_=0)),
            func.max(CaseMessage.created_at),
        )
        .where(CaseMessage.case_number.in_(numbers))
        .group_by(CaseMessage.case_number)
    )
    return {
        number: _Stats(int(count), int(unsent or 0), last_at)
        for number, count, unsent, last_at in rows
    }


def customer_email(session: Session, c: Case) -> str | None:
    """Where a reply goes: the address on the case, else the customer record's."""
    given = c.customer.get("email")
    if isinstance(given, str) and is_address(given.strip()):
        return given.strip()
    customer_id = c.customer.get("id")
    customer = get_store().customer(session, customer_id) if isinstance(customer_id, str) else None
    if customer is not None and is_address(customer.email):
        return customer.email
    return None


def _card(session: Session, c: Case, stats: _Stats) -> CaseCard:
    return from_row(
        CaseCard,
        c,
        kind_label=case_reply.kind_label(c.kind),
        customer_email=customer_email(session, c),
        message_count=stats.count,
        unsent_count=stats.unsent,
        last_message_at=stats.last_at,
    )


def card(session: Session, c: Case) -> CaseCard:
    return _card(session, c, _stats(session, [c.case_number]).get(c.case_number, _Stats()))


def list_cases(
    session: Session, agent: Agent, status: CaseStatusFilter, limit: int, offset: int
) -> CaseListOut:
    """open/answered: oldest first (a work list); closed/all: newest first."""
    check_role(agent)
    where = [visible(agent)]
    if status != "all":
        where.append(Case.status == status)
    total = session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    order = (Case.id,) if status in ("open", "answered") else (Case.id.desc(),)
    rows = list(
        session.scalars(select(Case).where(*where).order_by(*order).limit(limit).offset(offset))
    )
    stats = _stats(session, [c.case_number for c in rows])
    return CaseListOut(
        status=status,
        total=int(total),
        limit=limit,
        offset=offset,
        cases=[_card(session, c, stats.get(c.case_number, _Stats())) for c in rows],
    )


def message_out(m: CaseMessage, attachments: Sequence[MailAttachment] = ()) -> CaseMessageOut:
    out = CaseMessageOut.model_validate(m, from_attributes=True)
    out.attachments = [
        CaseAttachmentOut(
            id=a.id,
            filename=a.filename,
            content_type=a.content_type,
            size=a.size,
            url=f"/console/api/cases/{m.case_number}/attachments/{a.id}",
        )
        for a in attachments
    ]
    return out


def messages(session: Session, c: Case) -> list[CaseMessage]:
    return list(
        session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_number == c.case_number)
            .order_by(CaseMessage.created_at, CaseMessage.id)
        )
    )


def detail(session: Session, c: Case) -> CaseDetailOut:
    """The case card, its emails (with what the shopper mailed), and the files from the
    conversation it came from (a referral carries the shopper's photos to the specialists),
    with fresh signed links."""
    rows = messages(session, c)
    mailed = inbound_attachments.for_owners(session, [message_owner(m.id) for m in rows])
    files = attachment_service.for_conversation(session, c.conversation_id)
    return CaseDetailOut(
        case=card(session, c),
        messages=[message_out(m, mailed.get(message_owner(m.id), [])) for m in rows],
        attachments=[
            AttachmentOut(**attachment_service.describe(a, order_number=c.order_number))
            for a in files
        ],
    )


def message_owner(message_pk: int) -> str:
    """The attachments' ``owner`` for a case message."""
    return f"case_message:{message_pk}"


def get_attachment(session: Session, c: Case, attachment_id: int) -> MailAttachment:
    """An attachment of one of the case's messages (404 for anything else)."""
    row = inbound_attachments.get(session, attachment_id)
    owners = {message_owner(m.id) for m in messages(session, c)}
    if row is None or row.owner not in owners:
        raise ApiError(
            404, "attachment_not_found", f"No attachment {attachment_id} on {c.case_number}."
        )
    return row


# ---------------------------------------------------------------- actions


def _not_closed(c: Case) -> None:
    if c.status == "closed":
        raise ApiError(
            409,
            "case_closed",
            f"Case {c.case_number} was closed by {c.closed_by or 'someone'}.",
            closed_by=c.closed_by,
        )


def reply(
    session: Session, agent: Agent, c: Case, body: str, close: bool
) -> tuple[CaseMessage, EmailMessage]:
    """Store the reply (not yet sent) and move the case on; the caller commits, then sends."""
    _not_closed(c)
    to = customer_email(session, c)
    if to is None:
        raise ApiError(
            409,
            "no_customer_email",
            f"Case {c.case_number} has no customer email address to reply to.",
        )
    email = case_reply.build(
        case_reply.CaseReply(
            case_number=c.case_number,
            kind=c.kind,
            to=to,
            body=body,
            agent_name=agent.display_name,
            thread=case_threads.thread(c.case_number, thread_ids(session, c)),
            survey_link=csat.case_link(c.case_number) if close and csat.rated_by_link(c) else None,
        )
    )
    now = utcnow()
    row = CaseMessage(
        case_number=c.case_number,
        direction="outbound",
        author=agent.username,
        to_email=to,
        subject=str(email["Subject"]),
        body=email.get_content(),
        message_id=normalize_message_id(str(email["Message-ID"])),
        sent=False,
        created_at=now,
    )
    session.add(row)
    from_status = c.status
    c.status = "closed" if close else "answered"
    if close:
        c.closed_at, c.closed_by = now, agent.username
    audit.record_by_agent(
        session,
        agent,
        "case.reply",
        order_number=c.order_number,
        details={
            "case_number": c.case_number,
            "message_id": row.message_id,
            "to": to,
            "from_status": from_status,
            "status": c.status,
        },
    )
    session.flush()
    publish_case(session, c, "case.replied")
    return row, email


def thread_ids(session: Session, c: Case, before: int | None = None) -> list[str]:
    """The Message-IDs of the case's mails the shopper has (sent replies and the shopper's
    own), oldest first; only those before message ``before`` when given."""
    query = select(CaseMessage.message_id).where(
        CaseMessage.case_number == c.case_number,
        CaseMessage.message_id.is_not(None),
        or_(CaseMessage.direction == "inbound", CaseMessage.sent.is_(True)),
    )
    if before is not None:
        query = query.where(CaseMessage.id < before)
    return [i for i in session.scalars(query.order_by(CaseMessage.created_at, CaseMessage.id)) if i]


def get_message(session: Session, c: Case, message_pk: int) -> CaseMessage:
    # No id is larger than an Integer column holds; PostgreSQL would refuse to compare one.
    row = session.get(CaseMessage, message_pk) if 0 < message_pk <= INTEGER_MAX else None
    if row is None or row.case_number != c.case_number:
        raise ApiError(404, "message_not_found", f"No message {message_pk} on {c.case_number}.")
    return row


def deliver(
    session: Session,
    agent: Agent,
    case: Case,
    row: CaseMessage,
    email: EmailMessage,
    *,
    resend: bool,
) -> CaseReplyOut:
    """Email a stored reply; marked sent (committed) only when the mail server took it."""
    sent = sender.send(email)
    if sent:
        mark_sent(session, agent, case, row, resend=resend)
        session.commit()
    return CaseReplyOut(
        case=card(session, case),
        reply=message_out(row),
        email_sent=sent,
        message=send_result(case, row, sent),
    )


def resend_email(session: Session, c: Case, row: CaseMessage) -> EmailMessage:
    """A stored reply the mail server refused, rebuilt as it was first sent (409 if sent)."""
    if row.sent:
        raise ApiError(
            409, "already_sent", f"Message {row.id} was already accepted by the mail server."
        )
    return case_reply.message(
        to=row.to_email,
        subject=row.subject,
        text=row.body,
        message_id=f"<{row.message_id}>" if row.message_id else make_msgid(),
        case_number=row.case_number,
        thread=case_threads.thread(c.case_number, thread_ids(session, c, before=row.id)),
    )


def mark_sent(session: Session, agent: Agent, c: Case, row: CaseMessage, *, resend: bool) -> None:
    row.sent = True
    audit.record(
        session,
        "case.reply_sent",
        actor=agent.username,
        order_number=c.order_number,
        details={"case_number": c.case_number, "message_id": row.message_id, "resend": resend},
    )
    session.flush()
    publish_case(session, c, "case.reply_sent")


def send_result(c: Case, row: CaseMessage, sent: bool) -> str:
    """The sentence the console shows after a reply or a resend."""
    if sent:
        return f"Reply emailed to {row.to_email}."
    if not get_settings().mail_enabled:
        why = "mail is switched off on this desk (MAIL_ENABLED=false)"
    else:
        why = "the mail server could not be reached or refused it"
    return (
        f"The reply is saved on case {c.case_number} but was NOT emailed to {row.to_email}: "
        f"{why}. Nothing is lost: it stays on the case (sent: false) and can be sent again."
    )


def close(session: Session, agent: Agent, c: Case, note: str) -> None:
    _not_closed(c)
    from_status = c.status
    c.status = "closed"
    c.closed_at, c.closed_by = utcnow(), agent.username
    audit.record_by_agent(
        session,
        agent,
        "case.close",
        order_number=c.order_number,
        details={"case_number": c.case_number, "from_status": from_status, "note": note},
    )
    session.flush()
    publish_case(session, c, "case.closed")
