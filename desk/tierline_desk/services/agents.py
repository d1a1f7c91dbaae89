"""Agents (the humans of tiers 1-3), their passwords and their console sessions.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile);
the plain password is never stored or logged. A console session is a random 256-bit token in
an HttpOnly cookie; the database keeps only its SHA-256, the agent, an expiry and the
session's CSRF token.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..models import AGENT_ROLES, Agent, AgentSession, utcnow
from ..settings import get_settings
from . import audit

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MIN_PASSWORD_LENGTH = 8

_hasher = PasswordHasher()
# Verified against when the username is unknown, so both failures cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AgentError(ValueError):
    """A bad username, role, password or a duplicate (message is for people)."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_username(username: str) -> str:
    return username.strip().lower()


def create_agent(
    session: Session,
    username: str,
    password: str,
    *,
    role: str,
    display_name: str | None = None,
    actor: str | None = "cli",
) -> Agent:
    """Add an agent (not committed). Raises :class:`AgentError` with a clear message.

    Audited as ``agent.create`` by ``actor``; ``actor=None`` (demo seeding, like the order
    importer) writes no audit row.
    """
    name = normalise_username(username)
    if not USERNAME_RE.fullmatch(name):
        raise AgentError(
            f"invalid username {username!r}: 2-64 characters, lower-case letters, digits and "
            "'_.-', starting with a letter or digit"
        )
    if role not in AGENT_ROLES:
        raise AgentError(f"unknown role {role!r}: use one of {', '.join(AGENT_ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AgentError(f"password too short: at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(Agent.id).where(Agent.username == name)) is not None:
        raise AgentError(f"an agent named {name!r} already exists")
    agent = Agent(
        username=name,
        display_name=(display_name or name).strip() or name,
        role=role,
        password_hash=hash_password(password),
        active=True,
        created_at=utcnow(),
    )
    session.add(agent)
    session.flush()
    if actor is not None:
        audit.record(session, "agent.create", actor=actor, details={"username": name, "role": role})
    return agent


def authenticate(session: Session, username: str, password: str) -> Agent | None:
    """The active agent with this username and password, else None (same cost either way)."""
    agent = session.scalar(select(Agent).where(Agent.username == normalise_username(username)))
    if agent is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(agent.password_hash, password) or not agent.active:
        return None
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = hash_password(password)
    return agent


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    token: str  # goes in the cookie, never stored
    row: AgentSession


def start_session(session: Session, agent: Agent) -> NewSession:
    now = utcnow()
    # Expired sessions of anyone are garbage: drop them on the way.
    session.execute(delete(AgentSession).where(AgentSession.expires_at < now))
    token = secrets.token_urlsafe(32)
    row = AgentSession(
        token_hash=_token_hash(token),
        agent_id=agent.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(minutes=get_settings().console_session_minutes),
    )
    session.add(row)
    session.flush()
    return NewSession(token=token, row=row)


def session_for_token(session: Session, token: str) -> AgentSession | None:
    """The live session for a cookie token (None when unknown, expired or agent inactive)."""
    row = session.scalar(select(AgentSession).where(AgentSession.token_hash == _token_hash(token)))
    if row is None or row.expires_at <= utcnow() or not row.agent.active:
        return None
    return row


def end_session(session: Session, row: AgentSession) -> None:
    session.delete(row)


@dataclass(frozen=True)
class DemoAgent:
    username: str
    role: str
    display_name: str

    @property
    def password(self) -> str:
        return f"{self.username}-demo-pass"


DEMO_AGENTS = (
    DemoAgent("alex", "associate", "Alex Rivera"),
    DemoAgent("sam.lead", "supervisor", "Sam Okafor"),
    DemoAgent("jordan.ecr", "specialist", "Jordan Lee"),
    DemoAgent("admin", "admin", "Desk Admin"),
)


def seed_demo_agents(session: Session) -> list[str]:
    """Create the demo agents that do not exist yet (committed); returns the ones added."""
    added = []
    for demo in DEMO_AGENTS:
        if session.scalar(select(Agent.id).where(Agent.username == demo.username)) is None:
            create_agent(
                session,
                demo.username,
                demo.password,
                role=demo.role,
                display_name=demo.display_name,
                actor=None,
            )
            added.append(demo.username)
    session.commit()
    return added
