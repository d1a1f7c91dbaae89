"""The bot's door: request and response models of ``/api/v1`` (docs/backend-api.md)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from tierline_common.orders import OrderStatus

from ..schemas import (
    Address,
    CaseKind,
    Email,
    HandoffCard,
    HandoffOutcome,
    HandoffReasonCode,
    Money,
    OrderNumber,
    Phone,
    ShortText,
    Text,
    UnavailableReason,
    UtcDateTime,
)


class In(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")


class Proof(In):
    email: Annotated[str, Field(max_length=320)] | None = None
    customer_id: Annotated[str, Field(max_length=64)] | None = None


# ---------------------------------------------------------------- orders
class LookupRequest(Proof):
    order_number: OrderNumber


class RecentOrdersRequest(In):
    """A signed-in customer's own orders: only a channel-verified customer id proves an account
    (an email proves one order, not the account)."""

    customer_id: Annotated[str, Field(max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=10)] = 5


class CancelRequest(Proof):
    reason: Annotated[str, Field(max_length=2000)] | None = None


class AddressIn(In, Address):
    pass  # the address a shopper asks an order to ship to (no docstring: none in the OpenAPI)


class AddressChangeRequest(Proof):
    address: AddressIn


class QuantityRequest(Proof):
    quantity: Annotated[int, Field(ge=0, le=99, strict=True)]


class AddressOut(BaseModel):
    name: str
    line1: str
    line2: str | None
    city: str
    region: str
    postal_code: str
    country: str


class LastScan(BaseModel):
    at: datetime
    location: str | None
    description: str | None


class CustomerOut(BaseModel):
    id: str
    name: str
    email: str


class ItemOut(BaseModel):
    sku: str
    name: str
    quantity: int
    unit_price: Money
    returnable: bool
    return_status: Literal["authorized", "received"] | None


class TradeInOut(BaseModel):
    device: str
    quoted_credit: Money
    status: str


class RefundOut(BaseModel):
    refund_id: str
    amount: Money
    status: Literal["pending", "issued"]
    method: str
    created_at: datetime
    expected_by: date | None


class OrderOut(BaseModel):
    order_number: str
    status: OrderStatus
    placed_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    estimated_delivery: date | None
    carrier: str | None
    tracking_number: str | None
    last_scan: LastScan | None
    customer: CustomerOut
    shipping_address: AddressOut
    items: list[ItemOut]
    total: Money
    currency: str
    return_deadline: date | None
    trade_in: TradeInOut | None
    refunds: list[RefundOut]


class OrderSummaryOut(BaseModel):
    """One line of a customer's order list: enough to tell the orders apart."""

    order_number: str
    status: OrderStatus
    placed_at: datetime
    first_item: str | None
    item_count: int


class RecentOrdersOut(BaseModel):
    orders: list[OrderSummaryOut]


# ---------------------------------------------------------------- returns
class ReturnRequest(Proof):
    order_number: OrderNumber
    sku: Annotated[str, Field(min_length=1, max_length=64)]
    reason: Text


class ReturnOut(BaseModel):
    rma_number: str
    order_number: str
    sku: str
    item_name: str
    reason: str
    return_by: date
    refund_estimate: Money
    drop_off_instructions: str
    label_url: str


# ---------------------------------------------------------------- promos
class PromoOut(BaseModel):
    code: str
    valid: bool
    reason: Literal["expired", "min_spend_not_met", "not_started"] | None
    description: str
    discount_percent: int | None
    discount_amount: Money | None
    min_spend: Money | None
    expires_at: datetime | None
    starts_at: datetime | None
    free_shipping: bool


# ---------------------------------------------------------------- callbacks
class CallbackRequest(In):
    conversation_id: ShortText
    phone: Phone
    window_start: UtcDateTime
    window_end: UtcDateTime
    reason: Text
    # Stored in callbacks.customer_id, String(32) like every customer id (PostgreSQL refuses a
    # longer value where SQLite kept it).
    customer_id: Annotated[str, Field(max_length=32)] | None = None
    email: Email | None = None
    order_number: OrderNumber | None = None

    @model_validator(mode="after")
    def _window_order(self) -> CallbackRequest:
        if self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


class CallbackOut(BaseModel):
    callback_id: str
    status: str
    phone: str
    window_start: datetime
    window_end: datetime
    conversation_id: str
    reason: str
    customer_id: str | None
    email: str | None
    order_number: str | None
    created_at: datetime


# ---------------------------------------------------------------- handoffs
class CustomerRef(In):
    id: Annotated[str, Field(max_length=64)] | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    name: Annotated[str, Field(max_length=200)] | None = None


class MessageIn(In):
    sender: Literal["user", "bot"]
    text: Annotated[str, Field(max_length=5000)]
    at: UtcDateTime | None = None


class HandoffRequest(In):
    conversation_id: ShortText
    tier: Literal[1, 2]
    reason: Text
    customer: CustomerRef = Field(default_factory=CustomerRef)
    order_number: OrderNumber | None = None
    bot_attempts: Annotated[list[Annotated[str, Field(max_length=2000)]], Field(max_length=100)] = (
        Field(default_factory=list)
    )
    recent_messages: Annotated[list[MessageIn], Field(max_length=200)] = Field(default_factory=list)
    # Routing (docs/routing.md): what the problem is, the item concerned, and whether the
    # shopper chose to wait although the wait is long.
    reason_code: HandoffReasonCode = "general"
    sku: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    wait_anyway: bool = False

    @model_validator(mode="after")
    def _sku_needs_order(self) -> HandoffRequest:
        if self.sku is not None and self.order_number is None:
            raise ValueError("sku needs the order_number of the order it belongs to")
        return self


class HandoffCreated(BaseModel):
    """What became of a handoff request: a ticket in a queue, a specialist case, or nothing
    because nobody can take it now (``unavailable_reason`` says why)."""

    outcome: HandoffOutcome
    conversation_id: str
    ticket_number: str | None
    tier: int | None
    status: str | None
    queue_position: int | None
    estimated_wait_minutes: int | None
    case_number: str | None
    unavailable_reason: UnavailableReason | None
    business_hours: str
    next_open_at: datetime | None


class HandoffOut(HandoffCard):
    """A handoff ticket with its case card."""

    queue_position: int | None
    estimated_wait_minutes: int | None
    conversation_id: str
    outcome: str | None
    created_at: datetime
    resolved_at: datetime | None


class ResumeRequest(In):
    outcome: Text


# ---------------------------------------------------------------- cases
class CaseRequest(In):
    kind: CaseKind
    conversation_id: ShortText
    order_number: OrderNumber | None = None
    customer: CustomerRef = Field(default_factory=CustomerRef)
    description: Text
    postal_code: Annotated[str, Field(max_length=20)] | None = None


class CaseCreated(BaseModel):
    case_number: str
    kind: str
    team: Literal["associates", "executive_customer_relations"]
    status: str
    response_channel: Literal["chat", "email"]


class CaseOut(CaseCreated):
    conversation_id: str
    order_number: str | None
    customer: dict[str, Any]
    description: str
    postal_code: str | None
    created_at: datetime


# ---------------------------------------------------------------- delivery reports
PostalCode = Annotated[
    str, Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9][A-Za-z0-9 -]*$")
]


class DeliveryReportRequest(In):
    conversation_id: ShortText
    order_number: OrderNumber | None = None
    postal_code: PostalCode | None = None
    description: Text


class DeliveryReportCreated(BaseModel):
    report_id: int
    postal_code: str
    reports_in_window: int
    route_case_number: str | None
    route_case_opened: bool


class DeliveryReportOut(BaseModel):
    report_id: int
    postal_code: str
    order_number: str | None
    conversation_id: str
    description: str
    route_case_number: str | None
    created_at: datetime


# ---------------------------------------------------------------- console presence
# ---------------------------------------------------------------- transcripts
class TranscriptRequestIn(In):
    conversation_id: ShortText
    email: Email


class TranscriptRequestOut(BaseModel):
    request_id: str
    status: str
    email: str


class OutboxItem(BaseModel):
    message_id: str
    to: str
    sender: str
    subject: str
    date: datetime | None
    delivered_at: datetime
    kind: str | None
    reference: str | None


class OutboxMessage(OutboxItem):
    text: str
    html: str | None


class ReturnPolicyOut(BaseModel):
    window_days: int


class TranscriptRequestResult(TranscriptRequestOut):
    message: str
