"""store refs: the store's own id on the index rows, and when an order was last read from it

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 09:00:00

Every row the desk keeps of the store's data (customers, orders, refunds, returns, reships,
certificates, promo codes) gets a nullable, indexed ``store_ref`` (Medusa's ``order_...``,
``cus_...`` ids; None on the builtin store), and orders get ``synced_at`` (docs/store.md).
Existing rows are the builtin store's: they keep None.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = (
    "customers",
    "orders",
    "refunds",
    "returns",
    "reships",
    "certificates",
    "promo_codes",
)


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("store_ref", sa.String(length=64), nullable=True))
            if table == "orders":
                batch_op.add_column(sa.Column("synced_at", sa.DateTime(), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{table}_store_ref"), ["store_ref"])


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_store_ref"))
            if table == "orders":
                batch_op.drop_column("synced_at")
            batch_op.drop_column("store_ref")
