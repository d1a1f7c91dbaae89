"""Console: cases answered by email (list, read, reply by email, close). Cookie + CSRF."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response, status

from ..deps import AgentDep, SessionDep, WritingAgentDep
from ..services import case_followup as svc
from .schemas import (
    CaseCloseIn,
    CaseCloseOut,
    CaseDetailOut,
    CaseListOut,
    CaseReplyIn,
    CaseReplyOut,
    CaseStatusFilter,
)

router = APIRouter(prefix="/console/api/cases", tags=["console"])


@router.get("", response_model=CaseListOut)
def list_cases(
    agent: AgentDep,
    session: SessionDep,
    status_filter: Annotated[CaseStatusFilter, Query(alias="status")] = "open",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CaseListOut:
    return svc.list_cases(session, agent, status_filter, limit, offset)


@router.get("/{case_number}", response_model=CaseDetailOut)
def get_case(case_number: str, agent: AgentDep, session: SessionDep) -> CaseDetailOut:
    return svc.detail(session, svc.get_case(session, agent, case_number))


@router.post(
    "/{case_number}/reply", response_model=CaseReplyOut, status_code=status.HTTP_201_CREATED
)
def reply(
    case_number: str, body: CaseReplyIn, agent: WritingAgentDep, session: SessionDep
) -> CaseReplyOut:
    """Store the reply, commit, then email it; a mail failure leaves it stored as unsent."""
    case = svc.get_case(session, agent, case_number)
    row, email = svc.reply(session, agent, case, body.body, body.close)
    session.commit()
    return svc.deliver(session, agent, case, row, email, resend=False)


@router.post("/{case_number}/messages/{message_pk}/resend", response_model=CaseReplyOut)
def resend(
    case_number: str, message_pk: int, agent: WritingAgentDep, session: SessionDep
) -> CaseReplyOut:
    """Email a stored reply the mail server refused earlier (same text and Message-ID)."""
    case = svc.get_case(session, agent, case_number)
    row = svc.get_message(session, case, message_pk)
    return svc.deliver(session, agent, case, row, svc.resend_email(session, case, row), resend=True)


@router.get(
    "/{case_number}/attachments/{attachment_id}",
    response_class=Response,
    responses={200: {"content": {"image/*": {}, "application/pdf": {}}}},
)
def attachment(
    case_number: str, attachment_id: int, agent: AgentDep, session: SessionDep
) -> Response:
    """A photo or PDF the shopper mailed in (checked on the way in; served as what it is)."""
    case = svc.get_case(session, agent, case_number)
    row = svc.get_attachment(session, case, attachment_id)
    inline = "inline" if row.content_type.startswith("image/") else "attachment"
    return Response(
        content=row.data,
        media_type=row.content_type,
        headers={
            "Content-Disposition": f"{inline}; filename*=UTF-8''{quote(row.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, max-age=300",
        },
    )


@router.post("/{case_number}/close", response_model=CaseCloseOut)
def close(
    case_number: str, body: CaseCloseIn, agent: WritingAgentDep, session: SessionDep
) -> CaseCloseOut:
    case = svc.get_case(session, agent, case_number)
    svc.close(session, agent, case, body.note)
    session.commit()
    return CaseCloseOut(case=svc.card(session, case), note=body.note)
