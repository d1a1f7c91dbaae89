"""Service-level targets per tier, from ``sla.toml`` (``SLA_FILE``), and how tickets meet them.

Two targets per tier, both counted from the ticket's ``created_at`` (when the shopper asked for
a person), with the ticket's current tier's numbers:

- **first reply**: a person wrote to the shopper (``first_reply_at``, set where an agent's chat
  message is sent); a ticket closed without a chat message (not a web chat) counts its
  ``resolved_at``;
- **resolution**: the ticket was resolved or handed back (``resolved_at``). A ticket referred to
  the specialists leaves the desk's queues without a resolution time and is not counted.

The file is parsed and validated when the app starts (:func:`get_targets` in ``create_app``); a
malformed file raises :class:`SlaConfigError` naming the file and every problem. The sweep
(:func:`notice_breaches`) records each missed target of an open ticket once (a unique row per
ticket and target, so several desks notice it once) and audits it; supervisors see the rows in
the console until they acknowledge them. Attainment (:func:`attainment`) is computed from the
timestamps alone, so history loaded with past dates is judged like live tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import ChatMessage, HandoffTicket, SlaBreach
from ..settings import SettingsError, get_settings
from . import audit, console_events
from .config_files import read_toml, validated

Target = Literal["first_reply", "resolution"]
TARGETS: tuple[Target, ...] = ("first_reply", "resolution")
TIERS = (1, 2)
OPEN_STATUSES = ("waiting", "claimed")


class SlaConfigError(SettingsError):
    """The SLA file is missing or malformed."""


@dataclass(frozen=True)
class TierTargets:
    first_reply: timedelta
    resolution: timedelta

    def of(self, target: Target) -> timedelta:
        return self.first_reply if target == "first_reply" else self.resolution


class _TierIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    first_reply_minutes: StrictInt = Field(ge=1, le=10080)
    resolution_minutes: StrictInt = Field(ge=1, le=43200)

    @model_validator(mode="after")
    def _order(self) -> _TierIn:
        if self.first_reply_minutes > self.resolution_minutes:
            raise ValueError("first_reply_minutes may not be above resolution_minutes")
        return self


# Who is told of breaches over the live console (the breach panel is theirs).
SUPERVISORS = console_events.Audience(frozenset({"supervisor"}))


def parse_targets(data: dict[str, Any], source: str = "SLA file") -> dict[int, TierTargets]:
    problems: list[str] = []
    unknown_top = sorted(set(data) - {"tier"})
    if unknown_top:
        problems.append(f"unknown key(s) {', '.join(unknown_top)} (only [tier.N] tables)")
    tiers = data.get("tier", {})
    if not isinstance(tiers, dict):
        tiers = {}
        problems.append("tier must be tables [tier.1] and [tier.2]")
    unknown = sorted(set(tiers) - {str(t) for t in TIERS})
    if unknown:
        problems.append(f"unknown tier(s) {', '.join(unknown)} (known: 1, 2)")
    out: dict[int, TierTargets] = {}
    for tier in TIERS:
        parsed = validated(_TierIn, tiers.get(str(tier)), f"tier.{tier}", problems)
        if parsed is None:
            continue
        out[tier] = TierTargets(
            first_reply=timedelta(minutes=parsed.first_reply_minutes),
            resolution=timedelta(minutes=parsed.resolution_minutes),
        )
    if problems:
        raise SlaConfigError(f"{source}: invalid SLA targets: " + "; ".join(problems))
    return out


@lru_cache(maxsize=8)
def load_targets(path: Path) -> dict[int, TierTargets]:
    data = read_toml(path, "SLA_FILE", "desk/sla.toml", SlaConfigError)
    return parse_targets(data, str(path))


def get_targets() -> dict[int, TierTargets]:
    return load_targets(Path(get_settings().sla_file).resolve())


# ------------------------------------------------------------------ one ticket


@dataclass(frozen=True)
class TicketSla:
    """A ticket against its tier's targets. ``seconds_left``: until the nearest target still
    open (negative once it passed); None when no target is open any more."""

    first_reply_due_at: datetime
    resolution_due_at: datetime
    seconds_left: int | None
    breached: tuple[Target, ...]


def _first_response(ticket: HandoffTicket) -> datetime | None:
    return ticket.first_reply_at or ticket.resolved_at


def _met(due: datetime, done: datetime | None, now: datetime) -> bool | None:
    """True/False once decided (done, or due passed); None while it still can be met."""
    if done is not None:
        return done <= due
    return False if now > due else None


def for_ticket(ticket: HandoffTicket, now: datetime) -> TicketSla:
    targets = get_targets()[ticket.tier]
    first_due = ticket.created_at + targets.first_reply
    resolution_due = ticket.created_at + targets.resolution
    is_open = ticket.status in OPEN_STATUSES
    first = _met(first_due, _first_response(ticket), now)
    resolved = (
        _met(resolution_due, ticket.resolved_at, now) if ticket.status != "referred" else None
    )
    outcomes: tuple[tuple[Target, datetime, bool | None], ...] = (
        ("first_reply", first_due, first),
        ("resolution", resolution_due, resolved),
    )
    breached = tuple(target for target, _, met in outcomes if met is False)
    left: int | None = None
    if is_open:
        # The nearest target still open; once all passed unmet, the earliest (overdue, negative).
        pending = [due for _, due, met in outcomes if met is None]
        missed = [due for _, due, met in outcomes if met is False]
        if pending or missed:
            left = int((min(pending or missed) - now).total_seconds())
    return TicketSla(first_due, resolution_due, left, breached)


def record_first_reply(session: Session, ticket: HandoffTicket, at: datetime) -> None:
    """A person wrote to the shopper: the ticket's first reply, once (a conditional UPDATE)."""
    result = session.execute(
        update(HandoffTicket)
        .where(HandoffTicket.id == ticket.id, HandoffTicket.first_reply_at.is_(None))
        .values(first_reply_at=at)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount == 1:
        ticket.first_reply_at = at


# ------------------------------------------------------------------ the sweep


def notice_breaches(session: Session, now: datetime) -> list[SlaBreach]:
    """Record every target an open ticket has just missed, once per ticket and target (also
    across desks: the unique row), audited as ``sla.breach``. Commits each one."""
    noticed: list[SlaBreach] = []
    known = {
        (number, target)
        for number, target in session.execute(
            select(SlaBreach.ticket_number, SlaBreach.target)
            .join(HandoffTicket, HandoffTicket.ticket_number == SlaBreach.ticket_number)
            .where(HandoffTicket.status.in_(OPEN_STATUSES))
        )
    }
    tickets = session.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.status.in_(OPEN_STATUSES))
        .order_by(HandoffTicket.created_at)
    ).all()
    for ticket in tickets:
        state = for_ticket(ticket, now)
        for target in state.breached:
            if (ticket.ticket_number, target) in known:
                continue
            due = state.first_reply_due_at if target == "first_reply" else state.resolution_due_at
            breach = SlaBreach(
                ticket_number=ticket.ticket_number,
                tier=ticket.tier,
                target=target,
                due_at=due,
                noticed_at=now,
            )
            try:
                with session.begin_nested():
                    session.add(breach)
                    session.flush()
            except IntegrityError:
                continue  # another desk noticed it first
            audit.record_ticket(
                session,
                "sla.breach",
                ticket,
                actor="desk",
                details={
                    "tier": ticket.tier,
                    "target": target,
                    "due_at": due.isoformat(),
                    "claimed_by": ticket.claimer.username if ticket.claimer else None,
                },
            )
            console_events.publish(
                session,
                SUPERVISORS,
                "sla.breach",
                {"ticket_number": ticket.ticket_number, "tier": ticket.tier, "target": target},
            )
            session.commit()
            noticed.append(breach)
    return noticed


def open_breaches(session: Session, tiers: tuple[int, ...]) -> list[SlaBreach]:
    """Breaches nobody acknowledged yet, newest first, of the given tiers."""
    return list(
        session.scalars(
            select(SlaBreach)
            .where(SlaBreach.acknowledged_at.is_(None), SlaBreach.tier.in_(tiers))
            .order_by(SlaBreach.noticed_at.desc(), SlaBreach.id.desc())
            .limit(100)
        )
    )


def acknowledge(session: Session, breach_id: int, who: str, now: datetime) -> SlaBreach | None:
    """Mark a breach seen (once: a conditional UPDATE); None when there is no such breach."""
    breach = session.get(SlaBreach, breach_id)
    if breach is None:
        return None
    result = session.execute(
        update(SlaBreach)
        .where(SlaBreach.id == breach_id, SlaBreach.acknowledged_at.is_(None))
        .values(acknowledged_by=who, acknowledged_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount == 1:
        audit.record(
            session,
            "sla.acknowledge",
            actor=who,
            details={"ticket_number": breach.ticket_number, "target": breach.target},
        )
        console_events.publish(
            session, SUPERVISORS, "sla.acknowledged", {"ticket_number": breach.ticket_number}
        )
    session.flush()
    session.refresh(breach)
    return breach


# ------------------------------------------------------------------ attainment


@dataclass
class Tally:
    met: int = 0
    total: int = 0

    def add(self, met: bool | None) -> None:
        if met is None:
            return
        self.total += 1
        self.met += int(met)

    @property
    def percent(self) -> float | None:
        return round(100.0 * self.met / self.total, 1) if self.total else None


@dataclass
class Series:
    """One tier's or agent's tallies, in all and per UTC day (by the ticket's ``created_at``)."""

    first_reply: Tally
    resolution: Tally
    daily: dict[str, tuple[Tally, Tally]]

    @classmethod
    def empty(cls) -> Series:
        return cls(Tally(), Tally(), {})

    def add(self, day: str, first: bool | None, resolved: bool | None) -> None:
        self.first_reply.add(first)
        self.resolution.add(resolved)
        f, r = self.daily.setdefault(day, (Tally(), Tally()))
        f.add(first)
        r.add(resolved)


def _first_agent_messages(session: Session, since: datetime) -> dict[str, datetime]:
    """Per conversation, its first agent chat message since ``since`` (for tickets that carry no
    ``first_reply_at``: history written before it was recorded)."""
    rows = session.execute(
        select(ChatMessage.conversation_id, func.min(ChatMessage.created_at))
        .where(ChatMessage.sender == "agent", ChatMessage.created_at >= since)
        .group_by(ChatMessage.conversation_id)
    )
    return {conversation: at for conversation, at in rows}


def attainment(
    session: Session, since: datetime, now: datetime
) -> tuple[dict[int, Series], dict[str, Series]]:
    """Per tier and per agent (the ticket's claimer), the tickets created since ``since`` whose
    targets are decided, and how many met them."""
    targets = get_targets()
    firsts = _first_agent_messages(session, since)
    by_tier: dict[int, Series] = {tier: Series.empty() for tier in TIERS}
    by_agent: dict[str, Series] = {}
    tickets = session.scalars(
        select(HandoffTicket).where(HandoffTicket.created_at >= since).order_by(HandoffTicket.id)
    )
    for ticket in tickets:
        tier = targets[ticket.tier]
        first_at = ticket.first_reply_at
        chat_first = firsts.get(ticket.conversation_id)
        if first_at is None and chat_first is not None and chat_first >= ticket.created_at:
            first_at = chat_first
        first = _met(ticket.created_at + tier.first_reply, first_at or ticket.resolved_at, now)
        resolved = (
            None
            if ticket.status == "referred"
            else _met(ticket.created_at + tier.resolution, ticket.resolved_at, now)
        )
        day = ticket.created_at.astimezone(UTC).date().isoformat()
        by_tier[ticket.tier].add(day, first, resolved)
        if ticket.claimer is not None:
            by_agent.setdefault(ticket.claimer.username, Series.empty()).add(day, first, resolved)
    return by_tier, by_agent
