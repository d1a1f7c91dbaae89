"""The satisfaction survey's test kit: a web chat a person resolved, a closed email case."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tierline_desk.models import Case, CaseMessage, HandoffTicket
from tierline_desk.services import chat, handoffs

from .console import BIG_ORDER, AgentClient, LoginFn, priyas_handoff, ticket_url


def resolved_chat(
    web: TestClient, session: Session, agent: AgentClient, tier: int = 1
) -> tuple[dict[str, Any], HandoffTicket]:
    """A web chat handed to a person (``agent``), who claimed and resolved it in the console."""
    conversation, token = chat.create_conversation(session, None)
    sess = {"conversation_id": conversation.conversation_id, "token": token}
    request = priyas_handoff(conversation.conversation_id, tier, BIG_ORDER)
    ticket, _ = handoffs.create(session, request, "bot")
    session.commit()
    assert agent.post(ticket_url(ticket, "claim")).status_code == 200
    resp = agent.post(ticket_url(ticket, "resolve"), json={"outcome": "refunded the broken lamp"})
    assert resp.status_code == 200, resp.text
    session.expire_all()
    return sess, ticket


def closed_case_link(session: Session, login: LoginFn, who: str = "jordan.ecr") -> tuple[Case, str]:
    """A specialist case closed with a reply: the case and the survey link in that email."""
    from tierline_desk.services import cases

    case = cases.open_case(
        session,
        kind="trade_in_credit",
        conversation_id="conv-csat-case",
        description="Trade-in credit never arrived",
        actor="bot",
        order_number="118-2718281-8284590",
        customer={"email": "sam.oconnor@example.com", "name": "Sam"},
    )
    session.commit()
    agent = login(who)
    resp = agent.post(
        f"/console/api/cases/{case.case_number}/reply",
        json={"body": "Your credit of $120 is on its way.", "close": True},
    )
    assert resp.status_code == 201, resp.text
    session.expire_all()
    body = session.scalars(
        select(CaseMessage.body).where(CaseMessage.case_number == case.case_number)
    ).one()
    link = next(line for line in body.splitlines() if "/csat/" in line)
    return case, link.strip()
