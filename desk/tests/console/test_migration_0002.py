from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from tierline_desk.db import get_engine
from tierline_desk.migrate import alembic_config, upgrade_head

_INSERT = text(
    "INSERT INTO handoff_tickets (ticket_number, conversation_id, tier, status, reason, customer,"
    " bot_attempts, recent_messages, created_at) VALUES (:n, 'conv-1', 1, :s, 'r', '{}', '[]',"
    " '[]', '2026-11-20 10:00:00')"
)


def test_0001_to_head_keeps_tickets_and_backfills_queued_at(empty_db: str) -> None:
    command.upgrade(alembic_config(), "0001")
    with get_engine().begin() as conn:
        conn.execute(_INSERT, {"n": "T-000001", "s": "waiting"})
    upgrade_head()
    cols = {c["name"] for c in inspect(get_engine()).get_columns("handoff_tickets")}
    assert {"claimed_by", "claimed_at", "queued_at", "escalation_note"} <= cols
    with get_engine().connect() as conn:
        queued = conn.execute(text("SELECT queued_at FROM handoff_tickets")).scalar_one()
    assert str(queued).startswith("2026-11-20 10:00:00")


def test_one_open_ticket_per_conversation_covers_claimed(empty_db: str) -> None:
    upgrade_head()
    with get_engine().begin() as conn:
        conn.execute(_INSERT, {"n": "T-000001", "s": "claimed"})
    with pytest.raises(IntegrityError), get_engine().begin() as conn:
        conn.execute(_INSERT, {"n": "T-000002", "s": "waiting"})
    with get_engine().begin() as conn:  # closed tickets do not count
        conn.execute(_INSERT, {"n": "T-000003", "s": "resolved"})


def test_downgrade_to_0001_and_back(empty_db: str) -> None:
    upgrade_head()
    command.downgrade(alembic_config(), "0001")
    assert "agents" not in inspect(get_engine()).get_table_names()
    upgrade_head()
    assert "agents" in inspect(get_engine()).get_table_names()
