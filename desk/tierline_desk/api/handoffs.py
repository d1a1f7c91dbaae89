"""Handoff tickets from tier 0 (the bot) to human tiers 1 and 2, and the way back."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Response, status
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..deps import ActorDep, SessionDep
from ..errors import ApiError
from ..mail import notify
from ..models import HandoffTicket
from ..rasa_client import RasaUnavailable
from ..services import conversation_control
from ..services import handoffs as svc
from .schemas import HandoffCreated, HandoffOut, HandoffRequest, ResumeRequest

router = APIRouter(prefix="/handoffs", tags=["handoffs"])


@router.post("", response_model=HandoffCreated, status_code=status.HTTP_201_CREATED)
def create_handoff(
    body: HandoffRequest,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    background: BackgroundTasks,
) -> HandoffCreated:
    """Route a handoff (docs/routing.md): 201 when a ticket or specialist case was made,
    200 for the conversation's existing ticket or case, or when nobody can take it now."""
    try:
        routed = svc.route(session, body, actor)
        session.commit()
    except IntegrityError:
        # A concurrent request opened the conversation's ticket first: return that one.
        session.rollback()
        routed = svc.route(session, body, actor)
        if routed.created:  # pragma: no cover - the constraint fired for another reason
            raise
        session.commit()
    if not routed.created:
        response.status_code = status.HTTP_200_OK
    if routed.new_case is not None:
        notify.case_opened(background, session, routed.new_case)  # after the response
    return routed.out


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


@router.get("/{ticket_number}", response_model=HandoffOut)
def get_handoff(ticket_number: str, session: SessionDep) -> HandoffOut:
    return svc.full_out(session, svc.by_number(session, ticket_number))


@router.post("/{ticket_number}/resume", response_model=HandoffOut)
def resume(
    ticket_number: str, body: ResumeRequest, session: SessionDep, actor: ActorDep
) -> HandoffOut:
    ticket = svc.by_number(session, ticket_number)
    if ticket.status == "resolved":
        raise ApiError(
            409,
            "already_resolved",
            f"Ticket {ticket.ticket_number} was already handed back to the bot.",
        )
    try:
        # Resumes Rasa and, for a web chat, gives the conversation back to the bot.
        conversation_control.hand_back(session, ticket, body.outcome, None)
    except RasaUnavailable as exc:
        raise ApiError(
            502, "rasa_unavailable", f"Could not resume the conversation in Rasa: {exc}"
        ) from exc
    svc.resolve(
        session,
        ticket,
        body.outcome,
        action="handoff.resume",
        actor=actor,
        details={"outcome": body.outcome},
    )
    session.commit()
    return svc.full_out(session, ticket)
