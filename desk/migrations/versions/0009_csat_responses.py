"""csat responses: the shoppers' answers to "How did we do?" (services/csat.py)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 14:00:00

One row per rated subject (a ticket, an email case or a bot-only chat): the unique ``subject``
makes each survey single-use.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "csat_responses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subject", sa.String(length=240), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("ticket_number", sa.String(length=32), nullable=True),
        sa.Column("case_number", sa.String(length=32), nullable=True),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("follow_up_case_number", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name=op.f("fk_csat_responses_agent_id_agents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_responses")),
        sa.UniqueConstraint("subject", name=op.f("uq_csat_responses_subject")),
    )
    op.create_index(
        op.f("ix_csat_responses_conversation_id"), "csat_responses", ["conversation_id"]
    )
    op.create_index(op.f("ix_csat_responses_agent_id"), "csat_responses", ["agent_id"])
    op.create_index(op.f("ix_csat_responses_created_at"), "csat_responses", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_csat_responses_created_at"), table_name="csat_responses")
    op.drop_index(op.f("ix_csat_responses_agent_id"), table_name="csat_responses")
    op.drop_index(op.f("ix_csat_responses_conversation_id"), table_name="csat_responses")
    op.drop_table("csat_responses")
