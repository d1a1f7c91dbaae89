"""Console: who works which ticket. Supervisors see the floor and assign by hand; each tier's
auto-assignment can be switched; admins set agents' capacity (services/assignment.py)."""

from __future__ import annotations

from fastapi import APIRouter, Path
from sqlalchemy import select

from ..deps import AgentDep, SessionDep, WritingAgentDep
from ..errors import ApiError
from ..models import Agent, utcnow
from ..rasa_client import RasaUnavailable
from ..services import agent_actions, assignment, routing
from ..services.console_access import require_role
from ..settings import get_settings
from .schemas import (
    AgentLoadOut,
    AssignIn,
    AssignmentOut,
    AutoAssignIn,
    CapacityIn,
    TicketCard,
    TierAssignmentOut,
)

router = APIRouter(prefix="/console/api", tags=["console"])
FLOOR_ROLES = ("supervisor", "admin")


def _overview(session: SessionDep) -> AssignmentOut:
    now = utcnow()
    held = assignment.loads(session)
    agents = session.scalars(
        select(Agent).where(Agent.active.is_(True)).order_by(Agent.username)
    ).all()
    return AssignmentOut(
        tiers=[
            TierAssignmentOut(
                tier=tier,
                auto_assign=assignment.auto_assign(session, tier),
                agents_online=routing.agents_online(session, tier, now),
            )
            for tier in assignment.TIERS
        ],
        agents=[
            AgentLoadOut(
                username=a.username,
                display_name=a.display_name,
                role=a.role,
                tiers=list(agent_actions.tiers_for(a)),
                online=assignment.is_online(a, now),
                load=held.get(a.id, 0),
                capacity=assignment.capacity_of(a),
                capacity_is_default=a.capacity is None,
            )
            for a in agents
        ],
        default_capacity=get_settings().agent_capacity,
    )


@router.get("/assignment", response_model=AssignmentOut)
def overview(agent: AgentDep, session: SessionDep) -> AssignmentOut:
    """Each tier's auto-assignment, and every active agent's tickets against their capacity."""
    require_role(agent, FLOOR_ROLES, "see the assignment of tickets")
    return _overview(session)


@router.post("/assignment/tiers/{tier}", response_model=AssignmentOut)
def switch_tier(
    body: AutoAssignIn,
    agent: WritingAgentDep,
    session: SessionDep,
    tier: int = Path(ge=1, le=2),
) -> AssignmentOut:
    """Turn a tier's automatic assignment on or off (audited ``tier.auto_assign``)."""
    require_role(agent, FLOOR_ROLES, "switch automatic assignment")
    assignment.set_auto_assign(session, tier, body.auto_assign, agent.username, utcnow())
    session.commit()
    return _overview(session)


@router.post("/assignment/agents/{username}/capacity", response_model=AssignmentOut)
def set_capacity(
    username: str, body: CapacityIn, agent: WritingAgentDep, session: SessionDep
) -> AssignmentOut:
    """An agent's capacity (null: AGENT_CAPACITY); audited ``agent.capacity``. Admins only."""
    require_role(agent, ("admin",), "set agents' capacity")
    target = _agent_named(session, username)
    assignment.set_capacity(session, target, body.capacity, agent.username)
    session.commit()
    return _overview(session)


def _agent_named(session: SessionDep, username: str) -> Agent:
    target = session.scalar(select(Agent).where(Agent.username == username.strip().lower()))
    if target is None or not target.active:
        raise ApiError(404, "agent_not_found", f"No active agent {username!r}.")
    return target


@router.post("/tickets/{ticket_number}/assign", response_model=TicketCard)
def assign(
    ticket_number: str, body: AssignIn, agent: WritingAgentDep, session: SessionDep
) -> TicketCard:
    """A supervisor gives a waiting or claimed ticket to a named agent online for its tier."""
    require_role(agent, ("supervisor",), "assign tickets to others")
    ticket = agent_actions.get_ticket(session, agent, ticket_number)
    target = _agent_named(session, body.agent)
    now = utcnow()
    if ticket.status not in ("waiting", "claimed"):
        raise ApiError(
            409,
            "not_assignable",
            f"Ticket {ticket.ticket_number} is {ticket.status}; only waiting or claimed "
            "tickets can be assigned.",
            status=ticket.status,
        )
    if ticket.tier not in agent_actions.tiers_for(target):
        raise ApiError(
            409,
            "wrong_tier",
            f"{target.username} ({target.role}) does not work the tier {ticket.tier} queue.",
        )
    if not assignment.is_online(target, now):
        raise ApiError(
            409,
            "agent_offline",
            f"{target.username} is not online (no console seen in the last "
            f"{get_settings().agent_online_seconds} s); the ticket would come straight back.",
        )
    if ticket.claimed_by == target.id:
        raise ApiError(
            409,
            "already_assigned",
            f"Ticket {ticket.ticket_number} is already {target.username}'s.",
        )
    change = assignment.assign_by_hand(session, agent, ticket, target, now)
    if change is None:
        session.rollback()
        raise ApiError(
            409,
            "ticket_changed",
            f"Ticket {ticket.ticket_number} changed meanwhile; look at it again.",
        )
    session.commit()
    try:
        assignment.tell_shopper(session, change)
    except RasaUnavailable as exc:  # the desk routes the chat to the agent anyway
        assignment.log.warning("ticket %s: could not pause the bot: %s", change.ticket_number, exc)
    session.refresh(ticket)
    return agent_actions.card(session, ticket)
