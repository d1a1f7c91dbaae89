"""0005: agent refunds issued before budgets existed are attributed from the audit log."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import inspect, text

from tests.utils.old_schema import insert_customer_and_order
from tierline_desk.db import get_engine
from tierline_desk.migrate import alembic_config, upgrade_head


def test_0004_to_head_attributes_earlier_agent_refunds(empty_db: str) -> None:
    command.upgrade(alembic_config(), "0004")
    details = {"ticket_number": "T-000007", "role": "associate", "refund_id": "RF-OLD00001"}
    with get_engine().begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agents (username, display_name, role, password_hash, active, "
                "created_at) VALUES ('alex', 'Alex', 'associate', 'x', :active, "
                "'2026-11-20 10:00:00')"
            ),
            {"active": True},  # a boolean on PostgreSQL, not the integer SQLite accepts
        )
        insert_customer_and_order(conn, "delivered")
        for refund_id in ("RF-OLD00001", "RF-BOT00001"):
            conn.execute(
                text(
                    "INSERT INTO refunds (refund_id, order_number, amount, status, method, "
                    "created_at) VALUES (:r, '111-0000000-0000001', 150, 'pending', 'card', "
                    "'2026-11-20 10:00:00')"
                ),
                {"r": refund_id},
            )
        conn.execute(
            text(
                "INSERT INTO audit_log (at, actor, action, order_number, details) VALUES "
                "('2026-11-20 10:00:00', 'alex', 'agent.refund', '111-0000000-0000001', :d)"
            ),
            {"d": json.dumps(details)},
        )
    upgrade_head()
    assert "authority_grants" in inspect(get_engine()).get_table_names()
    with get_engine().connect() as conn:
        rows = conn.execute(
            text(
                "SELECT r.refund_id, a.username, r.ticket_number FROM refunds r "
                "LEFT JOIN agents a ON a.id = r.issued_by ORDER BY r.refund_id"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("RF-BOT00001", None, None),  # the bot's refund is no agent's
        ("RF-OLD00001", "alex", "T-000007"),
    ]
    command.downgrade(alembic_config(), "0004")
    assert "authority_grants" not in inspect(get_engine()).get_table_names()
