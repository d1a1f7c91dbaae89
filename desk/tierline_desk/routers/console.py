"""Console login/logout: a session cookie plus a session-bound CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..agent_auth import SESSION_COOKIE, ConsoleSessionDep, CsrfSessionDep, mark_offline
from ..console_schemas import LoginIn, SessionOut
from ..db import SessionDep
from ..errors import ApiError
from ..models import AgentSession
from ..services import agents, audit
from ..services.agent_actions import agent_out
from ..settings import get_settings

router = APIRouter(prefix="/console/api", tags=["console"])


def _session_out(row: AgentSession) -> SessionOut:
    return SessionOut(
        agent=agent_out(row.agent), csrf_token=row.csrf_token, expires_at=row.expires_at
    )


@router.post("/login", response_model=SessionOut)
def login(body: LoginIn, response: Response, session: SessionDep) -> SessionOut:
    agent = agents.authenticate(session, body.username, body.password)
    if agent is None:
        raise ApiError(401, "invalid_credentials", "Wrong username or password.")
    new = agents.start_session(session, agent)
    audit.record(session, "agent.login", actor=agent.username, details={"role": agent.role})
    session.commit()
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        new.token,
        max_age=settings.console_session_minutes * 60,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.console_cookie_secure,
    )
    return _session_out(new.row)


@router.get("/me", response_model=SessionOut)
def me(row: ConsoleSessionDep) -> SessionOut:
    """Who is logged in, and the CSRF token to send with state-changing calls."""
    return _session_out(row)


@router.post("/logout", status_code=204, response_class=Response)
def logout(row: CsrfSessionDep, session: SessionDep) -> Response:
    agents.end_session(session, row)
    mark_offline(row.agent)  # no longer online for routing
    audit.record(session, "agent.logout", actor=row.agent.username)
    session.commit()
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings().console_cookie_secure,
    )
    return response
