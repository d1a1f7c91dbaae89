"""Console work API: queues, claiming tickets and acting on them (session cookie + CSRF)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..agent_auth import AgentDep, WritingAgentDep
from ..console_schemas import (
    CertificateOut,
    EscalateIn,
    MoneyActionIn,
    QueuesOut,
    ReferIn,
    RefundOut,
    ReshipIn,
    ReshipOut,
    ResolveIn,
    TicketCard,
)
from ..db import SessionDep
from ..errors import ApiError
from ..models import Agent, HandoffTicket
from ..schemas import CaseOut
from ..services import agent_actions as svc
from ..services import cases as case_svc

router = APIRouter(prefix="/console/api", tags=["console"])

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
IdempotencyKeyHeader = Annotated[str | None, Header(alias="Idempotency-Key")]


class ReferralOut(BaseModel):
    ticket: TicketCard
    case: CaseOut


@router.get("/queues", response_model=QueuesOut)
def queues(agent: AgentDep, session: SessionDep) -> QueuesOut:
    return svc.queues(session, agent)


@router.get("/tickets/{ticket_number}", response_model=TicketCard)
def ticket(ticket_number: str, agent: AgentDep, session: SessionDep) -> TicketCard:
    return svc.card(session, svc.get_ticket(session, agent, ticket_number))


@router.post("/tickets/{ticket_number}/claim", response_model=TicketCard)
def claim(ticket_number: str, agent: WritingAgentDep, session: SessionDep) -> TicketCard:
    ticket = svc.claim(session, agent, svc.get_ticket(session, agent, ticket_number))
    session.commit()
    return svc.card(session, ticket)


def _idempotent(
    session: Session,
    agent: Agent,
    key: str | None,
    action: str,
    ticket: HandoffTicket,
    body: BaseModel,
    run: Callable[[], BaseModel],
) -> JSONResponse:
    """Run ``run`` once per (agent, Idempotency-Key); later calls replay the stored result."""
    if key is None or not _KEY_RE.fullmatch(key):
        raise ApiError(
            400,
            "idempotency_key_required",
            "Send an Idempotency-Key header (1-200 visible ASCII characters, e.g. a UUID) "
            "so a retried request cannot act twice.",
        )
    request_hash = svc.fingerprint(action, ticket.ticket_number, body.model_dump(mode="json"))
    prior = svc.stored_result(session, agent, key, request_hash)
    if prior is None:
        content = run().model_dump(mode="json")
        svc.remember(session, agent, key, request_hash, status.HTTP_201_CREATED, content)
        try:
            session.commit()
        except IntegrityError:
            # The same key raced in on another request and won: replay its result instead.
            session.rollback()
            prior = svc.stored_result(session, agent, key, request_hash)
            if prior is None:  # pragma: no cover - the constraint fired for another reason
                raise
        else:
            return JSONResponse(content, status_code=status.HTTP_201_CREATED)
    return JSONResponse(
        prior.response, status_code=prior.status_code, headers={"Idempotent-Replayed": "true"}
    )


@router.post(
    "/tickets/{ticket_number}/refund",
    response_model=RefundOut,
    status_code=status.HTTP_201_CREATED,
)
def refund(
    ticket_number: str,
    body: MoneyActionIn,
    agent: WritingAgentDep,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    ticket = svc.get_ticket(session, agent, ticket_number)
    return _idempotent(
        session,
        agent,
        idempotency_key,
        "refund",
        ticket,
        body,
        lambda: svc.refund(session, agent, ticket, body),
    )


@router.post(
    "/tickets/{ticket_number}/certificate",
    response_model=CertificateOut,
    status_code=status.HTTP_201_CREATED,
)
def certificate(
    ticket_number: str,
    body: MoneyActionIn,
    agent: WritingAgentDep,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    ticket = svc.get_ticket(session, agent, ticket_number)
    return _idempotent(
        session,
        agent,
        idempotency_key,
        "certificate",
        ticket,
        body,
        lambda: svc.certificate(session, agent, ticket, body),
    )


@router.post(
    "/tickets/{ticket_number}/reship",
    response_model=ReshipOut,
    status_code=status.HTTP_201_CREATED,
)
def reship(
    ticket_number: str,
    body: ReshipIn,
    agent: WritingAgentDep,
    session: SessionDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> JSONResponse:
    ticket = svc.get_ticket(session, agent, ticket_number)
    return _idempotent(
        session,
        agent,
        idempotency_key,
        "reship",
        ticket,
        body,
        lambda: svc.reship(session, agent, ticket, body),
    )


@router.post("/tickets/{ticket_number}/escalate", response_model=TicketCard)
def escalate(
    ticket_number: str, body: EscalateIn, agent: WritingAgentDep, session: SessionDep
) -> TicketCard:
    ticket = svc.get_ticket(session, agent, ticket_number)
    svc.escalate(session, agent, ticket, body)
    session.commit()
    return svc.card(session, ticket)


@router.post(
    "/tickets/{ticket_number}/refer",
    response_model=ReferralOut,
    status_code=status.HTTP_201_CREATED,
)
def refer(
    ticket_number: str, body: ReferIn, agent: WritingAgentDep, session: SessionDep
) -> ReferralOut:
    ticket = svc.get_ticket(session, agent, ticket_number)
    case = svc.refer(session, agent, ticket, body)
    session.commit()
    return ReferralOut(ticket=svc.card(session, ticket), case=case_svc.to_out(case))


@router.post("/tickets/{ticket_number}/resolve", response_model=TicketCard)
def resolve(
    ticket_number: str, body: ResolveIn, agent: WritingAgentDep, session: SessionDep
) -> TicketCard:
    ticket = svc.get_ticket(session, agent, ticket_number)
    svc.resolve(session, agent, ticket, body)
    session.commit()
    return svc.card(session, ticket)
