"""Console: phone callbacks to make, and their outcomes (session cookie + CSRF)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query

from ..deps import AgentDep, SessionDep, WritingAgentDep
from ..mail import notify
from ..models import utcnow
from ..services import callback_followup as svc
from .schemas import CallbackListOut, CallbackOutcomeIn, CallbackOutcomeOut, CallbackView

router = APIRouter(prefix="/console/api/callbacks", tags=["console"])


@router.get("", response_model=CallbackListOut)
def list_callbacks(
    agent: AgentDep,
    session: SessionDep,
    view: CallbackView = "due",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CallbackListOut:
    """``due``: open callbacks to ring now or soon (not paginated); ``all``: newest first."""
    svc.check_role(agent)
    now = utcnow()
    if view == "due":
        return svc.due(session, now)
    return svc.all_callbacks(session, now, limit, offset)


@router.post("/{callback_id}/outcome", response_model=CallbackOutcomeOut)
def record_outcome(
    callback_id: str,
    body: CallbackOutcomeIn,
    agent: WritingAgentDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> CallbackOutcomeOut:
    svc.check_role(agent)
    now = utcnow()
    cb = svc.record_outcome(session, agent, svc.get(session, callback_id), body, now)
    session.commit()
    queued = False
    if cb.status == "rescheduled":
        # The shopper gets the "callback booked" mail again, with the new window (after commit).
        queued = notify.callback_booked(background, session, svc.booked_out(cb))
    return CallbackOutcomeOut(callback=svc.to_out(cb, now), email_queued=queued)
