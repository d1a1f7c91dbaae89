"""assignment and SLAs: agents' capacity, per-tier auto-assignment, first replies, SLA breaches

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07 14:00:00

- ``agents.capacity`` (null: the ``AGENT_CAPACITY`` setting) and ``agents.last_assigned_at`` (the
  round robin's pointer: the agent served longest ago is next).
- ``handoff_tickets.first_reply_at``: when a person first wrote to the shopper on the ticket.
- ``tier_settings``: per tier, whether the desk assigns new tickets itself (no row: the
  ``AUTO_ASSIGN_TIERS`` setting decides).
- ``sla_breaches``: one row per ticket and target missed (unique), the supervisors' notice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("capacity", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("last_assigned_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("handoff_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_reply_at", sa.DateTime(), nullable=True))
    op.create_table(
        "tier_settings",
        sa.Column("tier", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("auto_assign", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tier", name=op.f("pk_tier_settings")),
    )
    op.create_table(
        "sla_breaches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_number", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("noticed_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_breaches")),
        sa.UniqueConstraint("ticket_number", "target", name="uq_sla_breaches_ticket_number_target"),
    )
    with op.batch_alter_table("sla_breaches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sla_breaches_noticed_at"), ["noticed_at"])


def downgrade() -> None:
    with op.batch_alter_table("sla_breaches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sla_breaches_noticed_at"))
    op.drop_table("sla_breaches")
    op.drop_table("tier_settings")
    with op.batch_alter_table("handoff_tickets", schema=None) as batch_op:
        batch_op.drop_column("first_reply_at")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("last_assigned_at")
        batch_op.drop_column("capacity")
