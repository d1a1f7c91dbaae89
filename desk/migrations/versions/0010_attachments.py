"""attachments: files a shopper attaches in the web chat, and their bytes in the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 14:00:00

``attachments`` keeps what the desk knows of each checked file (docs/evidence.md);
``attachment_blobs`` keeps the bytes when ``ATTACHMENT_STORE=database`` (several replicas);
``attachment_order_lines`` the order line a conversation's photos show.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("attachment_id", sa.String(length=32), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("has_thumbnail", sa.Boolean(), nullable=False),
        sa.Column("message_seq", sa.Integer(), nullable=True),
        sa.Column("order_number", sa.String(length=19), nullable=True),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("attachment_id", name=op.f("uq_attachments_attachment_id")),
    )
    op.create_index(
        op.f("ix_attachments_conversation_id"), "attachments", ["conversation_id"], unique=False
    )
    op.create_table(
        "attachment_blobs",
        sa.Column("storage_key", sa.String(length=120), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("storage_key", name=op.f("pk_attachment_blobs")),
    )
    op.create_table(
        "attachment_order_lines",
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("order_number", sa.String(length=19), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_attachment_order_lines")),
    )


def downgrade() -> None:
    op.drop_table("attachment_order_lines")
    op.drop_table("attachment_blobs")
    op.drop_index(op.f("ix_attachments_conversation_id"), table_name="attachments")
    op.drop_table("attachments")
