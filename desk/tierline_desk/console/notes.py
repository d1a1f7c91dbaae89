"""Console: internal notes on tickets and email cases, and the agent's @mention notifications.
Cookie + CSRF. Notes never reach the shopper (services/notes.py)."""

from __future__ import annotations

from fastapi import APIRouter, status

from ..deps import AgentDep, SessionDep, WritingAgentDep
from ..services import agent_actions, case_followup
from ..services import notes as svc
from .desk_tools_schemas import (
    NoteCreatedOut,
    NoteIn,
    NotesOut,
    NotificationsOut,
    NotificationsReadIn,
)

router = APIRouter(prefix="/console/api", tags=["console"])


@router.get("/tickets/{ticket_number}/notes", response_model=NotesOut)
def ticket_notes(ticket_number: str, agent: AgentDep, session: SessionDep) -> NotesOut:
    ticket = agent_actions.get_ticket(session, agent, ticket_number)
    return NotesOut(notes=svc.on_thread(session, svc.Thread(ticket=ticket)))


@router.post(
    "/tickets/{ticket_number}/notes",
    response_model=NoteCreatedOut,
    status_code=status.HTTP_201_CREATED,
)
def add_ticket_note(
    ticket_number: str, body: NoteIn, agent: WritingAgentDep, session: SessionDep
) -> NoteCreatedOut:
    """Anyone who can see the ticket may note on it (claimed or not)."""
    ticket = agent_actions.get_ticket(session, agent, ticket_number)
    out = svc.add(session, agent, svc.Thread(ticket=ticket), body.body)
    session.commit()
    return out


@router.get("/cases/{case_number}/notes", response_model=NotesOut)
def case_notes(case_number: str, agent: AgentDep, session: SessionDep) -> NotesOut:
    case = case_followup.get_case(session, agent, case_number)
    return NotesOut(notes=svc.on_thread(session, svc.Thread(case=case)))


@router.post(
    "/cases/{case_number}/notes",
    response_model=NoteCreatedOut,
    status_code=status.HTTP_201_CREATED,
)
def add_case_note(
    case_number: str, body: NoteIn, agent: WritingAgentDep, session: SessionDep
) -> NoteCreatedOut:
    case = case_followup.get_case(session, agent, case_number)
    out = svc.add(session, agent, svc.Thread(case=case), body.body)
    session.commit()
    return out


@router.get("/notifications", response_model=NotificationsOut)
def notifications(agent: AgentDep, session: SessionDep) -> NotificationsOut:
    """The logged-in agent's @mentions, newest first, and how many are unread."""
    return svc.notifications(session, agent)


@router.post("/notifications/read", response_model=NotificationsOut)
def mark_read(
    body: NotificationsReadIn, agent: WritingAgentDep, session: SessionDep
) -> NotificationsOut:
    """Mark the listed notifications read (``ids``), or all of them (no ``ids``)."""
    svc.mark_read(session, agent, body.ids)
    session.commit()
    return svc.notifications(session, agent)
