"""Handoff tickets: queue position, wait estimate, one open ticket per conversation."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import HandoffTicket, utcnow
from ..schemas import HandoffCreated, HandoffOut, HandoffRequest
from ..settings import get_settings
from . import audit
from .ids import ticket_number

# "claimed": an agent in the console is working on it (see services/agent_actions.py).
OPEN_STATES = ("waiting", "claimed")


def queue_position(session: Session, ticket: HandoffTicket) -> int | None:
    """Waiting tickets in the same tier created before this one, plus one (None if not waiting)."""
    if ticket.status != "waiting":
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(HandoffTicket)
        .where(
            HandoffTicket.tier == ticket.tier,
            HandoffTicket.status == "waiting",
            HandoffTicket.id < ticket.id,
        )
    )
    return int(ahead or 0) + 1


def estimated_wait(position: int | None) -> int | None:
    return None if position is None else position * get_settings().avg_handle_minutes


def created_out(session: Session, ticket: HandoffTicket) -> HandoffCreated:
    pos = queue_position(session, ticket)
    return HandoffCreated(
        ticket_number=ticket.ticket_number,
        tier=ticket.tier,
        status=ticket.status,
        queue_position=pos,
        estimated_wait_minutes=estimated_wait(pos),
        conversation_id=ticket.conversation_id,
    )


def full_out(session: Session, ticket: HandoffTicket) -> HandoffOut:
    return HandoffOut(
        **created_out(session, ticket).model_dump(),
        reason=ticket.reason,
        customer=ticket.customer,
        order_number=ticket.order_number,
        bot_attempts=ticket.bot_attempts,
        recent_messages=ticket.recent_messages,
        outcome=ticket.outcome,
        created_at=ticket.created_at,
        resolved_at=ticket.resolved_at,
    )


def open_ticket_for(session: Session, conversation_id: str) -> HandoffTicket | None:
    return session.scalar(
        select(HandoffTicket)
        .where(
            HandoffTicket.conversation_id == conversation_id,
            HandoffTicket.status.in_(OPEN_STATES),
        )
        .order_by(HandoffTicket.id)
        .limit(1)
    )


def create(session: Session, req: HandoffRequest, actor: str) -> tuple[HandoffTicket, bool]:
    existing = open_ticket_for(session, req.conversation_id)
    if existing is not None:
        return existing, False
    ticket = HandoffTicket(
        ticket_number=f"pending-{uuid.uuid4().hex}",
        conversation_id=req.conversation_id,
        tier=req.tier,
        status="waiting",
        reason=req.reason,
        customer=req.customer.model_dump(exclude_none=True),
        order_number=req.order_number,
        bot_attempts=list(req.bot_attempts),
        recent_messages=[m.model_dump(mode="json", exclude_none=True) for m in req.recent_messages],
        created_at=utcnow(),
    )
    ticket.queued_at = ticket.created_at
    session.add(ticket)
    session.flush()
    ticket.ticket_number = ticket_number(ticket.id)
    audit.record(
        session,
        "handoff.create",
        actor=actor,
        order_number=req.order_number,
        details={
            "ticket_number": ticket.ticket_number,
            "tier": req.tier,
            "conversation_id": req.conversation_id,
            "reason": req.reason,
        },
    )
    return ticket, True
