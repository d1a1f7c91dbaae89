"""What agents have already used of their authority, and supervisors' approvals (per ticket).

Counted from the database, not from the request: agent-issued refunds (``refunds.issued_by``
set) plus certificates, per ticket, per order across tickets and per agent per UTC day; reships
per order. Callers hold :func:`lock` first so two requests cannot both see the same room.
"""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from ..console.schemas import ApprovalOut, ApproveIn, BudgetOut
from ..errors import ApiError
from ..models import (
    Agent,
    AuthorityGrant,
    Certificate,
    HandoffTicket,
    Order,
    Refund,
    Reship,
    utcnow,
)
from ..responses import from_row
from . import audit
from .authority import UNLIMITED, Limit, MoneyAction, Room, get_policy
from .console_access import require_role

ZERO = Decimal("0.00")
APPROVERS = ("supervisor", "specialist")


def lock(session: Session, agent: Agent, order_number: str) -> None:
    """Serialise authority checks: the agent's row (daily cap), then the order's row.

    A write takes a row lock on PostgreSQL (the database write lock on SQLite) held until the
    transaction ends, so concurrent actions by one agent, or on one order, check one at a time.
    Always agent first, then order, so two transactions cannot wait on each other. By the
    order's number: the order is read (from the store) only once both locks are held.
    """
    session.execute(
        update(Agent)
        .where(Agent.id == agent.id)
        .values(last_seen_at=Agent.last_seen_at)
        .execution_options(synchronize_session=False)
    )
    _lock_order_row(session, order_number)
    # What this session read of the order before the lock is read again inside it.
    loaded = session.identity_map.get(identity_key(Order, order_number))
    if loaded is not None:
        session.expire(loaded)


def _lock_order_row(session: Session, order_number: str) -> None:
    session.execute(
        update(Order)
        .where(Order.order_number == order_number)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def lock_order(session: Session, order: Order) -> None:
    _lock_order_row(session, order.order_number)
    session.expire(order, ["refunds"])


def _money(session: Session, refunds: ColumnElement[bool], certs: ColumnElement[bool]) -> Decimal:
    refunded = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(
            Refund.issued_by.is_not(None), refunds
        )
    )
    certified = session.scalar(select(func.coalesce(func.sum(Certificate.amount), 0)).where(certs))
    return (Decimal(str(refunded or 0)) + Decimal(str(certified or 0))).quantize(ZERO)


def spent_on_ticket(session: Session, ticket_number: str) -> Decimal:
    return _money(
        session, Refund.ticket_number == ticket_number, Certificate.ticket_number == ticket_number
    )


def spent_on_order(session: Session, order_number: str) -> Decimal:
    return _money(
        session, Refund.order_number == order_number, Certificate.order_number == order_number
    )


def spent_today(session: Session, agent: Agent) -> Decimal:
    midnight = datetime.combine(utcnow().date(), time(0), tzinfo=utcnow().tzinfo)
    return _money(
        session,
        (Refund.issued_by == agent.id) & (Refund.created_at >= midnight),
        (Certificate.issued_by == agent.id) & (Certificate.created_at >= midnight),
    )


def approved(session: Session, ticket_number: str) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(AuthorityGrant.amount), 0)).where(
            AuthorityGrant.ticket_number == ticket_number
        )
    )
    return Decimal(str(total or 0)).quantize(ZERO)


def reships_on_order(session: Session, order_number: str) -> int:
    count = session.scalar(
        select(func.count()).select_from(Reship).where(Reship.order_number == order_number)
    )
    return int(count or 0)


def _base(limit: Limit) -> Decimal | None:
    """The limit as an amount: None when unlimited, 0 when not allowed."""
    return limit.maximum if limit.allowed else ZERO


def room(session: Session, agent: Agent, ticket: HandoffTicket, order: Order) -> Room:
    """What is left for ``agent`` on this ticket: budget + approvals - what was issued."""
    role = get_policy().for_role(agent.role)
    base = _base(role.budget)
    extra = approved(session, ticket.ticket_number)
    budget = None if base is None else base + extra
    daily = _base(role.daily)
    return Room(
        ticket=None if budget is None else budget - spent_on_ticket(session, ticket.ticket_number),
        order=None if budget is None else budget - spent_on_order(session, order.order_number),
        daily=None if daily is None else daily - spent_today(session, agent),
        limits={"ticket": budget, "order": budget, "daily": daily},
        approved=extra,
    )


def _show(amount: Decimal | None) -> str:
    return UNLIMITED if amount is None else f"{max(amount, ZERO):.2f}"


def _describe(limit: Limit) -> str | None:
    return None if not limit.allowed else _show(limit.maximum)


def budget_out(session: Session, agent: Agent, ticket: HandoffTicket, order: Order) -> BudgetOut:
    policy = get_policy()
    role = policy.for_role(agent.role)
    here = room(session, agent, ticket, order)
    left, scope = here.tightest(None)

    def action_left(action: MoneyAction) -> str | None:
        limit = role.limit(action)
        if not limit.allowed:
            return None
        cap, _ = here.tightest(here.cap(action, limit.maximum))
        return _show(cap)

    most = role.reships_per_order
    if not role.reship:
        reships_left: int | None = 0
    elif most is None:
        reships_left = None
    else:
        reships_left = max(0, most - reships_on_order(session, order.order_number))
    return BudgetOut(
        role=agent.role,
        ticket_number=ticket.ticket_number,
        order_number=order.order_number,
        budget=_describe(role.budget),
        approved=approved(session, ticket.ticket_number),
        spent_on_ticket=spent_on_ticket(session, ticket.ticket_number),
        spent_on_order=spent_on_order(session, order.order_number),
        daily=_describe(role.daily),
        spent_today=spent_today(session, agent),
        left=_show(left),
        scope="none" if left is None else scope,
        refund_left=action_left("refund"),
        certificate_left=action_left("certificate"),
        reships_left=reships_left,
    )


def approve(
    session: Session, agent: Agent, ticket: HandoffTicket, order: Order, body: ApproveIn
) -> ApprovalOut:
    """A supervisor or specialist raises one ticket's budget by ``body.amount``, audited.

    Approvals on a ticket add up to at most the approver's own ``budget``; they apply to
    whoever works that ticket, and to no other ticket of the order.
    """
    require_role(agent, APPROVERS, "approve more authority; ask a supervisor")
    if ticket.status not in ("waiting", "claimed"):
        raise ApiError(
            409,
            "ticket_closed",
            f"Ticket {ticket.ticket_number} is {ticket.status}; approvals are for open tickets.",
            status=ticket.status,
        )
    lock_order(session, order)
    already = approved(session, ticket.ticket_number)
    ceiling = _base(get_policy().for_role(agent.role).budget)
    if ceiling is not None and already + body.amount > ceiling:
        left = max(ceiling - already, ZERO)
        raise ApiError(
            403,
            "above_authority",
            f"{body.amount:.2f} is above what you may approve: ${left:.2f} left on ticket "
            f"{ticket.ticket_number} (approvals per ticket add up to your {agent.role} budget "
            f"of {ceiling:.2f}). Refer the ticket to the specialist team.",
            role=agent.role,
            action="approve",
            limit=f"{ceiling:.2f}",
            left=f"{left:.2f}",
            scope="ticket",
            amount=f"{body.amount:.2f}",
            hint="refer",
        )
    row = AuthorityGrant(
        ticket_number=ticket.ticket_number,
        order_number=order.order_number,
        amount=body.amount,
        note=body.note,
        approved_by=agent.id,
        created_at=utcnow(),
    )
    session.add(row)
    total = already + body.amount
    audit.record_by_agent(
        session,
        agent,
        "authority.approve",
        order_number=order.order_number,
        details={
            "ticket_number": ticket.ticket_number,
            "amount": f"{body.amount:.2f}",
            "approved_total": f"{total:.2f}",
            "note": body.note,
        },
    )
    session.flush()
    return from_row(ApprovalOut, row, approved_by=agent.username, approved_total=total)
