"""Live console events: "something agents can see changed", pushed over the console websocket.

One function to call: :func:`publish` (``session``, who may see it, ``kind``, ``payload``). The
event waits until that database session commits (a rolled-back change is never announced, and
an agent who fetches on the event reads the committed rows), then goes through the chat hub
(services/chat_hub.py) to every console websocket of this desk and, with ``REDIS_URL``, of the
other desks. Each socket passes on only the events its agent's :class:`Audience` admits.

Events are hints, never the record: the database is. A console that was disconnected fetches
the state again when it reconnects (docs/console-api.md, *Live console*).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from ..models import Agent, Case, HandoffTicket
from .chat_hub import get_hub

# Who works which ticket queue (the supervisor works both); specialists and supervisors may
# open any ticket (services/agent_actions.can_view).
TIERS_BY_ROLE: dict[str, tuple[int, ...]] = {"associate": (1,), "supervisor": (1, 2)}
SEE_EVERY_TICKET = frozenset({"supervisor", "specialist"})
SPECIALIST_TEAM = "executive_customer_relations"
ASSOCIATE_TEAM = "associates"
_PENDING = "console_events"
_LISTENING = "console_events_listening"


@dataclass(frozen=True)
class Audience:
    """Every agent whose role is in ``roles``, and the agents ``agent_ids``."""

    roles: frozenset[str]
    agent_ids: frozenset[int] = frozenset()

    def admits(self, role: str, agent_id: int) -> bool:
        return role in self.roles or agent_id in self.agent_ids

    def including(self, *agents: Agent | None) -> Audience:
        ids = {a.id for a in agents if a is not None}
        return Audience(self.roles, self.agent_ids | ids)

    def to_json(self) -> dict[str, list[Any]]:
        return {"roles": sorted(self.roles), "agents": sorted(self.agent_ids)}

    @classmethod
    def from_json(cls, raw: Any) -> Audience | None:
        if not isinstance(raw, dict):
            return None
        roles, agents = raw.get("roles"), raw.get("agents")
        if not isinstance(roles, list) or not isinstance(agents, list):
            return None
        return cls(
            frozenset(r for r in roles if isinstance(r, str)),
            frozenset(a for a in agents if isinstance(a, int)),
        )


def ticket_audience(ticket: HandoffTicket) -> Audience:
    """Who may see the ticket: the roles that work its tier or see every ticket, its claimer."""
    roles = SEE_EVERY_TICKET | {r for r, tiers in TIERS_BY_ROLE.items() if ticket.tier in tiers}
    claimer = frozenset({ticket.claimed_by}) if ticket.claimed_by is not None else frozenset()
    return Audience(frozenset(roles), claimer)


def case_audience(case: Case) -> Audience:
    """Who works the case (services/case_followup.can_see)."""
    if case.team == SPECIALIST_TEAM:
        return Audience(frozenset({"specialist", "supervisor"}))
    if case.team == ASSOCIATE_TEAM and case.response_channel == "email":
        return Audience(frozenset({"associate", "supervisor"}))
    return Audience(frozenset())


def ticket_payload(ticket: HandoffTicket) -> dict[str, Any]:
    return {
        "ticket_number": ticket.ticket_number,
        "tier": ticket.tier,
        "status": ticket.status,
        "conversation_id": ticket.conversation_id,
    }


def case_payload(case: Case) -> dict[str, Any]:
    return {"case_number": case.case_number, "team": case.team, "status": case.status}


def publish(session: Session, audience: Audience, kind: str, payload: dict[str, Any]) -> None:
    """Announce ``kind`` (e.g. ``ticket.claimed``) to ``audience`` once ``session`` commits.

    Dropped if the session rolls back. ``payload`` must be JSON and hold nothing the audience
    may not see."""
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "after_commit", _send_pending)
        event.listen(session, "after_soft_rollback", _drop_pending)
    if not session.in_transaction():
        session.begin()  # so a rollback before any query still drops the event
    session.info.setdefault(_PENDING, []).append(envelope(audience, kind, payload))


def publish_now(audience: Audience, kind: str, payload: dict[str, Any]) -> None:
    """Announce at once, with no transaction to wait for (presence, typing)."""
    get_hub().console_event(envelope(audience, kind, payload))


def publish_ticket(session: Session, ticket: HandoffTicket, kind: str, *also: Agent | None) -> None:
    """A ticket changed: tell whoever may see it now, and ``also`` (e.g. who just let it go)."""
    publish(session, ticket_audience(ticket).including(*also), kind, ticket_payload(ticket))


def publish_case(session: Session, case: Case, kind: str) -> None:
    publish(session, case_audience(case), kind, case_payload(case))


def envelope(audience: Audience, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"audience": audience.to_json(), "kind": kind, "data": payload}


def _send_pending(session: Session) -> None:
    pending = session.info.pop(_PENDING, None) or []
    hub = get_hub()
    for item in pending:
        hub.console_event(item)


def _drop_pending(session: Session, previous_transaction: object) -> None:
    session.info.pop(_PENDING, None)
