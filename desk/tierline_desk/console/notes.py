"""Console: internal notes on tickets and email cases, and the agent's @mention notifications.
Cookie + CSRF. Notes never reach the shopper (services/notes.py)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, status
from fastapi.types import DecoratedCallable
from sqlalchemy.orm import Session

from ..deps import AgentDep, SessionDep, WritingAgentDep
from ..models import Agent
from ..services import agent_actions, case_followup
from ..services import notes as svc
from . import desk_tools_schemas as schemas

router = APIRouter(prefix="/console/api", tags=["console"])


def _ticket(session: Session, agent: Agent, number: str) -> svc.Thread:
    return svc.Thread(ticket=agent_actions.get_ticket(session, agent, number))


def _case(session: Session, agent: Agent, number: str) -> svc.Thread:
    return svc.Thread(case=case_followup.get_case(session, agent, number))


def _listed(session: Session, thread: svc.Thread) -> schemas.NotesOut:
    return schemas.NotesOut(notes=svc.on_thread(session, thread))


def _added(
    session: Session, agent: Agent, thread: svc.Thread, body: schemas.NoteIn
) -> schemas.NoteCreatedOut:
    out = svc.add(session, agent, thread, body.body)
    session.commit()
    return out


def _add_route(path: str) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """``POST <path>``: 201 with the note and who its mentions notified."""
    return router.post(
        path, response_model=schemas.NoteCreatedOut, status_code=status.HTTP_201_CREATED
    )


@router.get("/tickets/{ticket_number}/notes", response_model=schemas.NotesOut)
def ticket_notes(ticket_number: str, agent: AgentDep, session: SessionDep) -> schemas.NotesOut:
    return _listed(session, _ticket(session, agent, ticket_number))


@_add_route("/tickets/{ticket_number}/notes")
def add_ticket_note(
    ticket_number: str, body: schemas.NoteIn, agent: WritingAgentDep, session: SessionDep
) -> schemas.NoteCreatedOut:
    """Anyone who can see the ticket may note on it (claimed or not)."""
    return _added(session, agent, _ticket(session, agent, ticket_number), body)


@router.get("/cases/{case_number}/notes", response_model=schemas.NotesOut)
def case_notes(case_number: str, agent: AgentDep, session: SessionDep) -> schemas.NotesOut:
    return _listed(session, _case(session, agent, case_number))


@_add_route("/cases/{case_number}/notes")
def add_case_note(
    case_number: str, body: schemas.NoteIn, agent: WritingAgentDep, session: SessionDep
) -> schemas.NoteCreatedOut:
    return _added(session, agent, _case(session, agent, case_number), body)


@router.get("/notifications", response_model=schemas.NotificationsOut)
def notifications(agent: AgentDep, session: SessionDep) -> schemas.NotificationsOut:
    """The logged-in agent's @mentions, newest first, and how many are unread."""
    return svc.notifications(session, agent)


@router.post("/notifications/read", response_model=schemas.NotificationsOut)
def mark_read(
    body: schemas.NotificationsReadIn, agent: WritingAgentDep, session: SessionDep
) -> schemas.NotificationsOut:
    """Mark the listed notifications read (``ids``), or all of them (no ``ids``)."""
    svc.mark_read(session, agent, body.ids)
    session.commit()
    return svc.notifications(session, agent)
