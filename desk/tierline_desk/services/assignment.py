"""Who works which ticket without anyone claiming it: automatic assignment and reassignment.

- **Per tier**, auto-assignment is on or off: a ``tier_settings`` row (set in the console or
  with ``cli auto-assign``) wins over ``AUTO_ASSIGN_TIERS``. Claiming by hand always works.
- **Round robin with capacity**: a waiting ticket (oldest in the queue first) goes to the agent
  online for its tier (services/routing.py) with fewer claimed tickets than their capacity
  (``agents.capacity``, else ``AGENT_CAPACITY``) who was assigned a ticket longest ago.
- **Reassignment**: a claimed ticket whose agent went offline (no console call for
  ``AGENT_ONLINE_SECONDS``; ``REASSIGN_OFFLINE``) or left the shopper unanswered for
  ``REASSIGN_SILENT_MINUTES`` goes to the next agent with room (auto-assigned tiers). Else an
  offline agent's ticket goes back to its place in the queue, and a silent agent keeps it. The
  shopper is told who took over, or that they wait again.
- **By hand**: a supervisor assigns a waiting or claimed ticket to a named agent online who
  works its tier (capacity does not bind a supervisor's choice).

Every change is one conditional UPDATE on the ticket (``status`` and ``claimed_by`` as they were
read), like the console's claim: of two desks (or a desk and a person) changing one ticket at
once exactly one wins. The sweeps lock the candidate agent rows with ``FOR UPDATE SKIP LOCKED``
(PostgreSQL; SQLite serialises writers anyway) while they count their tickets, so two desks never
both fill an agent's last place. Each change is committed on its own and audited
(``ticket.assign``, ``ticket.reassign``, ``ticket.unassign``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from ..models import Agent, ChatMessage, HandoffTicket, TierSetting
from ..settings import get_settings
from . import audit, chat, console_events, handoffs
from .conversation_control import on_claim, say, who
from .routing import ROLES_BY_TIER, online_since

log = logging.getLogger("tierline_desk.assignment")
TIERS = tuple(ROLES_BY_TIER)


# ------------------------------------------------------------------ settings per tier and agent


def auto_assign(session: Session, tier: int) -> bool:
    row = session.get(TierSetting, tier)
    return row.auto_assign if row is not None else get_settings().auto_assign_by_default(tier)


def set_auto_assign(session: Session, tier: int, on: bool, by: str, now: datetime) -> None:
    """Switch a tier's auto-assignment (audited); the caller commits."""
    row = session.get(TierSetting, tier)
    before = auto_assign(session, tier)
    if row is None:
        session.add(TierSetting(tier=tier, auto_assign=on, updated_by=by, updated_at=now))
    else:
        row.auto_assign, row.updated_by, row.updated_at = on, by, now
    audit.record(
        session, "tier.auto_assign", actor=by, details={"tier": tier, "from": before, "to": on}
    )


def capacity_of(agent: Agent) -> int:
    return agent.capacity if agent.capacity is not None else get_settings().agent_capacity


def set_capacity(session: Session, agent: Agent, capacity: int | None, by: str) -> None:
    """``None``: back to AGENT_CAPACITY. Audited; the caller commits."""
    before = agent.capacity
    agent.capacity = capacity
    audit.record(
        session,
        "agent.capacity",
        actor=by,
        details={"agent": agent.username, "from": before, "to": capacity},
    )


def is_online(agent: Agent, now: datetime) -> bool:
    return (
        agent.active and agent.last_seen_at is not None and agent.last_seen_at >= online_since(now)
    )


def load_of(session: Session, agent_id: int) -> int:
    """Tickets the agent holds now."""
    count = session.scalar(
        select(func.count())
        .select_from(HandoffTicket)
        .where(HandoffTicket.claimed_by == agent_id, HandoffTicket.status == "claimed")
    )
    return int(count or 0)


def loads(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(HandoffTicket.claimed_by, func.count())
        .where(HandoffTicket.status == "claimed", HandoffTicket.claimed_by.is_not(None))
        .group_by(HandoffTicket.claimed_by)
    )
    return {int(agent_id): int(n) for agent_id, n in rows}


# ------------------------------------------------------------------ choosing an agent


def _next_agent(session: Session, tier: int, now: datetime, skip: int | None) -> Agent | None:
    """Lock and return the agent online for ``tier`` with room who was assigned longest ago."""
    candidates = session.scalars(
        select(Agent)
        .where(
            Agent.active.is_(True),
            Agent.role.in_(ROLES_BY_TIER[tier]),
            Agent.last_seen_at.is_not(None),
            Agent.last_seen_at >= online_since(now),
        )
        .order_by(Agent.last_assigned_at.asc().nulls_first(), Agent.id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    ).all()
    for agent in candidates:
        if agent.id != skip and load_of(session, agent.id) < capacity_of(agent):
            return agent
    return None


@dataclass(frozen=True)
class Change:
    """One ticket that changed hands; ``agent`` None: back in the queue."""

    ticket_number: str
    conversation_id: str
    agent: Agent | None
    previous: Agent | None
    reason: str


def _move(
    session: Session,
    ticket: HandoffTicket,
    expected: tuple[str, int | None],
    agent: Agent | None,
    now: datetime,
) -> bool:
    """The conditional UPDATE: the ticket goes to ``agent`` (None: waiting) only if its status
    and claimer are still ``expected``."""
    status, claimer = expected
    claimed = (
        HandoffTicket.claimed_by.is_(None)
        if claimer is None
        else HandoffTicket.claimed_by == claimer
    )
    values = (
        {"status": "claimed", "claimed_by": agent.id, "claimed_at": now}
        if agent is not None
        else {"status": "waiting", "claimed_by": None, "claimed_at": None}
    )
    result = session.execute(
        update(HandoffTicket)
        .where(HandoffTicket.id == ticket.id, HandoffTicket.status == status, claimed)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        return False
    if agent is not None:
        agent.last_assigned_at = now
    session.flush()
    session.refresh(ticket)
    previous = session.get(Agent, claimer) if claimer is not None else None
    console_events.publish_ticket(session, ticket, "ticket.assigned", previous)
    return True


def _audit(
    session: Session, action: str, ticket: HandoffTicket, actor: str, details: dict[str, object]
) -> None:
    """Assignment's audits name the ticket's tier too."""
    audit.record_ticket(
        session, action, ticket, actor=actor, details={"tier": ticket.tier, **details}
    )


# ------------------------------------------------------------------ the sweeps


def assign_waiting(session: Session, now: datetime) -> list[Change]:
    """Give waiting tickets of auto-assigned tiers to agents with room, oldest first."""
    changes: list[Change] = []
    for tier in TIERS:
        if not auto_assign(session, tier):
            continue
        while True:
            ticket = session.scalars(
                select(HandoffTicket)
                .where(
                    HandoffTicket.tier == tier,
                    HandoffTicket.status == "waiting",
                    HandoffTicket.claimed_by.is_(None),
                )
                .order_by(HandoffTicket.queued_at, HandoffTicket.id)
                .limit(1)
                .with_for_update(skip_locked=True)
                .execution_options(populate_existing=True)
            ).first()
            if ticket is None:
                break
            agent = _next_agent(session, tier, now, skip=None)
            if agent is None:
                session.rollback()
                break
            if not _move(session, ticket, ("waiting", None), agent, now):
                session.rollback()  # claimed by hand meanwhile: look again
                continue
            _audit(
                session,
                "ticket.assign",
                ticket,
                "desk",
                {"agent": agent.username, "reason": "auto", "capacity": capacity_of(agent)},
            )
            session.commit()
            changes.append(
                Change(ticket.ticket_number, ticket.conversation_id, agent, None, "auto")
            )
    return changes


def _unanswered_since(session: Session, ticket: HandoffTicket) -> datetime | None:
    """Since when the claimer owes the shopper an answer on a web chat (None: nothing owed or
    no web chat). Until the claimer writes, the claim itself is owed a greeting."""
    claimed_at = ticket.claimed_at
    if claimed_at is None or chat.get(session, ticket.conversation_id) is None:
        return None
    last_agent = session.scalar(
        select(func.max(ChatMessage.created_at)).where(
            ChatMessage.conversation_id == ticket.conversation_id,
            ChatMessage.sender == "agent",
            ChatMessage.created_at >= claimed_at,
        )
    )
    if last_agent is None:
        return claimed_at
    return session.scalar(
        select(func.min(ChatMessage.created_at)).where(
            ChatMessage.conversation_id == ticket.conversation_id,
            ChatMessage.sender == "shopper",
            ChatMessage.created_at > last_agent,
        )
    )


def _stale_reason(session: Session, ticket: HandoffTicket, now: datetime) -> str | None:
    settings = get_settings()
    holder = ticket.claimer
    if holder is None:
        return None
    if settings.reassign_offline and not is_online(holder, now):
        return "offline"
    minutes = settings.reassign_silent_minutes
    if minutes:
        since = _unanswered_since(session, ticket)
        if since is not None and now - since >= timedelta(minutes=minutes):
            return "silent"
    return None


def reassign_stale(session: Session, now: datetime) -> list[Change]:
    """Tickets whose agent went offline or silent: to the next agent with room, or back to the
    queue (tiers without auto-assignment always go back to the queue)."""
    changes: list[Change] = []
    claimed = session.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.status == "claimed", HandoffTicket.claimed_by.is_not(None))
        .order_by(HandoffTicket.claimed_at, HandoffTicket.id)
        .execution_options(populate_existing=True)
    ).all()
    stale = [
        (t, t.claimed_by, r) for t in claimed if (r := _stale_reason(session, t, now)) is not None
    ]
    session.rollback()  # end the read; each move is a transaction of its own
    for ticket, holder, reason in stale:
        previous = session.get(Agent, holder)
        assert previous is not None and holder is not None
        agent = (
            _next_agent(session, ticket.tier, now, skip=previous.id)
            if auto_assign(session, ticket.tier)
            else None
        )
        if agent is None and reason == "silent":
            # Nobody else can take it: the quiet agent, still online, keeps it rather than
            # the shopper going back to the queue (and straight back to the same agent).
            session.rollback()
            continue
        if not _move(session, ticket, ("claimed", holder), agent, now):
            session.rollback()  # resolved, claimed or moved by someone else meanwhile
            continue
        details: dict[str, object] = {"from": previous.username, "reason": reason}
        if agent is not None:
            _audit(session, "ticket.reassign", ticket, "desk", {**details, "to": agent.username})
        else:
            _audit(session, "ticket.unassign", ticket, "desk", details)
        session.commit()
        changes.append(
            Change(ticket.ticket_number, ticket.conversation_id, agent, previous, reason)
        )
    return changes


def assign_by_hand(
    session: Session, supervisor: Agent, ticket: HandoffTicket, agent: Agent, now: datetime
) -> Change | None:
    """The supervisor's choice; None when the ticket changed meanwhile (the caller says 409).
    The caller checked the roles, the tier and that ``agent`` is online; it commits."""
    previous = ticket.claimer
    expected = (ticket.status, ticket.claimed_by)
    if not _move(session, ticket, expected, agent, now):
        return None
    _audit(
        session,
        "ticket.reassign" if previous is not None else "ticket.assign",
        ticket,
        supervisor.username,
        {
            "from": previous.username if previous else None,
            "to": agent.username,
            "reason": "supervisor",
        },
    )
    return Change(ticket.ticket_number, ticket.conversation_id, agent, previous, "supervisor")


# ------------------------------------------------------------------ telling the shopper


def tell_shopper(session: Session, change: Change) -> None:
    """After the commit: the web chat says who took over, or that the shopper waits again."""
    ticket = session.scalar(
        select(HandoffTicket).where(HandoffTicket.ticket_number == change.ticket_number)
    )
    if ticket is None:
        return
    conversation = chat.get(session, change.conversation_id)
    if change.agent is not None and change.previous is None:
        on_claim(session, ticket, change.agent)  # "<name> joined the chat."
        return
    if conversation is not None:
        conversation.mode = "agent"
        conversation.agent_id = change.agent.id if change.agent is not None else None
        session.commit()
    if change.agent is not None:
        assert change.previous is not None
        say(
            session,
            change.conversation_id,
            f"{who(change.agent)} took over from {change.previous.display_name}.",
        )
        return
    position = handoffs.queue_position(session, ticket)
    place = f" (you are number {position} in line)" if position else ""
    name = change.previous.display_name if change.previous else "Your agent"
    say(
        session,
        change.conversation_id,
        f"{name} is no longer available. You are back in the queue{place}; the next person "
        "free will join you here.",
    )
