"""Console: canned replies (macros). Admins and supervisors keep them; the agents who write to
shoppers insert them, filled from a ticket's or case's card. Cookie + CSRF."""

from __future__ import annotations

from fastapi import APIRouter, status

from ..deps import AgentDep, SessionDep, WritingAgentDep
from ..services import agent_actions, case_followup
from ..services import macros as svc
from . import desk_tools_schemas as schemas

router = APIRouter(prefix="/console/api", tags=["console"])


@router.get("/macros", response_model=schemas.MacroListOut)
def list_macros(agent: AgentDep, session: SessionDep) -> schemas.MacroListOut:
    """Every macro for admins and supervisors; the ones shown to their role for the others."""
    return svc.listing(session, agent)


@router.post("/macros", response_model=schemas.MacroOut, status_code=status.HTTP_201_CREATED)
def create_macro(
    body: schemas.MacroIn, agent: WritingAgentDep, session: SessionDep
) -> schemas.MacroOut:
    macro = svc.create(session, agent, body)
    session.commit()
    return svc.to_out(macro)


@router.post("/macros/{macro_id}", response_model=schemas.MacroOut)
def update_macro(
    macro_id: int, body: schemas.MacroIn, agent: WritingAgentDep, session: SessionDep
) -> schemas.MacroOut:
    svc.check_manager(agent)
    macro = svc.update(session, agent, svc.get_macro(session, macro_id), body)
    session.commit()
    return svc.to_out(macro)


@router.post("/macros/{macro_id}/delete", response_model=schemas.MacroDeletedOut)
def delete_macro(
    macro_id: int, agent: WritingAgentDep, session: SessionDep
) -> schemas.MacroDeletedOut:
    svc.check_manager(agent)
    out = svc.delete(session, agent, svc.get_macro(session, macro_id))
    session.commit()
    return out


@router.get("/tickets/{ticket_number}/macros", response_model=schemas.FilledMacrosOut)
def ticket_macros(
    ticket_number: str, agent: AgentDep, session: SessionDep
) -> schemas.FilledMacrosOut:
    """The agent's macros filled from this ticket's card."""
    ticket = agent_actions.get_ticket(session, agent, ticket_number)
    return schemas.FilledMacrosOut(
        macros=svc.usable(session, agent, svc.ticket_facts(session, agent, ticket))
    )


@router.get("/cases/{case_number}/macros", response_model=schemas.FilledMacrosOut)
def case_macros(case_number: str, agent: AgentDep, session: SessionDep) -> schemas.FilledMacrosOut:
    """The agent's macros filled from this email case's card."""
    case = case_followup.get_case(session, agent, case_number)
    return schemas.FilledMacrosOut(
        macros=svc.usable(session, agent, svc.case_facts(session, agent, case))
    )
