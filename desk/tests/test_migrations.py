from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select

from tierline_desk.db import get_engine, get_session_factory
from tierline_desk.importer import seed_demo
from tierline_desk.migrate import alembic_config, upgrade_head
from tierline_desk.models import Base, Customer, Order, OrderItem, PromoCode, Refund, Return

EXPECTED_TABLES = {
    "customers",
    "orders",
    "order_items",
    "refunds",
    "returns",
    "promo_codes",
    "callbacks",
    "handoff_tickets",
    "cases",
    "transcript_requests",
    "audit_log",
    # 0002: the human tiers
    "agents",
    "agent_sessions",
    "certificates",
    "reships",
    "idempotency_keys",
    # 0003: web chat, case emails, route reports
    "conversations",
    "chat_messages",
    "case_messages",
    "delivery_reports",
    # 0005: supervisors' approvals of more authority on one ticket
    "authority_grants",
    # 0007: macros, internal notes and their @mention notifications
    "macros",
    "internal_notes",
    "agent_notifications",
    # 0010: files shoppers attach in the web chat
    "attachments",
    "attachment_blobs",
    "attachment_order_lines",
    # 0008: per-tier auto-assignment, SLA breaches
    "tier_settings",
    "sla_breaches",
    # 0009: the shoppers' satisfaction answers
    "csat_responses",
    # 0011: email cases both ways
    "inbound_mails",
    "mail_attachments",
}


def test_head_creates_every_table_on_an_empty_database(empty_db: str) -> None:
    assert inspect(get_engine()).get_table_names() == []
    upgrade_head()
    tables = set(inspect(get_engine()).get_table_names())
    assert tables == EXPECTED_TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == EXPECTED_TABLES


def test_migrations_match_the_models(empty_db: str) -> None:
    upgrade_head()
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_upgrade_is_repeatable(empty_db: str) -> None:
    upgrade_head()
    upgrade_head()
    with get_engine().connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    assert current == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert current is not None and current >= "0002"


def _counts() -> dict[str, int]:
    with get_session_factory()() as s:
        return {
            m.__tablename__: int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Customer, Order, OrderItem, PromoCode, Refund, Return)
        }


def test_seed_demo_twice_changes_nothing(empty_db: str) -> None:
    upgrade_head()
    with get_session_factory()() as s:
        first = seed_demo(s)
    after_first = _counts()
    with get_session_factory()() as s:
        second = seed_demo(s)
    assert first.orders_added >= 42 and first.customers_added == 5
    assert first.promo_codes_added == 5
    assert second.orders_added == second.customers_added == second.promo_codes_added == 0
    assert second.orders_skipped == first.orders_added
    assert _counts() == after_first
    assert after_first["orders"] >= 42
