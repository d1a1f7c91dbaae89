"""Helpers for the assignment and SLA tests: more agents, web-chat tickets, chat lines, clocks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tierline_desk.models import Agent, ChatMessage, HandoffTicket, SlaBreach, utcnow
from tierline_desk.services import chat, handoffs
from tierline_desk.services.agents import create_agent

from .console import BIG_ORDER, priyas_handoff


def agent(session: Session, username: str) -> Agent:
    return session.scalars(select(Agent).where(Agent.username == username)).one()


def add_associates(session: Session, *usernames: str) -> list[Agent]:
    """New associates (offline until put online)."""
    made = [
        create_agent(
            session,
            name,
            "long-enough-pass",
            role="associate",
            display_name=name.title(),
            actor=None,
        )
        for name in usernames
    ]
    session.commit()
    return made


def online(session: Session, *usernames: str, seconds_ago: int = 0) -> None:
    """These agents online (seen ``seconds_ago``); every other agent offline."""
    for each in session.scalars(select(Agent)):
        each.last_seen_at = (
            utcnow() - timedelta(seconds=seconds_ago) if each.username in usernames else None
        )
    session.commit()


def web_ticket(session: Session, tier: int = 1, created_minutes_ago: float = 0) -> HandoffTicket:
    """A waiting ticket on a real web conversation, created ``created_minutes_ago``."""
    conversation, _ = chat.create_conversation(session, None)
    ticket, _ = handoffs.create(
        session, priyas_handoff(conversation.conversation_id, tier, BIG_ORDER), "bot"
    )
    if created_minutes_ago:
        at = utcnow() - timedelta(minutes=created_minutes_ago)
        ticket.created_at = at
        ticket.queued_at = at
    session.commit()
    return ticket


def backdate_claim(session: Session, ticket: HandoffTicket, minutes: float) -> None:
    ticket.claimed_at = utcnow() - timedelta(minutes=minutes)
    session.commit()


def write(
    session: Session, ticket: HandoffTicket, sender: str, text: str, minutes_ago: float = 0
) -> None:
    """A chat line on the ticket's conversation, written ``minutes_ago``."""
    message, _ = chat.append(session, ticket.conversation_id, sender, text)
    if minutes_ago:
        message.created_at = utcnow() - timedelta(minutes=minutes_ago)
        session.commit()


def chat_lines(session: Session, ticket: HandoffTicket) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(ChatMessage.text)
            .where(ChatMessage.conversation_id == ticket.conversation_id)
            .order_by(ChatMessage.seq)
        )
    )


def holder(session: Session, ticket: HandoffTicket) -> str | None:
    session.expire_all()
    fresh = session.get(HandoffTicket, ticket.id)
    assert fresh is not None
    return fresh.claimer.username if fresh.claimer else None


def breach(session: Session) -> int:
    """A noticed SLA breach (first reply) on a new tier-1 ticket; its id."""
    ticket = web_ticket(session, created_minutes_ago=6)
    row = SlaBreach(
        ticket_number=ticket.ticket_number,
        tier=1,
        target="first_reply",
        due_at=ticket.created_at + timedelta(minutes=5),
        noticed_at=utcnow(),
    )
    session.add(row)
    session.commit()
    return row.id
