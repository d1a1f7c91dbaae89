"""Phone callbacks in the console: what is due, and recording the outcome of a call.

States: ``scheduled`` (booked by the bot) and ``rescheduled`` (new window) are open; after a call
nobody answered the callback is ``no_answer`` (``attempts`` + 1) and stays open, so it keeps
showing in the due list until someone records a final outcome: ``called`` or ``cancelled``.

Nothing here commits: the router commits once per request (one transaction per action).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from ..api.schemas import CallbackOut
from ..console.schemas import (
    CallbackListOut,
    CallbackOutcomeIn,
    ConsoleCallback,
    DueState,
)
from ..errors import ApiError
from ..models import Agent, Callback
from ..responses import from_row
from ..settings import get_settings
from . import audit
from .console_access import require_role

ROLES = ("associate", "supervisor")
OPEN_STATES = ("scheduled", "rescheduled", "no_answer")
FINAL_STATES = ("called", "cancelled")
MAX_RESCHEDULE_AHEAD = timedelta(days=14)


def check_role(agent: Agent) -> None:
    require_role(agent, ROLES, "work callbacks")


def due_state(cb: Callback, now: datetime) -> DueState | None:
    """Where an open callback stands against its window (None once it is final)."""
    if cb.status not in OPEN_STATES:
        return None
    if cb.window_end < now:
        return "overdue"
    if cb.window_start <= now:
        return "due_now"
    return "upcoming"


def to_out(cb: Callback, now: datetime) -> ConsoleCallback:
    return from_row(
        ConsoleCallback, cb, final=cb.status in FINAL_STATES, due_state=due_state(cb, now)
    )


def booked_out(cb: Callback) -> CallbackOut:
    """The shape the 'callback booked' mail template takes."""
    return CallbackOut.model_validate(cb, from_attributes=True)


def due(session: Session, now: datetime) -> CallbackListOut:
    """Open callbacks whose window starts within CALLBACK_DUE_AHEAD_MINUTES, earliest first."""
    ahead = get_settings().callback_due_ahead_minutes
    rows = list(
        session.scalars(
            select(Callback)
            .where(
                Callback.status.in_(OPEN_STATES),
                Callback.window_start <= now + timedelta(minutes=ahead),
            )
            .order_by(Callback.window_start, Callback.created_at, Callback.callback_id)
        )
    )
    return CallbackListOut(
        view="due",
        now=now,
        due_ahead_minutes=ahead,
        total=len(rows),
        limit=None,
        offset=0,
        callbacks=[to_out(cb, now) for cb in rows],
    )


def all_callbacks(session: Session, now: datetime, limit: int, offset: int) -> CallbackListOut:
    """Every callback, newest first, one page."""
    total = session.scalar(select(func.count()).select_from(Callback)) or 0
    rows = session.scalars(
        select(Callback)
        .order_by(Callback.created_at.desc(), Callback.callback_id.desc())
        .limit(limit)
        .offset(offset)
    )
    return CallbackListOut(
        view="all",
        now=now,
        due_ahead_minutes=get_settings().callback_due_ahead_minutes,
        total=int(total),
        limit=limit,
        offset=offset,
        callbacks=[to_out(cb, now) for cb in rows],
    )


def get(session: Session, callback_id: str) -> Callback:
    cb = session.get(Callback, callback_id.strip().upper())
    if cb is None:
        raise ApiError(404, "callback_not_found", f"No callback {callback_id}.")
    return cb


def _check_new_window(body: CallbackOutcomeIn, now: datetime) -> tuple[datetime, datetime]:
    start, end = body.window_start, body.window_end
    assert start is not None and end is not None  # CallbackOutcomeIn checks this for rescheduled
    if start <= now:
        raise ApiError(
            422, "invalid_window", "The new window must start in the future.", now=now.isoformat()
        )
    if end > now + MAX_RESCHEDULE_AHEAD:
        raise ApiError(
            422,
            "invalid_window",
            f"The new window must end within {MAX_RESCHEDULE_AHEAD.days} days from now.",
            latest=(now + MAX_RESCHEDULE_AHEAD).isoformat(),
        )
    return start, end


def record_outcome(
    session: Session, agent: Agent, cb: Callback, body: CallbackOutcomeIn, now: datetime
) -> Callback:
    """Apply the outcome as one conditional UPDATE (409 if the callback changed meanwhile)."""
    if cb.status in FINAL_STATES:
        raise ApiError(
            409,
            "callback_final",
            f"Callback {cb.callback_id} is already {cb.status}; nothing more to record.",
            status=cb.status,
        )
    values: dict[str, object] = {
        "status": body.status,
        "handled_by": agent.username,
        "outcome_note": body.note,
        "updated_at": now,
    }
    details: dict[str, object] = {
        "callback_id": cb.callback_id,
        "from_status": cb.status,
        "status": body.status,
        "note": body.note,
    }
    if body.status == "no_answer":
        values["attempts"] = cb.attempts + 1
        details["attempts"] = cb.attempts + 1
    if body.status == "rescheduled":
        start, end = _check_new_window(body, now)
        values["window_start"], values["window_end"] = start, end
        details["window_start"], details["window_end"] = start.isoformat(), end.isoformat()
        details["previous_window_start"] = cb.window_start.isoformat()
        details["previous_window_end"] = cb.window_end.isoformat()
    # Optimistic check: the row must still be what this agent saw, so two agents recording
    # outcomes at the same moment cannot both count (e.g. a double no-answer).
    unchanged = (
        Callback.updated_at.is_(None)
        if cb.updated_at is None
        else Callback.updated_at == cb.updated_at
    )
    result = session.execute(
        update(Callback)
        .where(
            Callback.callback_id == cb.callback_id,
            Callback.status == cb.status,
            Callback.attempts == cb.attempts,
            unchanged,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        session.rollback()
        session.refresh(cb)
        raise ApiError(
            409,
            "callback_changed",
            f"Callback {cb.callback_id} was just updated by {cb.handled_by or 'someone else'}; "
            "reload it and try again.",
            status=cb.status,
            handled_by=cb.handled_by,
        )
    audit.record_by_agent(
        session, agent, "callback.outcome", order_number=cb.order_number, details=details
    )
    session.flush()
    session.refresh(cb)
    return cb
