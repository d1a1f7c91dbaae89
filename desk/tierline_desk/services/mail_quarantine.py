"""The quarantine of inbound mail: mails that touched no case (auto-replies, bounces, unknown
senders, forged case tokens, no case found), newest first, for admins and supervisors."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..console.schemas import QuarantinedMailOut, QuarantineOut
from ..models import Agent, InboundMail
from .console_access import require_role

ROLES = ("supervisor", "admin")


def list_quarantined(session: Session, agent: Agent, limit: int, offset: int) -> QuarantineOut:
    require_role(agent, ROLES, "read the mail quarantine")
    where = InboundMail.status == "quarantined"
    total = session.scalar(select(func.count()).select_from(InboundMail).where(where)) or 0
    rows = session.scalars(
        select(InboundMail)
        .where(where)
        .order_by(InboundMail.received_at.desc(), InboundMail.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return QuarantineOut(
        total=int(total),
        limit=limit,
        offset=offset,
        mails=[QuarantinedMailOut.model_validate(r, from_attributes=True) for r in rows],
    )
