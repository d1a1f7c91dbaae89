"""Case routing."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from ..models import Case, utcnow
from ..schemas import CaseOut, CaseRequest
from . import audit
from .ids import case_number

EXECUTIVE_KINDS = frozenset({"trade_in_credit", "recurring_delivery_problem"})


def route(kind: str) -> tuple[str, str]:
    """(team, response_channel) for a case kind."""
    if kind in EXECUTIVE_KINDS:
        return "executive_customer_relations", "email"
    return "associates", "chat"


def create(session: Session, req: CaseRequest, actor: str) -> Case:
    team, channel = route(req.kind)
    case = Case(
        case_number=f"pending-{uuid.uuid4().hex}",
        kind=req.kind,
        team=team,
        status="open",
        response_channel=channel,
        conversation_id=req.conversation_id,
        order_number=req.order_number,
        customer=req.customer.model_dump(exclude_none=True),
        description=req.description,
        postal_code=req.postal_code or None,
        created_at=utcnow(),
    )
    session.add(case)
    session.flush()
    case.case_number = case_number(case.id)
    audit.record(
        session,
        "case.create",
        actor=actor,
        order_number=req.order_number,
        details={"case_number": case.case_number, "kind": req.kind, "team": team},
    )
    return case


def to_out(case: Case) -> CaseOut:
    return CaseOut(
        case_number=case.case_number,
        kind=case.kind,
        team=case.team,
        status=case.status,
        response_channel=case.response_channel,
        conversation_id=case.conversation_id,
        order_number=case.order_number,
        customer=case.customer,
        description=case.description,
        postal_code=case.postal_code,
        created_at=case.created_at,
    )
