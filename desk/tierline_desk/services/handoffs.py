"""Handoff tickets: routing, queue position, wait estimate, one open ticket per conversation.

:func:`route` applies the routing rules (docs/routing.md) to a handoff request, in order:
(a) trade-in credit goes to the specialists as a case; (b) so does a shipping error on an item
worth at least SPECIALIST_ITEM_THRESHOLD; (c) a conversation with an open ticket keeps it;
(d) outside business hours, with nobody online for the tier, or with a wait above
MAX_WAIT_MINUTES (unless the shopper chose to wait anyway) nothing is created; (e) otherwise a
ticket joins the tier's queue. Every decision is written to the audit log (``handoff.route``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..api.schemas import CaseOut, HandoffCreated, HandoffOut, HandoffRequest
from ..attachments import service as attachment_service
from ..errors import ApiError
from ..models import Case, HandoffTicket, Order, OrderItem, utcnow
from ..responses import from_row
from ..settings import get_settings
from ..store import get_store
from . import audit, cases, routing
from .console_events import publish_ticket
from .ids import placeholder_number, ticket_number

# "claimed": an agent in the console is working on it (see services/agent_actions.py).
OPEN_STATES = ("waiting", "claimed")


def queue_position(session: Session, ticket: HandoffTicket) -> int | None:
    """Waiting tickets in the same tier created before this one, plus one (None if not waiting)."""
    if ticket.status != "waiting":
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(HandoffTicket)
        .where(
            HandoffTicket.tier == ticket.tier,
            HandoffTicket.status == "waiting",
            HandoffTicket.id < ticket.id,
        )
    )
    return int(ahead or 0) + 1


def next_queue_position(session: Session, tier: int) -> int:
    """The place a new ticket for ``tier`` would take: everyone waiting there, plus one."""
    waiting = session.scalar(
        select(func.count())
        .select_from(HandoffTicket)
        .where(HandoffTicket.tier == tier, HandoffTicket.status == "waiting")
    )
    return int(waiting or 0) + 1


def wait_minutes(position: int) -> int:
    """The estimated wait at ``position`` in a queue: position * AVG_HANDLE_MINUTES."""
    return position * get_settings().avg_handle_minutes


def estimated_wait(position: int | None) -> int | None:
    return None if position is None else wait_minutes(position)


def created_out(session: Session, ticket: HandoffTicket) -> HandoffCreated:
    """The answer for a ticket in a queue (outcome ``queued``)."""
    pos = queue_position(session, ticket)
    return HandoffCreated(
        outcome="queued",
        conversation_id=ticket.conversation_id,
        ticket_number=ticket.ticket_number,
        tier=ticket.tier,
        status=ticket.status,
        queue_position=pos,
        estimated_wait_minutes=estimated_wait(pos),
        case_number=None,
        unavailable_reason=None,
        business_hours=routing.get_business_hours().describe(),
        next_open_at=None,
    )


def full_out(session: Session, ticket: HandoffTicket) -> HandoffOut:
    pos = queue_position(session, ticket)
    return from_row(
        HandoffOut, ticket, queue_position=pos, estimated_wait_minutes=estimated_wait(pos)
    )


def latest_ticket(session: Session, conversation_id: str) -> HandoffTicket | None:
    """The conversation's newest ticket: its open one when it has one (a new ticket is made
    only when none is open, and at most one is, the database's partial unique index)."""
    return session.scalar(
        select(HandoffTicket)
        .where(HandoffTicket.conversation_id == conversation_id)
        .order_by(HandoffTicket.id.desc())
        .limit(1)
    )


def open_ticket_for(session: Session, conversation_id: str) -> HandoffTicket | None:
    return session.scalar(
        select(HandoffTicket)
        .where(
            HandoffTicket.conversation_id == conversation_id,
            HandoffTicket.status.in_(OPEN_STATES),
        )
        .order_by(HandoffTicket.id)
        .limit(1)
    )


def resolve(
    session: Session,
    ticket: HandoffTicket,
    outcome: str,
    *,
    action: str,
    actor: str,
    details: dict[str, Any],
) -> None:
    """The ticket is done, with ``outcome`` (what was done for the shopper), audited as ``action``
    with the ticket's number and ``details``."""
    ticket.status = "resolved"
    ticket.outcome = outcome
    ticket.resolved_at = utcnow()
    audit.record_ticket(session, action, ticket, actor=actor, details=details)
    publish_ticket(session, ticket, "ticket.resolved")


def by_number(session: Session, number: str) -> HandoffTicket:
    """The ticket numbered ``number`` (any case, blanks around it ignored); 404 if none."""
    ticket = session.scalar(
        select(HandoffTicket).where(HandoffTicket.ticket_number == number.strip().upper())
    )
    if ticket is None:
        raise ApiError(404, "ticket_not_found", f"No handoff ticket {number}.")
    return ticket


def create(session: Session, req: HandoffRequest, actor: str) -> tuple[HandoffTicket, bool]:
    """The conversation's open ticket, or a new waiting one (not committed): (ticket, created).

    No routing rules here: :func:`route` decides whether a ticket should be made at all.
    """
    existing = open_ticket_for(session, req.conversation_id)
    if existing is not None:
        return existing, False
    ticket = HandoffTicket(
        ticket_number=placeholder_number(),
        conversation_id=req.conversation_id,
        tier=req.tier,
        status="waiting",
        reason=req.reason,
        customer=req.customer.model_dump(exclude_none=True),
        order_number=req.order_number,
        bot_attempts=list(req.bot_attempts),
        recent_messages=[m.model_dump(mode="json", exclude_none=True) for m in req.recent_messages],
        created_at=utcnow(),
    )
    ticket.queued_at = ticket.created_at
    session.add(ticket)
    session.flush()
    ticket.ticket_number = ticket_number(ticket.id)
    audit.record(
        session,
        "handoff.create",
        actor=actor,
        order_number=req.order_number,
        details={
            "ticket_number": ticket.ticket_number,
            "tier": req.tier,
            "conversation_id": req.conversation_id,
            "reason": req.reason,
        },
    )
    publish_ticket(session, ticket, "ticket.created")
    return ticket, True


# ------------------------------------------------------------------ routing
@dataclass(frozen=True)
class Routed:
    """What :func:`route` decided (not committed yet)."""

    out: HandoffCreated
    created: bool  # a new ticket or case was made (HTTP 201; else 200)
    new_case: CaseOut | None = None  # a specialist case just opened: email the shopper


def _order(session: Session, number: str) -> Order | None:
    return get_store().order(session, number)


def shipping_error_item(session: Session, req: HandoffRequest) -> OrderItem | None:
    """The item a shipping error is about: ``sku``, else the order's most expensive item.

    None without an order number or when the order has no items; 404 for an unknown order or
    an sku that is not on the order.
    """
    if req.order_number is None:
        return None
    order = _order(session, req.order_number)
    if order is None:
        raise ApiError(404, "order_not_found", f"No order {req.order_number}.")
    if req.sku is not None:
        for item in order.items:
            if item.sku == req.sku:
                return item
        raise ApiError(
            404,
            "item_not_found",
            f"Order {order.order_number} has no item {req.sku}.",
            order_number=order.order_number,
            sku=req.sku,
        )
    if not order.items:
        return None
    return max(order.items, key=lambda i: (i.unit_price, -i.position))


def _describe(req: HandoffRequest, facts: list[str]) -> str:
    lines = [req.reason, *facts]
    if req.bot_attempts:
        lines.append("What the assistant already tried:")
        lines.extend(f"- {attempt}" for attempt in req.bot_attempts)
    return "\n".join(lines)


def _decision(
    session: Session,
    req: HandoffRequest,
    actor: str,
    out: HandoffCreated,
    **details: Any,
) -> None:
    audit.record(
        session,
        "handoff.route",
        actor=actor,
        order_number=req.order_number,
        details={
            "conversation_id": req.conversation_id,
            "reason_code": req.reason_code,
            "tier": req.tier,
            "wait_anyway": req.wait_anyway,
            "outcome": out.outcome,
            "ticket_number": out.ticket_number,
            "case_number": out.case_number,
            "unavailable_reason": out.unavailable_reason,
            "estimated_wait_minutes": out.estimated_wait_minutes,
            **details,
        },
    )


def _specialist_case(
    session: Session,
    req: HandoffRequest,
    actor: str,
    kind: str,
    facts: list[str],
    details: dict[str, Any],
) -> Routed:
    """The conversation's open case of ``kind``, or a new one for the specialists."""
    case: Case | None = cases.open_case_for(session, req.conversation_id, kind)
    created = case is None
    if case is None:
        case = cases.open_case(
            session,
            kind=kind,
            conversation_id=req.conversation_id,
            description=_describe(req, facts),
            actor=actor,
            order_number=req.order_number,
            customer=req.customer.model_dump(exclude_none=True),
        )
    out = HandoffCreated(
        outcome="specialist_case",
        conversation_id=req.conversation_id,
        ticket_number=None,
        tier=None,
        status=None,
        queue_position=None,
        estimated_wait_minutes=None,
        case_number=case.case_number,
        unavailable_reason=None,
        business_hours=routing.get_business_hours().describe(),
        next_open_at=None,
    )
    _decision(session, req, actor, out, case_kind=kind, existing=not created, **details)
    return Routed(out=out, created=created, new_case=cases.to_out(case) if created else None)


def _trade_in_facts(session: Session, req: HandoffRequest) -> list[str]:
    order = _order(session, req.order_number) if req.order_number else None
    if order is None or not order.trade_in_device:
        return [f"Order: {req.order_number}"] if req.order_number else []
    credit = order.trade_in_quoted_credit
    return [
        f"Order: {order.order_number}",
        f"Trade-in: {order.trade_in_device}, quoted credit "
        f"{credit if credit is not None else 'unknown'} {order.currency}, "
        f"status {order.trade_in_status or 'unknown'}",
    ]


def route(session: Session, req: HandoffRequest, actor: str, now: datetime | None = None) -> Routed:
    """Apply the routing rules to a handoff request (nothing committed)."""
    now = now or utcnow()
    # (a) trade-in credit: the specialists, by email; no ticket.
    if req.reason_code == "trade_in":
        return _specialist_case(
            session, req, actor, "trade_in_credit", _trade_in_facts(session, req), {}
        )

    item_details: dict[str, Any] = {}
    # (b) a shipping error on an expensive item: the specialists too.
    if req.reason_code == "shipping_error":
        item = shipping_error_item(session, req)
        if item is not None:
            # The photos the shopper sent of it travel with the ticket or case.
            attachment_service.tag_order_line(
                session, req.conversation_id, req.order_number, item.sku
            )
            threshold = get_settings().specialist_item_threshold
            item_details = {
                "sku": item.sku,
                "unit_price": str(item.unit_price),
                "specialist_item_threshold": str(threshold),
            }
            if item.unit_price >= threshold:
                facts = [
                    f"Order: {req.order_number}",
                    f"Item: {item.name} (SKU {item.sku}), {item.unit_price} each, "
                    f"quantity {item.quantity}",
                ]
                return _specialist_case(
                    session, req, actor, "major_shipping_error", facts, item_details
                )

    # (c) the conversation already has an open ticket: it keeps its place in the queue.
    existing = open_ticket_for(session, req.conversation_id)
    if existing is not None:
        out = created_out(session, existing)
        _decision(session, req, actor, out, existing=True, **item_details)
        return Routed(out=out, created=False)

    # (d) can anybody take it now?
    wait = wait_minutes(next_queue_position(session, req.tier))
    available = routing.availability(session, req.tier, wait, now)
    if not available.available and not (req.wait_anyway and available.reason == "long_wait"):
        out = HandoffCreated(
            outcome="unavailable",
            conversation_id=req.conversation_id,
            ticket_number=None,
            tier=req.tier,
            status=None,
            queue_position=None,
            estimated_wait_minutes=wait if available.reason == "long_wait" else None,
            case_number=None,
            unavailable_reason=available.reason,
            business_hours=routing.get_business_hours().describe(),
            next_open_at=available.next_open_at,
        )
        _decision(session, req, actor, out, agents_online=available.agents_online, **item_details)
        return Routed(out=out, created=False)

    # (e) into the tier's queue.
    ticket, created = create(session, req, actor)
    out = created_out(session, ticket)
    _decision(
        session,
        req,
        actor,
        out,
        existing=not created,
        agents_online=available.agents_online,
        **item_details,
    )
    return Routed(out=out, created=created)
