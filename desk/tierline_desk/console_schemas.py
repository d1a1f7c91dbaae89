"""Pydantic models of the agent console API (``/console/api``)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from .schemas import CaseKind, CaseOut, Money

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Amount = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(_In):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class AgentOut(BaseModel):
    username: str
    display_name: str
    role: str


class SessionOut(BaseModel):
    agent: AgentOut
    csrf_token: str
    expires_at: datetime


class MoneyActionIn(_In):
    amount: Amount
    reason: Text


class ReshipItemIn(_In):
    sku: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    quantity: Annotated[int, Field(ge=1, le=99)] = 1


class ReshipIn(_In):
    items: Annotated[list[ReshipItemIn], Field(min_length=1, max_length=50)]
    reason: Text


class EscalateIn(_In):
    note: Text


class ReferIn(_In):
    note: Text
    kind: CaseKind = "complaint"


class ResolveIn(_In):
    outcome: Text


class ApproveIn(_In):
    """A supervisor's approval of more money on one ticket (docs/authority.md)."""

    amount: Amount
    note: Text


class ApprovalOut(BaseModel):
    ticket_number: str
    order_number: str
    amount: Money
    note: str
    approved_by: str
    approved_total: Money = Field(description="everything approved for this ticket so far")
    created_at: datetime


class BudgetOut(BaseModel):
    """What the logged-in agent may still issue on a ticket (money: "12.50" or "unlimited")."""

    role: str
    ticket_number: str
    order_number: str
    budget: str | None = Field(description="the role's budget per ticket and order; null: none")
    approved: Money = Field(description="extra approved by supervisors for this ticket")
    spent_on_ticket: Money
    spent_on_order: Money
    daily: str | None
    spent_today: Money
    left: str = Field(description="refunds + certificates still allowed here, all limits applied")
    scope: str = Field(description="what binds `left`: ticket, order, daily or none")
    refund_left: str | None = Field(description="largest refund allowed now; null: not permitted")
    certificate_left: str | None
    reships_left: int | None = Field(description="reships left on the order; null: no limit")


class OrderItemSummary(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: Money


class OrderSummary(BaseModel):
    order_number: str
    status: str
    customer_id: str
    customer_name: str
    total: Money
    refunded: Money
    currency: str
    items: list[OrderItemSummary]


class TicketCard(BaseModel):
    ticket_number: str
    tier: int
    status: str
    reason: str
    customer: dict[str, Any]
    order_number: str | None
    bot_attempts: list[str]
    recent_messages: list[dict[str, Any]]
    created_at: datetime
    queued_at: datetime | None
    waiting_seconds: int | None = Field(
        description="time in the current queue; null unless waiting"
    )
    queue_position: int | None
    claimed_by: str | None
    claimed_at: datetime | None
    escalated_by: str | None
    escalated_at: datetime | None
    escalation_note: str | None
    referred_case_number: str | None
    outcome: str | None
    resolved_at: datetime | None
    order: OrderSummary | None


class QueueOut(BaseModel):
    tier: int
    name: str
    waiting: list[TicketCard]


class QueuesOut(BaseModel):
    agent: AgentOut
    queues: list[QueueOut]
    my_tickets: list[TicketCard]
    claimed_by_others: list[TicketCard]
    specialist_cases: list[CaseOut]


class RefundOut(BaseModel):
    refund_id: str
    ticket_number: str
    order_number: str
    amount: Money
    status: str
    method: str
    expected_by: date | None
    reason: str
    issued_by: str
    created_at: datetime


class CertificateOut(BaseModel):
    code: str
    ticket_number: str
    order_number: str
    customer_id: str
    amount: Money
    reason: str
    issued_by: str
    created_at: datetime


class ReshipOut(BaseModel):
    reship_id: str
    ticket_number: str
    order_number: str
    items: list[dict[str, Any]]
    reason: str
    status: str
    issued_by: str
    created_at: datetime
