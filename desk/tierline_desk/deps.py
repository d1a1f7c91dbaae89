"""The FastAPI dependency types the routers declare, all in one place.

The mechanisms stay with their concern: the database session in db.py, the bot's bearer token
and actor header in auth.py, the console's session cookie and CSRF check in agent_auth.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from .agent_auth import csrf_agent, current_agent, current_session, require_csrf
from .auth import get_actor
from .db import get_session
from .models import Agent, AgentSession

SessionDep = Annotated[Session, Depends(get_session)]
"""A database session for the request, closed after it."""

ActorDep = Annotated[str, Depends(get_actor)]
"""Who acts on the bot's door, for the audit log (``X-Desk-Actor``, else ``bot``)."""

ConsoleSessionDep = Annotated[AgentSession, Depends(current_session)]
"""The console session the cookie names (401 without one)."""
CsrfSessionDep = Annotated[AgentSession, Depends(require_csrf)]
"""The console session, its CSRF token checked (403 when wrong)."""

AgentDep = Annotated[Agent, Depends(current_agent)]
"""The logged-in agent (read-only calls)."""
WritingAgentDep = Annotated[Agent, Depends(csrf_agent)]
"""The logged-in agent, CSRF token checked (state-changing calls)."""
