"""Support analytics for supervisors and admins: how much the bot settles, how long people take.

The window is the last ``days`` UTC calendar days, today included: from 00:00 UTC of
``today - (days - 1)`` until now. Every count below is "in the window" by the timestamp named.

- ``conversations``: web chats (``conversations`` table) by ``created_at``. ``bot_resolved``: those
  that never got a handoff ticket nor a case with the same ``conversation_id``.
- ``handoffs_by_tier``: ``"1"`` tickets created at tier 1 (by ``created_at``; a ticket escalated
  later still counts here, since escalation only goes 1 -> 2 and sets ``escalated_at``); ``"2"``
  tickets created at tier 2 (by ``created_at``) plus escalations to tier 2 (by ``escalated_at``);
  ``"specialist"`` ``executive_customer_relations`` cases (by ``created_at``).
- ``wait_seconds``: one value per claim, from the audit log's ``ticket.claim`` events (by their
  ``at``). An escalation puts a ticket back in a queue and clears its claim, so the ticket's
  ``queued_at``/``claimed_at`` columns only remember the last wait; the audit log keeps every
  claim. Each claim's wait runs from when the ticket entered the queue it was claimed from: its
  ``escalated_at`` when it was escalated before that claim, else its ``created_at``.
- ``resolution_seconds``: ``created_at`` -> ``resolved_at`` of tickets resolved in the window.
- ``top_reasons``: the 8 most frequent ticket reasons among tickets created in the window.
- ``daily``: per UTC date, conversations and bot_resolved (by conversation ``created_at``),
  handoffs (tickets by ``created_at``) and resolved (tickets by ``resolved_at``).
- ``funnel``: how far conversations went: the web chats, then the handoffs to associates,
  supervisors and specialists (the ``handoffs_by_tier`` counts).
- ``wait_by_tier``: ``wait_seconds`` split by the tier each claim was made at (the audit
  event's ``tier``).
- ``csat``: the satisfaction answers (services/csat_analytics.py).

``tier`` (1, 2 or 3 = specialists) narrows what belongs to one tier: the waits (claims at that
tier), ``resolution_seconds`` and ``top_reasons`` (tickets now at that tier) and ``csat``. The
conversations, containment, handoffs and funnel are about every conversation and stay whole.

Percentiles are computed in Python (``statistics.quantiles``, inclusive method); the SQL is
plain (filters, counts, GROUP BY, EXISTS), so it runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from ..console.schemas import (
    AnalyticsOut,
    DailyPoint,
    Durations,
    FunnelStage,
    HandoffsByTier,
    ReasonCount,
    TierWait,
)
from ..models import Agent, AuditLog, Case, Conversation, HandoffTicket
from . import csat_analytics
from .console_access import require_role

ROLES = ("supervisor", "admin")
SPECIALIST_TEAM = "executive_customer_relations"
TOP_REASONS = 8
_CHUNK = 500  # ticket numbers per IN (...) list


def check_role(agent: Agent) -> None:
    require_role(agent, ROLES, "see analytics")


def window_start(now: datetime, days: int) -> datetime:
    first_day = now.astimezone(UTC).date() - timedelta(days=days - 1)
    return datetime.combine(first_day, time(0), tzinfo=UTC)


def durations(values: Sequence[float]) -> Durations:
    """Average, median and 90th percentile (inclusive method), rounded to 0.1 s."""
    if not values:
        return Durations(avg=None, p50=None, p90=None, count=0)
    if len(values) == 1:
        only = round(values[0], 1)
        return Durations(avg=only, p50=only, p90=only, count=1)
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return Durations(
        avg=round(statistics.fmean(values), 1),
        p50=round(deciles[4], 1),
        p90=round(deciles[8], 1),
        count=len(values),
    )


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _conversations(
    session: Session, since: datetime, until: datetime
) -> list[tuple[datetime, bool]]:
    """(created_at, bot_resolved) for each web chat created in the window."""
    ticketed = exists().where(HandoffTicket.conversation_id == Conversation.conversation_id)
    cased = exists().where(Case.conversation_id == Conversation.conversation_id)
    rows = session.execute(
        select(
            Conversation.created_at,
            case((and_(~ticketed, ~cased), 1), else_=0),
        ).where(Conversation.created_at >= since, Conversation.created_at <= until)
    )
    return [(created, bool(flag)) for created, flag in rows]


def _claim_waits(
    session: Session, since: datetime, until: datetime
) -> list[tuple[int | None, float]]:
    """(tier claimed at, wait) per claim."""
    claims: list[tuple[datetime, str, int | None]] = []
    for at, details in session.execute(
        select(AuditLog.at, AuditLog.details).where(
            AuditLog.action == "ticket.claim", AuditLog.at >= since, AuditLog.at <= until
        )
    ):
        number = details.get("ticket_number") if isinstance(details, dict) else None
        tier = details.get("tier") if isinstance(details, dict) else None
        if isinstance(number, str):
            claims.append((at, number, tier if isinstance(tier, int) else None))
    entries: dict[str, tuple[datetime, datetime | None]] = {}
    for chunk in _chunks(sorted({number for _at, number, _tier in claims})):
        for number, created, escalated in session.execute(
            select(
                HandoffTicket.ticket_number, HandoffTicket.created_at, HandoffTicket.escalated_at
            ).where(HandoffTicket.ticket_number.in_(chunk))
        ):
            entries[number] = (created, escalated)
    waits: list[tuple[int | None, float]] = []
    for at, number, tier in claims:
        if number not in entries:
            continue
        created, escalated = entries[number]
        queued = escalated if escalated is not None and escalated <= at else created
        waits.append((tier, max(0.0, (at - queued).total_seconds())))
    return waits


def _per_day(stamps: Iterable[datetime]) -> Counter[date]:
    return Counter(stamp.astimezone(UTC).date() for stamp in stamps)


def _funnel(conversations: int, tiers: HandoffsByTier) -> list[FunnelStage]:
    return [
        FunnelStage(stage="bot", label="Conversations with the bot", count=conversations),
        FunnelStage(stage="associates", label="Handed to associates", count=tiers.tier_1),
        FunnelStage(stage="supervisors", label="Escalated to supervisors", count=tiers.tier_2),
        FunnelStage(stage="specialists", label="Referred to specialists", count=tiers.specialist),
    ]


def report(session: Session, now: datetime, days: int, tier: int | None = None) -> AnalyticsOut:
    since = window_start(now, days)
    of_tier = (HandoffTicket.tier == tier,) if tier is not None else ()
    conversations = _conversations(session, since, now)
    bot_resolved = [created for created, resolved in conversations if resolved]

    created_tickets: list[Any] = list(
        session.execute(
            select(HandoffTicket.created_at, HandoffTicket.tier, HandoffTicket.escalated_at).where(
                HandoffTicket.created_at >= since, HandoffTicket.created_at <= now
            )
        )
    )
    born_tier_2 = sum(1 for _c, tier, escalated in created_tickets if tier == 2 and not escalated)
    escalations = session.scalar(
        select(func.count())
        .select_from(HandoffTicket)
        .where(HandoffTicket.escalated_at >= since, HandoffTicket.escalated_at <= now)
    )
    specialist = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.team == SPECIALIST_TEAM, Case.created_at >= since, Case.created_at <= now)
    )
    resolved: list[Any] = list(
        session.execute(
            select(HandoffTicket.created_at, HandoffTicket.resolved_at).where(
                HandoffTicket.resolved_at >= since, HandoffTicket.resolved_at <= now, *of_tier
            )
        )
    )
    reason_count = func.count(HandoffTicket.id)
    reasons = session.execute(
        select(HandoffTicket.reason, reason_count)
        .where(HandoffTicket.created_at >= since, HandoffTicket.created_at <= now, *of_tier)
        .group_by(HandoffTicket.reason)
        .order_by(reason_count.desc(), HandoffTicket.reason)
        .limit(TOP_REASONS)
    )

    conv_days = _per_day(created for created, _resolved in conversations)
    bot_days = _per_day(bot_resolved)
    handoff_days = _per_day(created for created, _tier, _esc in created_tickets)
    resolved_days = _per_day(done for _created, done in resolved)
    first = since.date()
    daily = [
        DailyPoint(
            date=day,
            conversations=conv_days[day],
            bot_resolved=bot_days[day],
            handoffs=handoff_days[day],
            resolved=resolved_days[day],
        )
        for day in (first + timedelta(days=i) for i in range(days))
    ]
    total = len(conversations)
    claim_waits = _claim_waits(session, since, now)
    handoffs_by_tier = HandoffsByTier(
        tier_1=len(created_tickets) - born_tier_2,
        tier_2=born_tier_2 + int(escalations or 0),
        specialist=int(specialist or 0),
    )
    return AnalyticsOut(
        days=days,
        since=since,
        until=now,
        conversations=total,
        bot_resolved=len(bot_resolved),
        bot_resolution_share=round(len(bot_resolved) / total, 4) if total else None,
        tier=tier,
        handoffs_by_tier=handoffs_by_tier,
        wait_seconds=durations([w for t, w in claim_waits if tier is None or t == tier]),
        resolution_seconds=durations(
            [max(0.0, (done - created).total_seconds()) for created, done in resolved]
        ),
        top_reasons=[ReasonCount(reason=r, count=int(n)) for r, n in reasons],
        daily=daily,
        funnel=_funnel(total, handoffs_by_tier),
        wait_by_tier=[
            TierWait(tier=t, wait_seconds=durations([w for wt, w in claim_waits if wt == t]))
            for t in (1, 2)
        ],
        csat=csat_analytics.summary(session, since, now, tier),
    )
