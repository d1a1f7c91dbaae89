"""Helpers for the agent console tests: one TestClient (cookie jar) per logged-in agent, tickets
and agents made in the database."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tierline_desk.api.schemas import HandoffRequest
from tierline_desk.console.desk_tools_schemas import MacroIn
from tierline_desk.models import MACRO_ROLES, Agent, Callback, Case, HandoffTicket, Order, utcnow
from tierline_desk.services import agent_actions, chat, handoffs, macros
from tierline_desk.settings import DESK_DIR, get_settings

BIG_ORDER = "117-3141592-6535897"  # delivered, 1928.99, no refunds (demo data)
LoginFn = Callable[[str], "AgentClient"]
TicketFn = Callable[..., HandoffTicket]
PASSWORDS = {u: f"{u}-demo-pass" for u in ("alex", "sam.lead", "jordan.ecr", "admin")}
# The demo agent of each role (seed_demo_agents).
DEMO_AGENT = {"associate": "alex", "supervisor": "sam.lead", "specialist": "jordan.ecr"}
# The shipped policy's money limits (desk/authority.toml): role, action, the most one issue may be.
SHIPPED_LIMITS = [
    ("associate", "refund", "200.00"),
    ("associate", "certificate", "25.00"),
    ("supervisor", "refund", "2000.00"),
    ("supervisor", "certificate", "100.00"),
]


@dataclass
class AgentClient:
    http: TestClient
    csrf: str

    def post(self, url: str, json: Any = None, key: str | None = None, **kw: Any) -> Any:
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.http.post(url, json=json, headers=headers, **kw)

    def get(self, url: str) -> Any:
        return self.http.get(url)


@pytest.fixture
def login(app: FastAPI) -> Iterator[Callable[[str], AgentClient]]:
    clients: list[TestClient] = []

    def _login(username: str) -> AgentClient:
        http = TestClient(app)
        clients.append(http)
        resp = http.post(
            "/console/api/login", json={"username": username, "password": PASSWORDS[username]}
        )
        assert resp.status_code == 200, resp.text
        return AgentClient(http, resp.json()["csrf_token"])

    yield _login
    for c in clients:
        c.close()


def ticket_url(ticket: HandoffTicket, action: str) -> str:
    return f"/console/api/tickets/{ticket.ticket_number}/{action}"


def claimed_ticket(
    login: LoginFn, make_ticket: TicketFn, who: str = "alex", **ticket: Any
) -> tuple[AgentClient, HandoffTicket]:
    """A new ticket (``make_ticket(**ticket)``), claimed by ``who`` through the console."""
    agent = login(who)
    made = make_ticket(**ticket)
    resp = agent.post(ticket_url(made, "claim"))
    assert resp.status_code == 200, resp.text
    return agent, made


class AlexTicket(NamedTuple):
    """A new tier-1 ticket on :data:`BIG_ORDER`, claimed by Alex (an associate) through the
    console, and Alex's client."""

    alex: AgentClient
    ticket: HandoffTicket


@pytest.fixture
def alex_ticket(login: LoginFn, make_ticket: TicketFn) -> AlexTicket:
    return AlexTicket(*claimed_ticket(login, make_ticket))


def priyas_handoff(conversation_id: str, tier: int, order_number: str | None) -> HandoffRequest:
    """The bot's handoff of Priya, whose package arrived damaged."""
    return HandoffRequest.model_validate(
        {
            "conversation_id": conversation_id,
            "tier": tier,
            "reason": "Package arrived damaged",
            "customer": {"email": "priya.n@example.com", "name": "Priya"},
            "order_number": order_number,
            "bot_attempts": ["looked up the order"],
            "recent_messages": [{"sender": "user", "text": "It arrived broken"}],
        }
    )


@pytest.fixture
def make_ticket(session: Session) -> Callable[..., HandoffTicket]:
    counter = iter(range(1, 1000))

    def _make(tier: int = 1, order_number: str | None = BIG_ORDER) -> HandoffTicket:
        request = priyas_handoff(f"conv-console-{next(counter)}", tier, order_number)
        ticket, _ = handoffs.create(session, request, "bot")
        session.commit()
        return ticket

    return _make


@dataclass
class World:
    session: Session
    keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def agent(self, username: str) -> Agent:
        agent = self.session.scalar(select(Agent).where(Agent.username == username))
        assert agent is not None
        return agent

    def ticket(self, claimer: str | None, tier: int = 1) -> str:
        """A handoff ticket on a real web conversation, claimed by ``claimer``."""
        conversation, _ = chat.create_conversation(self.session, None)
        request = priyas_handoff(conversation.conversation_id, tier, BIG_ORDER)
        ticket, _ = handoffs.create(self.session, request, "bot")
        self.session.commit()
        if claimer is not None:
            agent_actions.claim(self.session, self.agent(claimer), ticket)
            self.session.commit()
        return ticket.ticket_number

    def case(self, team: str) -> Case:
        n = next(self.keys)
        case = Case(
            case_number=f"CASE-8{n:05d}",
            kind="trade_in_credit" if team != "associates" else "complaint",
            team=team,
            status="open",
            response_channel="email",
            conversation_id=f"conv-rbac-{n}",
            order_number="118-2718281-8284590",
            customer={"email": "priya.n@example.com", "name": "Priya"},
            description="Trade-in credit never arrived",
            created_at=utcnow() - timedelta(hours=1),
        )
        self.session.add(case)
        self.session.commit()
        return case

    def callback(self) -> str:
        n = next(self.keys)
        now = utcnow()
        cb = Callback(
            callback_id=f"CB-RBAC{n:04d}",
            conversation_id=f"conv-rbac-cb-{n}",
            phone="+14155550123",
            window_start=now - timedelta(minutes=5),
            window_end=now + timedelta(minutes=25),
            reason="Wants to talk about a late refund",
            email="maya.chen@example.com",
            order_number="112-4839201-5573910",
            status="scheduled",
            attempts=0,
            created_at=now - timedelta(hours=1),
        )
        self.session.add(cb)
        self.session.commit()
        return cb.callback_id

    def macro(self) -> int:
        """A macro for every writing role (made as the demo admin would)."""
        made = macros.create(
            self.session,
            self.agent("admin"),
            MacroIn(title="Greeting", body="Hi {customer_first_name}", roles=list(MACRO_ROLES)),
        )
        self.session.commit()
        return made.id

    def sku(self) -> str:
        order = self.session.get(Order, BIG_ORDER)
        assert order is not None
        return order.items[0].sku


def put_online(session: Session, *usernames: str, seconds_ago: int = 0) -> None:
    """Agents whose console was last seen ``seconds_ago`` seconds ago."""
    for username in usernames:
        agent = session.scalars(select(Agent).where(Agent.username == username)).one()
        agent.last_seen_at = datetime.now(UTC) - timedelta(seconds=seconds_ago)
    session.commit()


@pytest.fixture
def daily_cap_of_30(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run on the shipped authority file with its daily cap ($1,000) lowered to $30 (name the
    fixture after the ones that make the app: it changes the settings they read)."""
    shipped = (DESK_DIR / "authority.toml").read_text()
    small = tmp_path / "authority.toml"
    small.write_text(shipped.replace('daily = "1000.00"', 'daily = "30.00"', 1))
    monkeypatch.setenv("AUTHORITY_FILE", str(small))
    get_settings.cache_clear()
