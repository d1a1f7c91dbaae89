"""Console: SLA breaches for supervisors (the notice, until acknowledged) and SLA attainment
per tier and per agent (services/sla.py, docs/sla.md)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from ..deps import AgentDep, SessionDep, WritingAgentDep
from ..errors import ApiError
from ..models import SlaBreach, utcnow
from ..services import agent_actions, sla
from ..services.analytics import window_start
from ..services.console_access import require_role
from .schemas import (
    SlaAgentOut,
    SlaAttainmentOut,
    SlaBreachOut,
    SlaDay,
    SlaTally,
    SlaTierOut,
)

router = APIRouter(prefix="/console/api", tags=["console"])


def _breach_out(row: SlaBreach) -> SlaBreachOut:
    return SlaBreachOut.model_validate(row, from_attributes=True)


@router.get("/sla/breaches", response_model=list[SlaBreachOut])
def breaches(agent: AgentDep, session: SessionDep) -> list[SlaBreachOut]:
    """Missed SLA targets of the supervisor's tiers nobody acknowledged yet, newest first."""
    require_role(agent, ("supervisor",), "see SLA breaches")
    return [_breach_out(b) for b in sla.open_breaches(session, agent_actions.tiers_for(agent))]


@router.post("/sla/breaches/{breach_id}/acknowledge", response_model=SlaBreachOut)
def acknowledge(breach_id: int, agent: WritingAgentDep, session: SessionDep) -> SlaBreachOut:
    """Mark the notice seen (audited ``sla.acknowledge``, once)."""
    require_role(agent, ("supervisor",), "acknowledge SLA breaches")
    row = sla.acknowledge(session, breach_id, agent.username, utcnow())
    if row is None:
        raise ApiError(404, "breach_not_found", f"No SLA breach {breach_id}.")
    session.commit()
    return _breach_out(row)


def _tally(t: sla.Tally) -> SlaTally:
    return SlaTally(met=t.met, total=t.total, percent=t.percent)


def _daily(s: sla.Series) -> list[SlaDay]:
    return [
        SlaDay(date=date.fromisoformat(day), first_reply=_tally(f), resolution=_tally(r))
        for day, (f, r) in sorted(s.daily.items())
    ]


@router.get("/analytics/sla", response_model=SlaAttainmentOut)
def attainment(
    agent: AgentDep, session: SessionDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> SlaAttainmentOut:
    """SLA attainment of tickets created in the last ``days`` UTC days, per tier and agent."""
    require_role(agent, ("supervisor", "admin"), "see analytics")
    now = utcnow()
    since = window_start(now, days)
    by_tier, by_agent = sla.attainment(session, since, now)
    targets = sla.get_targets()
    return SlaAttainmentOut(
        days=days,
        since=since,
        tiers=[
            SlaTierOut(
                tier=tier,
                first_reply_minutes=int(targets[tier].first_reply.total_seconds() // 60),
                resolution_minutes=int(targets[tier].resolution.total_seconds() // 60),
                first_reply=_tally(series.first_reply),
                resolution=_tally(series.resolution),
                daily=_daily(series),
            )
            for tier, series in sorted(by_tier.items())
        ],
        agents=[
            SlaAgentOut(
                agent=name,
                first_reply=_tally(series.first_reply),
                resolution=_tally(series.resolution),
                daily=_daily(series),
            )
            for name, series in sorted(by_agent.items())
        ],
    )
