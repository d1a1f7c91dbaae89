"""Console authentication: the session cookie, the CSRF check and role guards.

Every ``/console/api/*`` call except login needs the session cookie; every state-changing call
(POST) also needs the session's CSRF token in ``X-CSRF-Token`` (session-bound: the server
compares it, in constant time, with the token stored for that session).

Every authenticated call also counts as a heartbeat: it marks the agent online for routing
(``Agent.last_seen_at``, see services/routing.py), writing at most every few seconds.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Cookie, Depends, Header
from sqlalchemy.orm import Session

from .db import get_session
from .errors import ApiError
from .models import Agent, AgentSession, utcnow
from .services import agents
from .settings import get_settings

SESSION_COOKIE = "tierline_console"
CSRF_HEADER = "X-CSRF-Token"
# last_seen_at is rewritten at most this often (and at least twice per AGENT_ONLINE_SECONDS).
HEARTBEAT_WRITE_SECONDS = 15


def heartbeat_interval() -> timedelta:
    return timedelta(seconds=min(HEARTBEAT_WRITE_SECONDS, get_settings().agent_online_seconds / 2))


def mark_seen(session: Session, agent: Agent, now: datetime | None = None) -> bool:
    """Record that the agent's console is open (committed); skipped when recently recorded.

    True when it wrote.
    """
    now = now or utcnow()
    if agent.last_seen_at is not None and now - agent.last_seen_at < heartbeat_interval():
        return False
    agent.last_seen_at = now
    session.commit()
    return True


def mark_offline(agent: Agent) -> None:
    """The agent logged out: no longer online for routing (the caller commits)."""
    agent.last_seen_at = None


def current_session(
    session: Annotated[Session, Depends(get_session)],
    tierline_console: Annotated[str | None, Cookie()] = None,
) -> AgentSession:
    row = agents.session_for_token(session, tierline_console) if tierline_console else None
    if row is None:
        raise ApiError(401, "not_logged_in", "Log in to the console first.")
    mark_seen(session, row.agent)
    return row


def require_csrf(
    row: Annotated[AgentSession, Depends(current_session)],
    x_csrf_token: Annotated[str | None, Header()] = None,
) -> AgentSession:
    if not x_csrf_token or not secrets.compare_digest(
        x_csrf_token.encode(), row.csrf_token.encode()
    ):
        raise ApiError(
            403,
            "csrf_failed",
            f"Missing or wrong {CSRF_HEADER} header: send the csrf_token from login or /me.",
        )
    return row


def current_agent(row: Annotated[AgentSession, Depends(current_session)]) -> Agent:
    return row.agent


def csrf_agent(row: Annotated[AgentSession, Depends(require_csrf)]) -> Agent:
    return row.agent
