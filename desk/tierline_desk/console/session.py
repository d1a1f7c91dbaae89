"""Console login/logout: a session cookie plus a session-bound CSRF token."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ..agent_auth import SESSION_COOKIE, mark_offline
from ..cookies import delete_sign_in_cookie, set_sign_in_cookie
from ..deps import ConsoleSessionDep, CsrfSessionDep, SessionDep
from ..errors import ApiError
from ..models import AgentSession
from ..services import agents, audit
from ..services.agent_actions import agent_out
from ..services.login_throttle import LoginThrottle
from ..services.rate_limits import retry_after_header
from ..settings import get_settings
from .schemas import LoginIn, SessionOut

router = APIRouter(prefix="/console/api", tags=["console"])


def _session_out(row: AgentSession) -> SessionOut:
    return SessionOut(
        agent=agent_out(row.agent), csrf_token=row.csrf_token, expires_at=row.expires_at
    )


def _throttle(request: Request) -> LoginThrottle:
    throttle = request.app.state.login_throttle
    assert isinstance(throttle, LoginThrottle)
    return throttle


@router.post("/login", response_model=SessionOut)
def login(body: LoginIn, request: Request, response: Response, session: SessionDep) -> SessionOut:
    address = request.client.host if request.client else "unknown"
    username = agents.normalise_username(body.username)
    throttle = _throttle(request)
    # Before the password is checked: a refused attempt costs no Argon2 verify.
    refused = throttle.attempt(address, username)
    if refused is not None:
        retry_after = retry_after_header(refused.wait)
        where = "from your network" if refused.scope == "address" else "for this username"
        raise ApiError(
            429,
            "too_many_attempts",
            f"Too many sign-in attempts {where}. Please wait {retry_after} seconds and try "
            "again. If you have forgotten your password, ask an administrator.",
            headers={"Retry-After": retry_after},
            retry_after=int(retry_after),
        )
    agent = agents.authenticate(session, body.username, body.password)
    if agent is None:
        raise ApiError(401, "invalid_credentials", "Wrong username or password.")
    throttle.succeeded(address, username)
    new = agents.start_session(session, agent)
    audit.record_by_agent(session, agent, "agent.login", details={})
    session.commit()
    set_sign_in_cookie(
        response, SESSION_COOKIE, new.token, max_age=get_settings().console_session_minutes * 60
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
    delete_sign_in_cookie(response, SESSION_COOKIE)
    return response
