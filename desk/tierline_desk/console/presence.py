"""The console's heartbeat: agents with the console open count as online for routing."""

from __future__ import annotations

from fastapi import APIRouter

from ..deps import SessionDep, WritingAgentDep
from ..services import routing
from .schemas import PresenceOut

router = APIRouter(prefix="/console/api", tags=["console"])


@router.post("/heartbeat", response_model=PresenceOut)
def heartbeat(agent: WritingAgentDep, session: SessionDep) -> PresenceOut:
    """Keep the agent online (every authenticated call does; this one also says how many
    agents are online per tier). Call it more often than AGENT_ONLINE_SECONDS."""
    online = {str(tier): routing.agents_online(session, tier) for tier in routing.ROLES_BY_TIER}
    return PresenceOut(agent=agent.username, online=online)
