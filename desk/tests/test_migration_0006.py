"""0006: the store's own ids on the index rows (``store_ref``) and ``orders.synced_at``."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect, text

from tests.utils.old_schema import insert_customer_and_order
from tierline_desk.db import get_engine
from tierline_desk.migrate import alembic_config, upgrade_head

INDEXED = ("customers", "orders", "refunds", "returns", "reships", "certificates", "promo_codes")


def _columns(table: str) -> dict[str, dict[str, object]]:
    return {c["name"]: dict(c) for c in inspect(get_engine()).get_columns(table)}


def _indexes(table: str) -> dict[str, list[str | None]]:
    return {
        str(i["name"]): list(i["column_names"]) for i in inspect(get_engine()).get_indexes(table)
    }


def _insert_0005_rows() -> None:
    with get_engine().begin() as conn:
        insert_customer_and_order(conn, "processing")
        conn.execute(
            text(
                "INSERT INTO refunds (refund_id, order_number, amount, status, method, "
                "created_at) VALUES ('RF-1', '111-0000000-0000001', 10, 'pending', 'card', "
                "'2026-11-20 10:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO promo_codes (code, description, free_shipping) "
                "VALUES ('SAVE', 'save', :free)"
            ),
            {"free": False},  # a boolean on PostgreSQL, not the integer SQLite accepts
        )


def test_0005_to_head_adds_nullable_indexed_store_refs(empty_db: str) -> None:
    command.upgrade(alembic_config(), "0005")
    _insert_0005_rows()
    upgrade_head()
    for table in INDEXED:
        column = _columns(table)["store_ref"]
        assert column["nullable"] is True, table
        assert _indexes(table)[f"ix_{table}_store_ref"] == ["store_ref"], table
    assert _columns("orders")["synced_at"]["nullable"] is True
    with get_engine().connect() as conn:
        # Rows from before the port are the builtin store's: no store id, never synced.
        assert conn.execute(text("SELECT store_ref, synced_at FROM orders")).all() == [(None, None)]
        for table in ("customers", "refunds", "promo_codes"):
            assert conn.execute(text(f"SELECT store_ref FROM {table}")).all() == [(None,)]
        ref = "order_" + "0" * 58  # 64 characters, the column's size (PostgreSQL checks it)
        conn.execute(text("UPDATE orders SET store_ref = :ref"), {"ref": ref})
        assert conn.execute(text("SELECT store_ref FROM orders")).scalar_one() == ref


def test_downgrade_to_0005_keeps_the_rows(empty_db: str) -> None:
    command.upgrade(alembic_config(), "0005")
    _insert_0005_rows()
    upgrade_head()
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE orders SET store_ref = 'order_1'"))
    command.downgrade(alembic_config(), "0005")
    for table in INDEXED:
        assert "store_ref" not in _columns(table), table
        assert f"ix_{table}_store_ref" not in _indexes(table), table
    assert "synced_at" not in _columns("orders")
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT order_number, status FROM orders")).all() == [
            ("111-0000000-0000001", "processing")
        ]
        assert conn.execute(text("SELECT refund_id FROM refunds")).all() == [("RF-1",)]
    upgrade_head()  # and up again
    assert "store_ref" in _columns("orders")
