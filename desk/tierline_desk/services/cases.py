"""Case routing: which team answers a case kind, and how (chat or email)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api.schemas import CaseOut, CaseRequest
from ..errors import ApiError
from ..models import Case, utcnow
from . import audit
from .console_events import publish_case
from .ids import case_number, placeholder_number

SPECIALIST_TEAM = "executive_customer_relations"
# Executive customer relations: the specialists, who answer by email.
EXECUTIVE_KINDS = frozenset(
    {
        "trade_in_credit",
        "recurring_delivery_problem",
        "major_shipping_error",
        "recurring_delivery_route",
    }
)
# Associates' cases answered by email instead of in the chat.
EMAIL_KINDS = frozenset({"email_follow_up"})
# The supervisors' cases: a shopper's low satisfaction score (services/csat.py), answered by email.
SUPERVISOR_KINDS = frozenset({"csat_follow_up"})
SUPERVISOR_TEAM = "supervisors"
# A case is open until someone closes it (open -> answered -> closed).
OPEN_CASE_STATES = ("open", "answered")


def route(kind: str) -> tuple[str, str]:
    """(team, response_channel) for a case kind."""
    if kind in EXECUTIVE_KINDS:
        return SPECIALIST_TEAM, "email"
    if kind in EMAIL_KINDS:
        return "associates", "email"
    if kind in SUPERVISOR_KINDS:
        return SUPERVISOR_TEAM, "email"
    return "associates", "chat"


def add_numbered(session: Session, case: Case) -> Case:
    """Add a new case and give it its number, from its row id (flushed, not committed)."""
    case.case_number = placeholder_number()
    session.add(case)
    session.flush()
    case.case_number = case_number(case.id)
    return case


def open_case(
    session: Session,
    *,
    kind: str,
    conversation_id: str,
    description: str,
    actor: str,
    order_number: str | None = None,
    customer: dict[str, Any] | None = None,
    postal_code: str | None = None,
) -> Case:
    """Add a case routed to its team (not committed); audited as ``case.create``."""
    team, channel = route(kind)
    case = add_numbered(
        session,
        Case(
            kind=kind,
            team=team,
            status="open",
            response_channel=channel,
            conversation_id=conversation_id,
            order_number=order_number,
            customer=customer or {},
            description=description,
            postal_code=postal_code or None,
            created_at=utcnow(),
        ),
    )
    audit.record(
        session,
        "case.create",
        actor=actor,
        order_number=order_number,
        details={"case_number": case.case_number, "kind": kind, "team": team},
    )
    publish_case(session, case, "case.created")
    return case


def create(session: Session, req: CaseRequest, actor: str) -> Case:
    return open_case(
        session,
        kind=req.kind,
        conversation_id=req.conversation_id,
        description=req.description,
        actor=actor,
        order_number=req.order_number,
        customer=req.customer.model_dump(exclude_none=True),
        postal_code=req.postal_code,
    )


def open_case_for(session: Session, conversation_id: str, kind: str) -> Case | None:
    """The conversation's open case of this kind, if any (oldest first)."""
    return session.scalar(
        select(Case)
        .where(
            Case.conversation_id == conversation_id,
            Case.kind == kind,
            Case.status.in_(OPEN_CASE_STATES),
        )
        .order_by(Case.id)
        .limit(1)
    )


def by_number(session: Session, number: str) -> Case:
    """The case numbered ``number`` (any case, blanks around it ignored); 404 if none."""
    case = session.scalar(select(Case).where(Case.case_number == number.strip().upper()))
    if case is None:
        raise ApiError(404, "case_not_found", f"No case {number}.")
    return case


def to_out(case: Case) -> CaseOut:
    return CaseOut.model_validate(case, from_attributes=True)
