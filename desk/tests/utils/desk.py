"""What most desk tests share: the test secrets, the demo customers, and small assertions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from tierline_desk.models import AuditLog

API_TOKEN = "test-desk-token-0123456789"
RASA_URL = "http://rasa.test:5005"
RASA_TOKEN = "rasa-secret-token"
MAYA = {"email": "maya.chen@example.com"}
JORDAN = {"email": "jordan.alvarez@example.com"}
PRIYA = {"email": "priya.n@example.com"}
SAM = {"email": "sam.oconnor@example.com"}
LEE = {"email": "lee.wong@example.com"}
# An address Maya moves to (not the demo data's).
MAYA_NEW_HOME = {
    "name": "Maya Chen",
    "line1": "500 Howard St",
    "line2": "Apt 4",
    "city": "San Francisco",
    "region": "CA",
    "postal_code": "94105",
    "country": "US",
}


def unset_env(monkeypatch: pytest.MonkeyPatch, names: Iterable[str]) -> None:
    """The settings ``names`` not in the environment, for this test (their defaults apply)."""
    for name in names:
        monkeypatch.delenv(name, raising=False)


def fresh_rows[Row](session: Session, statement: Select[tuple[Row]]) -> list[Row]:
    """What the database holds now: the session's cached objects are expired first, so
    changes the app made through its own sessions show."""
    session.expire_all()
    return list(session.scalars(statement))


def audit_rows(session: Session, action: str | None = None) -> list[AuditLog]:
    stmt = select(AuditLog).order_by(AuditLog.id)
    if action:
        stmt = stmt.where(AuditLog.action == action)
    return fresh_rows(session, stmt)


def code_of(resp: Any) -> str:
    detail = resp.json()["detail"]
    assert set(detail) >= {"code", "message"}, detail
    return str(detail["code"])


def handoff(client: TestClient, conversation_id: str, tier: int = 1, **extra: Any) -> Any:
    """The bot asks for a person (``POST /api/v1/handoffs``); ``extra`` adds or overrides fields."""
    return client.post(
        "/api/v1/handoffs",
        json={
            "conversation_id": conversation_id,
            "tier": tier,
            "reason": "Shopper asked for a human",
            "customer": {"id": "C-1001", "email": "maya.chen@example.com", "name": "Maya Chen"},
            "bot_attempts": ["looked up the order"],
            **extra,
        },
    )
