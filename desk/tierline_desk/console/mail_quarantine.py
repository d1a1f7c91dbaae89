"""Console: inbound mail the desk kept out of every case (docs/email.md), for admins and
supervisors. Read-only; the mails' rules are in tierline_desk/mail/inbound.py."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..deps import AgentDep, SessionDep
from ..services import mail_quarantine as svc
from .schemas import QuarantineOut

router = APIRouter(prefix="/console/api/mail/quarantine", tags=["console"])


@router.get("", response_model=QuarantineOut)
def list_quarantine(
    agent: AgentDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QuarantineOut:
    return svc.list_quarantined(session, agent, limit, offset)
