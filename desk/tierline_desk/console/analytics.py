"""Console: support analytics for supervisors and admins (session cookie; read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..deps import AgentDep, SessionDep
from ..models import utcnow
from ..services import analytics as svc
from .schemas import AnalyticsOut

router = APIRouter(prefix="/console/api/analytics", tags=["console"])


@router.get("", response_model=AnalyticsOut)
def analytics(
    agent: AgentDep, session: SessionDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> AnalyticsOut:
    """The last ``days`` UTC calendar days, today included (see services/analytics.py)."""
    svc.check_role(agent)
    return svc.report(session, utcnow(), days)
