"""Console: the files a shopper sent in a ticket's conversation, with fresh signed links.

Only for agents who may open the ticket (the same tier and role rules as the ticket itself).
"""

from __future__ import annotations

from fastapi import APIRouter

from ..attachments import service as attachment_service
from ..attachments.schemas import AttachmentOut
from ..deps import AgentDep, SessionDep
from ..services import agent_actions

router = APIRouter(prefix="/console/api", tags=["console"])


@router.get("/tickets/{ticket_number}/attachments", response_model=list[AttachmentOut])
def ticket_attachments(
    ticket_number: str, agent: AgentDep, session: SessionDep
) -> list[AttachmentOut]:
    """Photos and PDFs of the ticket's conversation, oldest first."""
    ticket = agent_actions.get_ticket(session, agent, ticket_number)
    files = attachment_service.for_conversation(session, ticket.conversation_id)
    return [
        AttachmentOut(**attachment_service.describe(a, order_number=ticket.order_number))
        for a in files
    ]
