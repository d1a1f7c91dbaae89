"""What agents do in the console: see queues, claim tickets, act on the ticket's order.

Rules:
- tier 1 queue = associates (supervisors see it too); tier 2 queue = supervisors; specialists
  see open ``executive_customer_relations`` cases; admins manage accounts only.
- A claim is one conditional UPDATE (``status='waiting' AND claimed_by IS NULL``): of two
  agents claiming at once exactly one changes a row; the other gets 409 ``already_claimed``.
- Only the agent who claimed a ticket, or a supervisor, may act on it, and only while claimed.
- Money and reship actions are checked against the role's authority (services/authority.py):
  refunds plus certificates add up per ticket, per order and per agent-day, reships per order,
  all counted under the agent's and the order's row locks (services/authority_budget.py).
- Refunds, certificates and reships happen in the store first (store/port.py), on the order
  as the store has it now; a store that fails or refuses leaves every row as it was.
- Nothing here commits: the router commits once per request (one transaction per action).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from ..console.schemas import (
    AgentOut,
    ApprovalOut,
    ApproveIn,
    BudgetOut,
    CertificateOut,
    EscalateIn,
    MoneyActionIn,
    OrderSummary,
    QueueOut,
    QueuesOut,
    ReferIn,
    RefundOut,
    ReshipIn,
    ReshipOut,
    ResolveIn,
    TicketCard,
    TicketSlaOut,
)
from ..errors import ApiError
from ..models import (
    Agent,
    Case,
    Certificate,
    HandoffTicket,
    IdempotencyKey,
    Order,
    Refund,
    Reship,
    utcnow,
)
from ..responses import from_row
from ..store import IssueCertificate, RefundPayment, ReshipItems, ReshipLine, get_store, keys
from . import audit, authority_budget, handoffs, sla
from . import cases as case_svc
from .authority import MoneyAction, get_policy
from .console_events import TIERS_BY_ROLE, publish_case, publish_ticket, ticket_audience
from .ids import unique_random_id
from .orders import REFUND_DAYS, REFUND_METHOD

SPECIALIST_TEAM = "executive_customer_relations"
QUEUE_NAMES = {1: "associates", 2: "supervisors"}
RESHIPPABLE = frozenset({"shipped", "out_for_delivery", "delivered", "delayed", "lost"})


def agent_out(agent: Agent) -> AgentOut:
    return AgentOut(username=agent.username, display_name=agent.display_name, role=agent.role)


# ---------------------------------------------------------------- visibility


def tiers_for(agent: Agent) -> tuple[int, ...]:
    """The queues an agent works (and may claim from)."""
    return TIERS_BY_ROLE.get(agent.role, ())


def _forbidden(agent: Agent, what: str) -> ApiError:
    return ApiError(403, "forbidden_role", f"The {agent.role} role cannot {what}.", role=agent.role)


def can_view(agent: Agent, ticket: HandoffTicket) -> bool:
    """The roles that work the ticket's tier, supervisors, specialists, and its claimer."""
    return ticket_audience(ticket).admits(agent.role, agent.id)


def get_ticket(session: Session, agent: Agent, number: str) -> HandoffTicket:
    if agent.role == "admin":
        raise _forbidden(agent, "work tickets")
    ticket = handoffs.by_number(session, number)
    if not can_view(agent, ticket):
        raise ApiError(
            403,
            "forbidden_role",
            f"Ticket {ticket.ticket_number} is in the tier {ticket.tier} queue, which the "
            f"{agent.role} role does not work.",
            role=agent.role,
        )
    return ticket


# ---------------------------------------------------------------- cards and queues


def _order_summary(session: Session, number: str | None) -> OrderSummary | None:
    order = get_store().order(session, number) if number else None
    if order is None:
        return None
    return from_row(
        OrderSummary, order, customer_name=order.customer.name, refunded=_refunded(order)
    )


def sla_out(ticket: HandoffTicket) -> TicketSlaOut:
    state = sla.for_ticket(ticket, utcnow())
    return TicketSlaOut(
        first_reply_due_at=state.first_reply_due_at,
        resolution_due_at=state.resolution_due_at,
        first_reply_at=ticket.first_reply_at,
        seconds_left=state.seconds_left,
        breached=list(state.breached),
    )


def _by_time_left(cards: list[TicketCard]) -> list[TicketCard]:
    """Most urgent first (stable: equal time left keeps the queue's order)."""
    return sorted(
        cards, key=lambda c: c.sla.seconds_left if c.sla and c.sla.seconds_left is not None else 0
    )


def card(
    session: Session,
    ticket: HandoffTicket,
    *,
    places: dict[int, int] | None = None,
    orders: dict[str, OrderSummary | None] | None = None,
) -> TicketCard:
    """The ticket as the console lists it. ``places`` (waiting tickets' places in their queue,
    by ticket id) and ``orders`` (order summaries looked up so far) let a whole queue be built
    without queries per row."""
    waiting = None
    if ticket.status == "waiting":
        since = ticket.queued_at or ticket.created_at
        waiting = max(0, int((utcnow() - since).total_seconds()))
    if places is None:
        position = handoffs.queue_position(session, ticket)
    else:
        position = places.get(ticket.id) if ticket.status == "waiting" else None
    return from_row(
        TicketCard,
        ticket,
        waiting_seconds=waiting,
        queue_position=position,
        claimed_by=ticket.claimer.username if ticket.claimer else None,
        order=_order_summary_once(session, ticket.order_number, orders),
        sla=sla_out(ticket),
    )


def _order_summary_once(
    session: Session, number: str | None, seen: dict[str, OrderSummary | None] | None
) -> OrderSummary | None:
    if number is None or seen is None:
        return _order_summary(session, number)
    if number not in seen:
        seen[number] = _order_summary(session, number)
    return seen[number]


def queues(session: Session, agent: Agent) -> QueuesOut:
    """Every queue the agent works, their own tickets, and (supervisors) the others' claims.

    Polled by every open console, with hundreds of tickets waiting at busy times: the rows are
    built from a few queries (places in the queue counted here, each order looked up once)."""
    if agent.role == "admin":
        raise _forbidden(agent, "work queues (admins manage agent accounts)")
    out = QueuesOut(
        agent=agent_out(agent), queues=[], my_tickets=[], claimed_by_others=[], specialist_cases=[]
    )
    orders: dict[str, OrderSummary | None] = {}
    for tier in tiers_for(agent):
        waiting = session.scalars(
            select(HandoffTicket)
            .where(HandoffTicket.tier == tier, HandoffTicket.status == "waiting")
            .order_by(HandoffTicket.queued_at, HandoffTicket.id)
        ).all()
        # handoffs.queue_position's rule: one plus the waiting tickets of the tier with a lower id.
        places = {t.id: place for place, t in enumerate(sorted(waiting, key=lambda t: t.id), 1)}
        cards = [card(session, t, places=places, orders=orders) for t in waiting]
        out.queues.append(QueueOut(tier=tier, name=QUEUE_NAMES[tier], waiting=_by_time_left(cards)))
    claimed = session.scalars(
        select(HandoffTicket)
        .where(HandoffTicket.status == "claimed")
        .order_by(HandoffTicket.claimed_at, HandoffTicket.id)
    )
    for ticket in claimed:
        if ticket.claimed_by == agent.id:
            out.my_tickets.append(card(session, ticket, places={}, orders=orders))
        elif agent.role == "supervisor":
            out.claimed_by_others.append(card(session, ticket, places={}, orders=orders))
    out.my_tickets = _by_time_left(out.my_tickets)
    out.claimed_by_others = _by_time_left(out.claimed_by_others)
    if agent.role == "specialist":
        cases = session.scalars(
            select(Case)
            .where(Case.team == SPECIALIST_TEAM, Case.status == "open")
            .order_by(Case.id)
        )
        out.specialist_cases = [case_svc.to_out(c) for c in cases]
    return out


# ---------------------------------------------------------------- claim


def claim(session: Session, agent: Agent, ticket: HandoffTicket) -> HandoffTicket:
    """Atomically claim a waiting ticket of a tier the agent works; 409 if someone was faster."""
    if ticket.tier not in tiers_for(agent):
        raise _forbidden(agent, f"claim tier {ticket.tier} tickets")
    now = utcnow()
    stmt = (
        update(HandoffTicket)
        .where(
            HandoffTicket.id == ticket.id,
            HandoffTicket.status == "waiting",
            HandoffTicket.claimed_by.is_(None),
        )
        .values(status="claimed", claimed_by=agent.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    result = session.execute(stmt)
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        session.rollback()
        session.refresh(ticket)
        holder = ticket.claimer.username if ticket.claimer else None
        raise ApiError(
            409,
            "already_claimed",
            f"Ticket {ticket.ticket_number} is no longer waiting"
            + (f": {holder} claimed it." if holder else f" (status {ticket.status})."),
            status=ticket.status,
            claimed_by=holder,
        )
    audit.record_by_agent(
        session,
        agent,
        "ticket.claim",
        order_number=ticket.order_number,
        details={"ticket_number": ticket.ticket_number, "tier": ticket.tier},
    )
    session.flush()
    session.refresh(ticket)
    publish_ticket(session, ticket, "ticket.claimed")
    return ticket


# ---------------------------------------------------------------- acting on a claimed ticket


def require_worker(agent: Agent, ticket: HandoffTicket) -> None:
    """Only the claimer or a supervisor acts, and only while the ticket is claimed."""
    if ticket.status != "claimed":
        raise ApiError(
            409,
            "not_claimed",
            f"Ticket {ticket.ticket_number} is {ticket.status}; claim it before acting on it.",
            status=ticket.status,
        )
    if ticket.claimed_by != agent.id and agent.role != "supervisor":
        raise ApiError(
            403,
            "not_your_ticket",
            f"Ticket {ticket.ticket_number} is claimed by another agent.",
        )


def get_worked_ticket(session: Session, agent: Agent, number: str) -> HandoffTicket:
    """The ticket (``get_ticket``) when this agent may act on it now (``require_worker``)."""
    ticket = get_ticket(session, agent, number)
    require_worker(agent, ticket)
    return ticket


def _ticket_order(session: Session, ticket: HandoffTicket, *, fresh: bool = False) -> Order:
    """The ticket's order; ``fresh`` (an action on it): as the store has it now."""
    number = ticket.order_number
    order = get_store().order(session, number, fresh=fresh) if number else None
    if order is None:
        raise ApiError(
            409, "no_order", f"Ticket {ticket.ticket_number} is not about a known order."
        )
    return order


def _lock_for_action(session: Session, agent: Agent, order_number: str) -> None:
    """Serialise money and reship actions of one order (and of one agent) until commit.

    Writing the agent's and the order's rows first takes their locks (row locks on PostgreSQL,
    the write lock on SQLite), so two requests at once with different idempotency keys cannot
    both pass the "left to refund" or the authority budget checks; everything they check is
    then read inside the locks. Nothing is read before: a store adapter refreshing its index
    would otherwise lock the order's row before the agent's.
    """
    authority_budget.lock(session, agent, order_number)


def _order_for_action(
    session: Session, agent: Agent, ticket: HandoffTicket, role_may: Callable[[str], None]
) -> Order:
    """The checks every refund, certificate and reship starts with, in order: the role may do it
    at all (``role_may``, 403 if not), the agent works the ticket, then the ticket's order: the
    agent's and the order's rows locked first (:func:`_lock_for_action`), then the order read
    from the store, so what the action checks is the store's state now, read inside the locks."""
    role_may(agent.role)
    require_worker(agent, ticket)
    if ticket.order_number:
        _lock_for_action(session, agent, ticket.order_number)
    return _ticket_order(session, ticket, fresh=True)


def _check_budget(
    session: Session,
    agent: Agent,
    ticket: HandoffTicket,
    order: Order,
    action: MoneyAction,
    amount: Decimal,
) -> None:
    """403 ``above_authority`` (with ``left``) unless the amount fits every budget left."""
    get_policy().check_money(
        agent.role,
        action,
        amount,
        authority_budget.room(session, agent, ticket, order),
        ticket_number=ticket.ticket_number,
        order_number=order.order_number,
    )


def _money_order(
    session: Session, agent: Agent, ticket: HandoffTicket, action: MoneyAction, amount: Decimal
) -> Order:
    """The checks before a refund or certificate: :func:`_order_for_action` with the role's
    permission for ``action``, then the budgets left."""
    order = _order_for_action(
        session, agent, ticket, lambda role: get_policy().check_permitted(role, action)
    )
    _check_budget(session, agent, ticket, order, action, amount)
    return order


StoreAction = Literal["refund", "certificate", "reship"]
ActionRow = Refund | Certificate | Reship
_NEW_IDS: dict[StoreAction, tuple[type[ActionRow], str, str]] = {
    "refund": (Refund, "refund_id", "RF"),
    "certificate": (Certificate, "code", "PC"),
    "reship": (Reship, "reship_id", "RS"),
}
"""Each store action's row: its model, the column of its id, and the id's prefix."""


@dataclass(frozen=True)
class _StoreWrite:
    """What a refund, certificate or reship sends the store besides its own fields."""

    row_id: str  # the new row's id (refund_id, code, reship_id)
    idempotency_key: str  # derived from the request's Idempotency-Key (store/keys.py)
    note: str  # what the store keeps with it: the ticket it came from, and why


def _store_write(
    session: Session,
    agent: Agent,
    ticket: HandoffTicket,
    action: StoreAction,
    reason: str,
    request_key: str | None,
) -> _StoreWrite:
    """The new row's id (unused yet), and the store's key and note for writing it."""
    model, column, prefix = _NEW_IDS[action]
    row_id = unique_random_id(session, model, column, prefix, 8)
    return _StoreWrite(
        row_id=row_id,
        idempotency_key=keys.agent_action(agent.id, request_key, row_id),
        note=f"Tierline {ticket.ticket_number}: {reason}",
    )


def _issued(
    session: Session,
    agent: Agent,
    ticket: HandoffTicket,
    action: StoreAction,
    row: ActionRow,
    details: dict[str, Any],
) -> None:
    """After the store wrote it: the action's row in the session (a refund already is, through
    its order), audited as ``agent.<action>``."""
    session.add(row)
    _audit_action(session, agent, f"agent.{action}", ticket, details)


def _refunded(order: Order, leaving_out: str | None = None) -> Decimal:
    """What was refunded on the order, but the store's refund ``leaving_out``."""
    refunds = (r for r in order.refunds if leaving_out is None or r.store_ref != leaving_out)
    return sum((r.amount for r in refunds), Decimal("0.00"))


def _audit_action(
    session: Session,
    agent: Agent,
    action: str,
    ticket: HandoffTicket,
    details: dict[str, Any],
) -> None:
    """The audit row of an agent's action, then a flush: every action ends with this."""
    audit.record_by_agent(
        session,
        agent,
        action,
        order_number=ticket.order_number,
        details={"ticket_number": ticket.ticket_number, **details},
    )
    session.flush()


def refund(
    session: Session,
    agent: Agent,
    ticket: HandoffTicket,
    body: MoneyActionIn,
    request_key: str | None = None,
) -> RefundOut:
    """``request_key``: the request's Idempotency-Key (the store's key is derived from it)."""
    order = _money_order(session, agent, ticket, "refund", body.amount)
    write = _store_write(session, agent, ticket, "refund", body.reason, request_key)
    # A retry after the store refunded and the desk's commit failed: the index now shows that
    # refund, and it must not count against the retry, which is the same refund.
    earlier = (
        get_store().refund_made(session, order, write.idempotency_key) if request_key else None
    )
    refundable = order.total - _refunded(order, leaving_out=earlier)
    if body.amount > refundable:
        raise ApiError(
            409,
            "exceeds_refundable",
            f"Only {max(refundable, Decimal('0')):.2f} of order {order.order_number} is left "
            "to refund.",
            refundable=f"{max(refundable, Decimal('0')):.2f}",
        )
    store_ref = get_store().refund(
        session,
        RefundPayment(
            order=order,
            amount=body.amount,
            note=write.note,
            idempotency_key=write.idempotency_key,
        ),
    )
    now = utcnow()
    row = Refund(
        refund_id=write.row_id,
        amount=body.amount,
        status="pending",
        method=REFUND_METHOD,
        created_at=now,
        expected_by=(now + timedelta(days=REFUND_DAYS)).date(),
        issued_by=agent.id,
        ticket_number=ticket.ticket_number,
        store_ref=store_ref,
    )
    order.refunds.append(row)
    _issued(
        session,
        agent,
        ticket,
        "refund",
        row,
        {"refund_id": row.refund_id, "amount": f"{body.amount:.2f}", "reason": body.reason},
    )
    return from_row(RefundOut, row, reason=body.reason, issued_by=agent.username)


def certificate(
    session: Session,
    agent: Agent,
    ticket: HandoffTicket,
    body: MoneyActionIn,
    request_key: str | None = None,
) -> CertificateOut:
    order = _money_order(session, agent, ticket, "certificate", body.amount)
    write = _store_write(session, agent, ticket, "certificate", body.reason, request_key)
    store_ref = get_store().issue_certificate(
        session,
        IssueCertificate(
            order=order,
            code=write.row_id,
            amount=body.amount,
            note=write.note,
            idempotency_key=write.idempotency_key,
        ),
    )
    row = Certificate(
        code=write.row_id,
        order_number=order.order_number,
        customer_id=order.customer_id,
        amount=body.amount,
        reason=body.reason,
        issued_by=agent.id,
        ticket_number=ticket.ticket_number,
        created_at=utcnow(),
        store_ref=store_ref,
    )
    _issued(
        session,
        agent,
        ticket,
        "certificate",
        row,
        {"code": row.code, "amount": f"{body.amount:.2f}", "reason": body.reason},
    )
    return from_row(CertificateOut, row, issued_by=agent.username)


def reship(
    session: Session,
    agent: Agent,
    ticket: HandoffTicket,
    body: ReshipIn,
    request_key: str | None = None,
) -> ReshipOut:
    order = _order_for_action(session, agent, ticket, get_policy().check_reship)
    if order.status not in RESHIPPABLE:
        raise ApiError(
            409,
            "not_reshippable",
            f"Order {order.order_number} is {order.status}; only shipped orders can be reshipped.",
            status=order.status,
        )
    by_sku = {item.sku: item for item in order.items}
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for wanted in body.items:
        item = by_sku.get(wanted.sku)
        if item is None:
            raise ApiError(
                404, "item_not_found", f"Order {order.order_number} has no item {wanted.sku}."
            )
        if wanted.sku in seen:
            raise ApiError(422, "duplicate_item", f"{wanted.sku} is listed twice.")
        if wanted.quantity > item.quantity:
            raise ApiError(
                422,
                "quantity_too_large",
                f"Order {order.order_number} has only {item.quantity} of {wanted.sku}.",
            )
        seen.add(wanted.sku)
        items.append({"sku": item.sku, "name": item.name, "quantity": wanted.quantity})
    get_policy().check_reship(
        agent.role,
        authority_budget.reships_on_order(session, order.order_number),
        order.order_number,
    )
    write = _store_write(session, agent, ticket, "reship", body.reason, request_key)
    store_ref = get_store().reship(
        session,
        ReshipItems(
            order=order,
            lines=tuple(
                ReshipLine(sku=i["sku"], name=i["name"], quantity=i["quantity"]) for i in items
            ),
            note=write.note,
            idempotency_key=write.idempotency_key,
        ),
    )
    row = Reship(
        reship_id=write.row_id,
        order_number=order.order_number,
        items=items,
        reason=body.reason,
        issued_by=agent.id,
        ticket_number=ticket.ticket_number,
        status="requested",
        created_at=utcnow(),
        store_ref=store_ref,
    )
    _issued(
        session,
        agent,
        ticket,
        "reship",
        row,
        {"reship_id": row.reship_id, "items": items, "reason": body.reason},
    )
    return from_row(ReshipOut, row, issued_by=agent.username)


def budget(session: Session, agent: Agent, ticket: HandoffTicket) -> BudgetOut:
    """What ``agent`` may still issue on the ticket (read without locks: a display)."""
    return authority_budget.budget_out(session, agent, ticket, _ticket_order(session, ticket))


def approve(session: Session, agent: Agent, ticket: HandoffTicket, body: ApproveIn) -> ApprovalOut:
    """A supervisor or specialist approves more money for this ticket only (audited)."""
    return authority_budget.approve(session, agent, ticket, _ticket_order(session, ticket), body)


def escalate(session: Session, agent: Agent, ticket: HandoffTicket, body: EscalateIn) -> None:
    """Tier 1 -> the tier 2 (supervisor) queue, unclaimed, with who and why on the ticket."""
    require_worker(agent, ticket)
    if ticket.tier != 1:
        raise ApiError(
            409,
            "already_tier_2",
            f"Ticket {ticket.ticket_number} is already with supervisors; refer it to the "
            "specialist team instead.",
        )
    now = utcnow()
    ticket.tier = 2
    ticket.status = "waiting"
    ticket.claimed_by = None
    ticket.claimed_at = None
    ticket.queued_at = now
    ticket.escalated_by = agent.username
    ticket.escalated_at = now
    ticket.escalation_note = body.note
    _audit_action(
        session, agent, "ticket.escalate", ticket, {"from_tier": 1, "to_tier": 2, "note": body.note}
    )
    publish_ticket(session, ticket, "ticket.escalated", agent)


def refer(session: Session, agent: Agent, ticket: HandoffTicket, body: ReferIn) -> Case:
    """Open an executive_customer_relations case for the ticket; the ticket leaves the queues."""
    require_worker(agent, ticket)
    case = case_svc.add_numbered(
        session,
        Case(
            kind=body.kind,
            team=SPECIALIST_TEAM,
            status="open",
            response_channel="email",
            conversation_id=ticket.conversation_id,
            order_number=ticket.order_number,
            customer=dict(ticket.customer),
            description=(
                f"Referred by {agent.display_name} ({agent.username}) from ticket "
                f"{ticket.ticket_number}: {body.note}\n\nOriginal reason: {ticket.reason}"
            ),
            postal_code=None,
            created_at=utcnow(),
        ),
    )
    ticket.status = "referred"
    ticket.referred_case_number = case.case_number
    _audit_action(
        session,
        agent,
        "ticket.refer",
        ticket,
        {"case_number": case.case_number, "kind": body.kind, "note": body.note},
    )
    publish_ticket(session, ticket, "ticket.referred", agent)
    publish_case(session, case, "case.created")
    return case


def resolve(session: Session, agent: Agent, ticket: HandoffTicket, body: ResolveIn) -> None:
    require_worker(agent, ticket)
    handoffs.resolve(
        session,
        ticket,
        body.outcome,
        action="ticket.resolve",
        actor=agent.username,
        details={"role": agent.role, "outcome": body.outcome},
    )
    session.flush()


# ---------------------------------------------------------------- idempotency


def fingerprint(action: str, ticket_number: str, payload: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"action": action, "ticket": ticket_number, "body": payload}, sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_result(
    session: Session, agent: Agent, key: str, request_hash: str
) -> IdempotencyKey | None:
    """The earlier result for this agent's key; 422 if the key was used for another request."""
    row = session.scalar(
        select(IdempotencyKey).where(IdempotencyKey.agent_id == agent.id, IdempotencyKey.key == key)
    )
    if row is not None and row.request_hash != request_hash:
        raise ApiError(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different request; use a new key.",
        )
    return row


def remember(
    session: Session,
    agent: Agent,
    key: str,
    request_hash: str,
    status_code: int,
    response: dict[str, Any],
) -> None:
    session.add(
        IdempotencyKey(
            agent_id=agent.id,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            response=response,
            created_at=utcnow(),
        )
    )
