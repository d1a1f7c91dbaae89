"""Handoff tickets from tier 0 (the bot) to human tiers 1 and 2, and the way back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..auth import ActorDep
from ..db import SessionDep
from ..errors import ApiError
from ..models import HandoffTicket, utcnow
from ..rasa_client import RasaUnavailable, resume_conversation
from ..schemas import HandoffCreated, HandoffOut, HandoffRequest, ResumeRequest
from ..services import audit
from ..services import handoffs as svc

router = APIRouter(prefix="/handoffs", tags=["handoffs"])


@router.post("", response_model=HandoffCreated, status_code=status.HTTP_201_CREATED)
def create_handoff(
    body: HandoffRequest, response: Response, session: SessionDep, actor: ActorDep
) -> HandoffCreated:
    try:
        ticket, created = svc.create(session, body, actor)
        session.commit()
    except IntegrityError:
        # A concurrent request opened the conversation's ticket first: return that one.
        session.rollback()
        ticket, created = svc.create(session, body, actor)
        if created:  # pragma: no cover - the constraint fired for another reason
            raise
    if not created:
        response.status_code = status.HTTP_200_OK
    return svc.created_out(session, ticket)


@router.get("", response_model=list[HandoffOut])
def list_handoffs(
    session: SessionDep,
    status_filter: Annotated[str | None, Query(alias="status", max_length=16)] = None,
    tier: Annotated[int | None, Query(ge=1, le=2)] = None,
) -> list[HandoffOut]:
    stmt = select(HandoffTicket).order_by(HandoffTicket.id)
    if status_filter:
        stmt = stmt.where(HandoffTicket.status == status_filter)
    if tier is not None:
        stmt = stmt.where(HandoffTicket.tier == tier)
    return [svc.full_out(session, t) for t in session.scalars(stmt)]


def _get_ticket(session: SessionDep, ticket_number: str) -> HandoffTicket:
    ticket = session.scalar(
        select(HandoffTicket).where(HandoffTicket.ticket_number == ticket_number.strip().upper())
    )
    if ticket is None:
        raise ApiError(404, "ticket_not_found", f"No handoff ticket {ticket_number}.")
    return ticket


@router.get("/{ticket_number}", response_model=HandoffOut)
def get_handoff(ticket_number: str, session: SessionDep) -> HandoffOut:
    return svc.full_out(session, _get_ticket(session, ticket_number))


@router.post("/{ticket_number}/resume", response_model=HandoffOut)
def resume(
    ticket_number: str, body: ResumeRequest, session: SessionDep, actor: ActorDep
) -> HandoffOut:
    ticket = _get_ticket(session, ticket_number)
    if ticket.status == "resolved":
        raise ApiError(
            409,
            "already_resolved",
            f"Ticket {ticket.ticket_number} was already handed back to the bot.",
        )
    try:
        resume_conversation(ticket.conversation_id, body.outcome)
    except RasaUnavailable as exc:
        raise ApiError(
            502, "rasa_unavailable", f"Could not resume the conversation in Rasa: {exc}"
        ) from exc
    ticket.status = "resolved"
    ticket.outcome = body.outcome
    ticket.resolved_at = utcnow()
    audit.record(
        session,
        "handoff.resume",
        actor=actor,
        order_number=ticket.order_number,
        details={"ticket_number": ticket.ticket_number, "outcome": body.outcome},
    )
    session.commit()
    return svc.full_out(session, ticket)
