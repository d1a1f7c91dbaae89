"""Console work API: queues, claiming tickets and acting on them (session cookie + CSRF)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Response, status
from fastapi.responses import JSONResponse
from fastapi.types import DecoratedCallable
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..deps import AgentDep, SessionDep, WritingAgentDep
from ..errors import ApiError
from ..mail import notify
from ..models import Agent, HandoffTicket
from ..rasa_client import RasaUnavailable
from ..services import agent_actions as svc
from ..services import agent_notices, chat, sla
from ..services import cases as case_svc
from ..services import conversation_control as control
from ..services.authority import Limit, MoneyAction, get_policy
from ..services.chat_hub import get_hub
from .schemas import (
    AgentMessageIn,
    ApprovalOut,
    ApproveIn,
    AuthorityOut,
    BudgetOut,
    CertificateOut,
    ChatMessageOut,
    EscalateIn,
    HandbackIn,
    MoneyActionIn,
    QueuesOut,
    ReferIn,
    ReferralOut,
    RefundOut,
    ReshipIn,
    ReshipOut,
    ResolveIn,
    TicketCard,
    TicketChatOut,
)

router = APIRouter(prefix="/console/api", tags=["console"])

_KEY_RE = re.compile(r"^[\x21-\x7e]{1,200}$")
IdempotencyKeyHeader = Annotated[str | None, Header(alias="Idempotency-Key")]


@router.get("/authority", response_model=AuthorityOut)
def authority(agent: AgentDep) -> AuthorityOut:
    """What the logged-in agent's role may do (desk/authority.toml)."""
    role = get_policy().for_role(agent.role)

    def describe(limit: Limit) -> str | None:
        if not limit.allowed:
            return None
        return "unlimited" if limit.maximum is None else f"{limit.maximum:.2f}"

    def money(action: MoneyAction) -> str | None:
        return describe(role.limit(action))

    return AuthorityOut(
        role=agent.role,
        refund=money("refund"),
        certificate=money("certificate"),
        reship=role.reship,
        budget=describe(role.budget),
        daily=describe(role.daily),
        reships_per_order=role.reships_per_order,
    )


def chat_message_out(message: Any) -> ChatMessageOut:
    """One chat message for the console (without its files: a new agent message carries none)."""
    return chat_message_fields(chat.message_out(message))


def chat_message_fields(out: dict[str, Any]) -> ChatMessageOut:
    return ChatMessageOut(**{k: out[k] for k in ChatMessageOut.model_fields})


@router.get("/tickets/{ticket_number}/messages", response_model=TicketChatOut)
def ticket_messages(
    ticket_number: str,
    agent: AgentDep,
    session: SessionDep,
    after: Annotated[int, Query(ge=0)] = 0,
) -> TicketChatOut:
    """The web chat of the ticket's conversation (messages after ``after``), live."""
    ticket = svc.get_ticket(session, agent, ticket_number)
    conversation = chat.get(session, ticket.conversation_id)
    if conversation is None:
        return TicketChatOut(
            conversation_id=ticket.conversation_id,
            web_chat=False,
            mode=None,
            messages=[],
            shopper_typing=False,
        )
    return TicketChatOut(
        conversation_id=ticket.conversation_id,
        web_chat=True,
        mode=conversation.mode,
        messages=[
            chat_message_fields(m)
            for m in chat.messages_out(
                session,
                ticket.conversation_id,
                chat.messages_after(session, ticket.conversation_id, after),
            )
        ],
        shopper_typing=get_hub().is_shopper_typing(ticket.conversation_id),
    )


@router.post(
    "/tickets/{ticket_number}/messages",
    response_model=ChatMessageOut,
    status_code=status.HTTP_201_CREATED,
)
def send_chat_message(
    ticket_number: str, body: AgentMessageIn, agent: WritingAgentDep, session: SessionDep
) -> ChatMessageOut:
    ticket = svc.get_worked_ticket(session, agent, ticket_number)
    if chat.get(session, ticket.conversation_id) is None:
        raise ApiError(
            409,
            "not_a_web_chat",
            f"Ticket {ticket.ticket_number} did not come from the web chat, so there is no "
            "live chat to write to; hand it back to the bot with the outcome instead.",
        )
    message = control.say(session, ticket.conversation_id, body.text, sender="agent", agent=agent)
    assert message is not None
    sla.record_first_reply(session, ticket, message.created_at)
    session.commit()
    return chat_message_out(message)


@router.post(
    "/tickets/{ticket_number}/typing",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
def typing(ticket_number: str, agent: WritingAgentDep, session: SessionDep) -> Response:
    """The agent is typing: the shopper's widget shows "<name> is typing…" for a few seconds."""
    ticket = svc.get_worked_ticket(session, agent, ticket_number)
    get_hub().agent_typing(ticket.conversation_id, agent.display_name)
    get_hub().notify(ticket.conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/tickets/{ticket_number}/handback", response_model=TicketCard)
def handback(
    ticket_number: str, body: HandbackIn, agent: WritingAgentDep, session: SessionDep
) -> TicketCard:
    """Hand the conversation back to the bot: Rasa resumes and tells the shopper the outcome."""
    ticket = svc.get_worked_ticket(session, agent, ticket_number)
    _resume_or_fail(session, ticket, body.outcome, agent)
    return _resolved(session, agent, ticket, ResolveIn(outcome=body.outcome))


def _resolved(session: Session, agent: Agent, ticket: HandoffTicket, body: ResolveIn) -> TicketCard:
    """Resolve the ticket the bot has taken back, commit, and tell the shopper's widget."""
    svc.resolve(session, agent, ticket, body)
    session.commit()
    get_hub().notify(ticket.conversation_id)  # the widget: resolved, so the survey is due
    return svc.card(session, ticket)


def _resume_or_fail(session: Session, ticket: HandoffTicket, outcome: str, agent: Agent) -> None:
    try:
        control.hand_back(session, ticket, outcome, agent)
    except RasaUnavailable as exc:
        raise ApiError(
            502,
            "rasa_unavailable",
            f"The assistant could not take the conversation back ({exc}); the ticket is still "
            "yours. Try again, or resolve it.",
        ) from exc


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
    control.on_claim(session, ticket, agent)
    return svc.card(session, ticket)


def _idempotent(
    session: Session,
    agent: Agent,
    key: str | None,
    action: str,
    ticket: HandoffTicket,
    body: BaseModel,
    run: Callable[[], BaseModel],
    after_commit: Callable[[BaseModel], None],
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
        result = run()
        content = result.model_dump(mode="json")
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
            after_commit(result)
            return JSONResponse(content, status_code=status.HTTP_201_CREATED)
    return JSONResponse(
        prior.response, status_code=prior.status_code, headers={"Idempotent-Replayed": "true"}
    )


_MONEY_ACTIONS: dict[svc.StoreAction, Callable[..., BaseModel]] = {
    "refund": svc.refund,
    "certificate": svc.certificate,
    "reship": svc.reship,
}
"""Each money action: what the service does (in the request's transaction); the shopper is told
once it committed (agent_notices.for_action)."""


@dataclass(frozen=True)
class MoneyRequest:
    """What a money action's request (and an approval's) carries besides its ticket and body."""

    agent: Agent
    session: Session
    background: BackgroundTasks
    idempotency_key: str | None


def money_request(
    agent: WritingAgentDep,
    session: SessionDep,
    background: BackgroundTasks,
    idempotency_key: IdempotencyKeyHeader = None,
) -> MoneyRequest:
    return MoneyRequest(agent, session, background, idempotency_key)


MoneyRequestDep = Annotated[MoneyRequest, Depends(money_request)]


def _money_action(
    action: svc.StoreAction, ticket_number: str, body: BaseModel, request: MoneyRequest
) -> JSONResponse:
    """The one path of a refund, certificate or reship: once per Idempotency-Key, then the
    shopper's notice after the commit."""
    act = _MONEY_ACTIONS[action]
    session, agent, key = request.session, request.agent, request.idempotency_key
    ticket = svc.get_ticket(session, agent, ticket_number)
    return _idempotent(
        session,
        agent,
        key,
        action,
        ticket,
        body,
        lambda: act(session, agent, ticket, body, request_key=key),
        lambda result: agent_notices.tell(
            session, request.background, ticket, action, agent_notices.for_action(agent, result)
        ),
    )


def _money_route(
    response_model: type[BaseModel], action: svc.StoreAction
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """``POST /tickets/{ticket_number}/<action>``: 201 with ``response_model``."""
    return router.post(
        f"/tickets/{{ticket_number}}/{action}",
        response_model=response_model,
        status_code=status.HTTP_201_CREATED,
    )


@_money_route(RefundOut, "refund")
def refund(ticket_number: str, body: MoneyActionIn, request: MoneyRequestDep) -> JSONResponse:
    return _money_action("refund", ticket_number, body, request)


@_money_route(CertificateOut, "certificate")
def certificate(ticket_number: str, body: MoneyActionIn, request: MoneyRequestDep) -> JSONResponse:
    return _money_action("certificate", ticket_number, body, request)


@_money_route(ReshipOut, "reship")
def reship(ticket_number: str, body: ReshipIn, request: MoneyRequestDep) -> JSONResponse:
    return _money_action("reship", ticket_number, body, request)


@router.get("/tickets/{ticket_number}/budget", response_model=BudgetOut)
def budget(ticket_number: str, agent: AgentDep, session: SessionDep) -> BudgetOut:
    """What the logged-in agent may still issue on this ticket (docs/authority.md)."""
    return svc.budget(session, agent, svc.get_ticket(session, agent, ticket_number))


@router.post(
    "/tickets/{ticket_number}/approve",
    response_model=ApprovalOut,
    status_code=status.HTTP_201_CREATED,
)
def approve(ticket_number: str, body: ApproveIn, request: MoneyRequestDep) -> JSONResponse:
    """A supervisor or specialist approves more money on this ticket only, with a note."""
    session, agent = request.session, request.agent
    ticket = svc.get_ticket(session, agent, ticket_number)
    return _idempotent(
        session,
        agent,
        request.idempotency_key,
        "approve",
        ticket,
        body,
        lambda: svc.approve(session, agent, ticket, body),
        lambda result: None,
    )


@router.post("/tickets/{ticket_number}/escalate", response_model=TicketCard)
def escalate(
    ticket_number: str, body: EscalateIn, agent: WritingAgentDep, session: SessionDep
) -> TicketCard:
    ticket = svc.get_ticket(session, agent, ticket_number)
    svc.escalate(session, agent, ticket, body)
    session.commit()
    control.on_escalate(session, ticket, agent, body.note)
    return svc.card(session, ticket)


@router.post(
    "/tickets/{ticket_number}/refer",
    response_model=ReferralOut,
    status_code=status.HTTP_201_CREATED,
)
def refer(
    ticket_number: str,
    body: ReferIn,
    agent: WritingAgentDep,
    session: SessionDep,
    background: BackgroundTasks,
) -> ReferralOut:
    """Open a specialist case (they answer by email); the bot takes the chat back."""
    ticket = svc.get_ticket(session, agent, ticket_number)
    case = svc.refer(session, agent, ticket, body)
    session.commit()
    out = case_svc.to_out(case)
    notify.case_opened(background, session, out)
    agent_notices.referred(session, agent, ticket, out)
    try:
        control.hand_back(
            session,
            ticket,
            f"your case {out.case_number} is with our Executive Customer Relations team, "
            "who will email you",
            None,
        )
    except RasaUnavailable as exc:
        agent_notices.log.warning("referral %s: bot not resumed: %s", out.case_number, exc)
    return ReferralOut(ticket=svc.card(session, ticket), case=out)


@router.post("/tickets/{ticket_number}/resolve", response_model=TicketCard)
def resolve(
    ticket_number: str, body: ResolveIn, agent: WritingAgentDep, session: SessionDep
) -> TicketCard:
    """Close the ticket; the bot takes the conversation back (best effort, unlike handback)."""
    ticket = svc.get_worked_ticket(session, agent, ticket_number)
    try:
        control.hand_back(session, ticket, body.outcome, agent)
    except RasaUnavailable as exc:
        agent_notices.log.warning("resolve %s: bot not resumed: %s", ticket.ticket_number, exc)
        control.release_to_bot(session, ticket, agent, body.outcome)
    return _resolved(session, agent, ticket, body)
