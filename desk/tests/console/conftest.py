"""Helpers for the agent console tests: one TestClient (cookie jar) per logged-in agent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tierline_desk.api.schemas import HandoffRequest
from tierline_desk.models import HandoffTicket
from tierline_desk.services import handoffs

BIG_ORDER = "117-3141592-6535897"  # delivered, 1928.99, no refunds (demo data)
LoginFn = Callable[[str], "AgentClient"]
TicketFn = Callable[..., HandoffTicket]
PASSWORDS = {u: f"{u}-demo-pass" for u in ("alex", "sam.lead", "jordan.ecr", "admin")}


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
def app(db: str) -> FastAPI:
    from tierline_desk.main import create_app

    return create_app()


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


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


@pytest.fixture
def make_ticket(session: Session) -> Callable[..., HandoffTicket]:
    counter = iter(range(1, 1000))

    def _make(tier: int = 1, order_number: str | None = BIG_ORDER) -> HandoffTicket:
        req = HandoffRequest.model_validate(
            {
                "conversation_id": f"conv-console-{next(counter)}",
                "tier": tier,
                "reason": "Package arrived damaged",
                "customer": {"email": "priya.n@example.com", "name": "Priya"},
                "order_number": order_number,
                "bot_attempts": ["looked up the order"],
                "recent_messages": [{"sender": "user", "text": "It arrived broken"}],
            }
        )
        ticket, _ = handoffs.create(session, req, "bot")
        session.commit()
        return ticket

    return _make
