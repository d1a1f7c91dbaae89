"""macros and internal notes: canned replies, agents-only notes, @mention notifications

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 14:00:00

``macros`` (title, body with placeholders, the roles that see it), ``internal_notes`` (on a
ticket or an email case, never shown to the shopper) and ``agent_notifications`` (an agent
@mentioned in a note). New tables only (docs/console-api.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "macros",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_macros")),
    )
    op.create_table(
        "internal_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_number", sa.String(length=32), nullable=True),
        sa.Column("case_number", sa.String(length=32), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("mentioned", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agents.id"], name=op.f("fk_internal_notes_author_id_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_internal_notes")),
    )
    op.create_index(op.f("ix_internal_notes_ticket_number"), "internal_notes", ["ticket_number"])
    op.create_index(op.f("ix_internal_notes_case_number"), "internal_notes", ["case_number"])
    op.create_table(
        "agent_notifications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_agent_notifications_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["internal_notes.id"],
            name=op.f("fk_agent_notifications_note_id_internal_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_notifications")),
    )
    op.create_index(
        "ix_agent_notifications_agent_id_read_at",
        "agent_notifications",
        ["agent_id", "read_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_agent_notifications_agent_id_read_at", table_name="agent_notifications")
    op.drop_table("agent_notifications")
    op.drop_index(op.f("ix_internal_notes_case_number"), table_name="internal_notes")
    op.drop_index(op.f("ix_internal_notes_ticket_number"), table_name="internal_notes")
    op.drop_table("internal_notes")
    op.drop_table("macros")
