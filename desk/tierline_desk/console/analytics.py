"""Console: support analytics for supervisors and admins (session cookie; read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..deps import AgentDep, SessionDep
from ..models import utcnow
from ..services import analytics as svc
from ..services import analytics_export
from .schemas import AnalyticsOut

router = APIRouter(prefix="/console/api/analytics", tags=["console"])

DaysQuery = Annotated[int, Query(ge=1, le=365)]
# 1 associates, 2 supervisors, 3 specialists; none: every tier (services/analytics.py).
TierQuery = Annotated[int | None, Query(ge=1, le=3)]


@router.get("", response_model=AnalyticsOut)
def analytics(
    agent: AgentDep, session: SessionDep, days: DaysQuery = 30, tier: TierQuery = None
) -> AnalyticsOut:
    """The last ``days`` UTC calendar days, today included (see services/analytics.py)."""
    svc.check_role(agent)
    return svc.report(session, utcnow(), days, tier)


@router.get(
    "/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the figures as CSV"}},
)
def export_csv(
    agent: AgentDep, session: SessionDep, days: DaysQuery = 30, tier: TierQuery = None
) -> Response:
    """The same figures as a CSV download, one row per value (services/analytics_export.py)."""
    svc.check_role(agent)
    report = svc.report(session, utcnow(), days, tier)
    return Response(
        analytics_export.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{analytics_export.filename(report)}"',
            "Cache-Control": "no-store",
        },
    )
