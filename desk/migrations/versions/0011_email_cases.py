"""email cases both ways: inbound mails, the sender and quoted text of a reply, attachments

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 14:00:00

``inbound_mails`` holds every mail the desk took in, once per Message-ID (threaded into a case,
or quarantined with a reason); ``case_messages`` gets ``from_email`` and ``quoted`` for the
shopper's replies; ``mail_attachments`` keeps the checked images and PDFs (docs/email.md).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "inbound_mails",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("from_email", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("case_number", sa.String(length=32), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_mails")),
        sa.UniqueConstraint("message_id", name=op.f("uq_inbound_mails_message_id")),
    )
    op.create_index(op.f("ix_inbound_mails_received_at"), "inbound_mails", ["received_at"])
    op.create_index(op.f("ix_inbound_mails_status"), "inbound_mails", ["status"])
    op.create_table(
        "mail_attachments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_attachments")),
    )
    op.create_index(op.f("ix_mail_attachments_owner"), "mail_attachments", ["owner"])
    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("quoted", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        batch_op.drop_column("quoted")
        batch_op.drop_column("from_email")
    op.drop_index(op.f("ix_mail_attachments_owner"), table_name="mail_attachments")
    op.drop_table("mail_attachments")
    op.drop_index(op.f("ix_inbound_mails_status"), table_name="inbound_mails")
    op.drop_index(op.f("ix_inbound_mails_received_at"), table_name="inbound_mails")
    op.drop_table("inbound_mails")
