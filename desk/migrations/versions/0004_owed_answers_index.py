"""index for the desks' look for bot answers owed (conversations by mode and last activity)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 12:20:00

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_mode_last_activity_at", ["mode", "last_activity_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_mode_last_activity_at")
