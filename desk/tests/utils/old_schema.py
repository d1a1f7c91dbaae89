"""Rows written with plain SQL into a database migrated to an older revision (the models
describe only the newest schema), for the migration tests."""

from __future__ import annotations

from sqlalchemy import Connection, text

OLD_ORDER = "111-0000000-0000001"


def insert_customer_and_order(conn: Connection, status: str) -> None:
    """Customer ``C-1`` and its order :data:`OLD_ORDER` in ``status``, as the schema had
    them up to revision 0005."""
    conn.execute(
        text(
            "INSERT INTO customers (id, name, email, line1, city, region, postal_code, "
            "country, created_at) VALUES ('C-1', 'Priya', 'p@example.com', 'l1', 'c', 'r', "
            "'1', 'US', '2026-11-20 10:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO orders (order_number, customer_id, status, placed_at, ship_name, "
            "ship_line1, ship_city, ship_region, ship_postal_code, ship_country, currency, "
            "created_at, updated_at) VALUES (:number, 'C-1', :status, "
            "'2026-11-20 10:00:00', 'P', 'l1', 'c', 'r', '1', 'US', 'USD', "
            "'2026-11-20 10:00:00', '2026-11-20 10:00:00')"
        ),
        {"number": OLD_ORDER, "status": status},
    )
