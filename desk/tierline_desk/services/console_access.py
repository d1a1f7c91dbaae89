"""Which console roles may use which follow-up screen (callbacks, cases, analytics, outbox)."""

from __future__ import annotations

from collections.abc import Collection

from ..errors import ApiError
from ..models import Agent


def require_role(agent: Agent, allowed: Collection[str], what: str) -> None:
    """403 ``forbidden_role`` (extra ``role``, ``allowed``) unless the agent's role is allowed."""
    if agent.role not in allowed:
        raise ApiError(
            403,
            "forbidden_role",
            f"The {agent.role} role cannot {what}.",
            role=agent.role,
            allowed=sorted(allowed),
        )
