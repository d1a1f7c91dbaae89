"""The audit log: one row per state change that matters to a shopper."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..models import Agent, AuditLog, HandoffTicket, utcnow


def record(
    session: Session,
    action: str,
    *,
    actor: str = "bot",
    order_number: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    row = AuditLog(
        at=utcnow(), actor=actor, action=action, order_number=order_number, details=details or {}
    )
    session.add(row)
    return row


def record_ticket(
    session: Session,
    action: str,
    ticket: HandoffTicket,
    *,
    actor: str,
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """An event of a handoff ticket: under its order, the ticket's number first in the details."""
    return record(
        session,
        action,
        actor=actor,
        order_number=ticket.order_number,
        details={"ticket_number": ticket.ticket_number, **(details or {})},
    )


def record_by_agent(
    session: Session,
    agent: Agent,
    action: str,
    *,
    order_number: str | None = None,
    details: dict[str, Any],
) -> AuditLog:
    """A console agent's action: the agent is the actor, and its role goes into the details."""
    return record(
        session,
        action,
        actor=agent.username,
        order_number=order_number,
        details={"role": agent.role, **details},
    )
