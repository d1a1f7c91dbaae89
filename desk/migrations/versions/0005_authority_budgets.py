"""authority budgets: who issued a refund and on which ticket; supervisors' approvals per ticket

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 23:30:00

"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issued_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ticket_number", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_refunds_issued_by_agents"), "agents", ["issued_by"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_refunds_ticket_number"), ["ticket_number"])
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_ticket_number"), ["ticket_number"])
    _backfill_agent_refunds()

    op.create_table(
        "authority_grants",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_number", sa.String(length=32), nullable=False),
        sa.Column("order_number", sa.String(length=19), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["agents.id"], name=op.f("fk_authority_grants_approved_by_agents")
        ),
        sa.ForeignKeyConstraint(
            ["order_number"],
            ["orders.order_number"],
            name=op.f("fk_authority_grants_order_number_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authority_grants")),
    )
    with op.batch_alter_table("authority_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_authority_grants_ticket_number"), ["ticket_number"])
        batch_op.create_index(batch_op.f("ix_authority_grants_order_number"), ["order_number"])


def _backfill_agent_refunds() -> None:
    """Refunds agents issued before 0005 count against budgets too: the audit log names them.

    Each ``agent.refund`` audit row holds the refund id, the ticket and the agent (actor).
    """
    conn = op.get_bind()
    agents = dict(conn.execute(sa.text("SELECT username, id FROM agents")).tuples().all())
    rows = conn.execute(
        sa.text("SELECT actor, details FROM audit_log WHERE action = 'agent.refund'")
    ).tuples()
    for actor, raw in rows.all():
        details = json.loads(raw) if isinstance(raw, str) else (raw or {})
        refund_id, agent_id = details.get("refund_id"), agents.get(actor)
        if not refund_id or agent_id is None:
            continue
        conn.execute(
            sa.text(
                "UPDATE refunds SET issued_by = :agent, ticket_number = :ticket "
                "WHERE refund_id = :refund AND issued_by IS NULL"
            ),
            {"agent": agent_id, "ticket": details.get("ticket_number"), "refund": refund_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("authority_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_authority_grants_order_number"))
        batch_op.drop_index(batch_op.f("ix_authority_grants_ticket_number"))
    op.drop_table("authority_grants")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_ticket_number"))
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refunds_ticket_number"))
        batch_op.drop_constraint(batch_op.f("fk_refunds_issued_by_agents"), type_="foreignkey")
        batch_op.drop_column("ticket_number")
        batch_op.drop_column("issued_by")
