"""The analytics' satisfaction section: answers given in the window (by ``created_at``),
optionally of one tier, as totals, by tier, by agent, by reason and per UTC day.

``average`` is the mean score rounded to 0.01; ``satisfied_share`` the share of 4s and 5s
(0-1, rounded to 0.0001); both None without answers. ``by_reason`` keeps the 8 reasons with
the most answers; ``by_agent`` every agent who was rated, the bot's chats under "Bot".
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..console.schemas import CsatDay, CsatGroup, CsatSummary
from ..models import Agent, CsatResponse
from ..settings import get_settings
from .csat import TIER_LABELS

TOP_REASONS = 8


class _Answer:
    __slots__ = ("agent", "at", "reason", "score", "tier")

    def __init__(self, at: datetime, score: int, tier: int, reason: str, agent: str) -> None:
        self.at, self.score, self.tier, self.reason, self.agent = at, score, tier, reason, agent


def _average(scores: Sequence[int]) -> float | None:
    return round(statistics.fmean(scores), 2) if scores else None


def _satisfied(scores: Sequence[int]) -> float | None:
    return round(sum(1 for s in scores if s >= 4) / len(scores), 4) if scores else None


def _groups(
    answers: Sequence[_Answer], key: Callable[[_Answer], str], label: Callable[[str], str]
) -> list[CsatGroup]:
    scores: dict[str, list[int]] = defaultdict(list)
    for a in answers:
        scores[key(a)].append(a.score)
    return [
        CsatGroup(
            key=k,
            label=label(k),
            responses=len(v),
            average=_average(v),
            satisfied_share=_satisfied(v),
        )
        for k, v in sorted(scores.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]


def _answers(session: Session, since: datetime, until: datetime, tier: int | None) -> list[_Answer]:
    query = (
        select(
            CsatResponse.created_at,
            CsatResponse.score,
            CsatResponse.tier,
            CsatResponse.reason,
            Agent.display_name,
        )
        .outerjoin(Agent, Agent.id == CsatResponse.agent_id)
        .where(CsatResponse.created_at >= since, CsatResponse.created_at <= until)
    )
    if tier is not None:
        query = query.where(CsatResponse.tier == tier)
    return [
        _Answer(at, score, row_tier, reason, name or "Bot")
        for at, score, row_tier, reason, name in session.execute(query)
    ]


def summary(session: Session, since: datetime, until: datetime, tier: int | None) -> CsatSummary:
    answers = _answers(session, since, until, tier)
    scores = [a.score for a in answers]
    counted = Counter(scores)
    by_day: dict[date, list[int]] = defaultdict(list)
    for a in answers:
        by_day[a.at.astimezone(UTC).date()].append(a.score)
    days = (until.astimezone(UTC).date() - since.astimezone(UTC).date()).days + 1
    first = since.astimezone(UTC).date()
    return CsatSummary(
        responses=len(scores),
        average=_average(scores),
        satisfied_share=_satisfied(scores),
        low_scores=sum(1 for s in scores if s <= get_settings().csat_low_score),
        scores=[counted[n] for n in range(1, 6)],
        by_tier=_groups(
            answers, lambda a: str(a.tier), lambda k: TIER_LABELS.get(int(k), f"Tier {k}")
        ),
        by_agent=_groups(answers, lambda a: a.agent, lambda k: k),
        by_reason=_groups(answers, lambda a: a.reason, lambda k: k)[:TOP_REASONS],
        daily=[
            CsatDay(date=d, responses=len(by_day[d]), average=_average(by_day[d]))
            for d in (first + timedelta(days=i) for i in range(days))
        ],
    )
