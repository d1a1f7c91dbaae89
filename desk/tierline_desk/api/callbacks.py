"""Phone callback requests."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..deps import ActorDep, SessionDep
from ..mail import notify
from ..models import Callback, utcnow
from ..services import audit, handoffs
from ..services.callback_followup import booked_out as to_out
from ..services.ids import unique_random_id
from .schemas import CallbackOut, CallbackRequest

router = APIRouter(prefix="/callbacks", tags=["callbacks"])


def _withdraw_from_queue(session: Session, cb: Callback, actor: str) -> None:
    """A call back instead of waiting: the conversation's waiting ticket leaves the queue."""
    ticket = handoffs.open_ticket_for(session, cb.conversation_id)
    if ticket is None or ticket.status != "waiting":
        return  # nobody queued, or a person is already chatting with the shopper
    handoffs.resolve(
        session,
        ticket,
        f"The shopper chose a call back instead of waiting ({cb.callback_id}).",
        action="handoff.withdrawn",
        actor=actor,
        details={"callback_id": cb.callback_id},
    )


@router.post("", response_model=CallbackOut, status_code=status.HTTP_201_CREATED)
def schedule(
    body: CallbackRequest, session: SessionDep, actor: ActorDep, background: BackgroundTasks
) -> CallbackOut:
    cb = Callback(
        callback_id=unique_random_id(session, Callback, "callback_id", "CB", 8),
        conversation_id=body.conversation_id,
        phone=body.phone,
        window_start=body.window_start,
        window_end=body.window_end,
        reason=body.reason,
        customer_id=body.customer_id or None,
        email=body.email or None,
        order_number=body.order_number,
        status="scheduled",
        created_at=utcnow(),
    )
    session.add(cb)
    audit.record(
        session,
        "callback.create",
        actor=actor,
        order_number=body.order_number,
        details={
            "callback_id": cb.callback_id,
            "conversation_id": body.conversation_id,
            "window_start": body.window_start.isoformat(),
            "window_end": body.window_end.isoformat(),
        },
    )
    _withdraw_from_queue(session, cb, actor)
    session.commit()
    out = to_out(cb)
    notify.callback_booked(background, session, out)  # sent after the response
    return out


@router.get("", response_model=list[CallbackOut])
def list_callbacks(
    session: SessionDep,
    status_filter: Annotated[str | None, Query(alias="status", max_length=16)] = None,
) -> list[CallbackOut]:
    stmt = select(Callback).order_by(Callback.window_start, Callback.created_at)
    if status_filter:
        stmt = stmt.where(Callback.status == status_filter)
    return [to_out(cb) for cb in session.scalars(stmt)]
