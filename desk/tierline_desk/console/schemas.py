"""The agents' door: request and response models of the console API (``/console/api``).

Tickets and money actions, then the follow-ups: callbacks, email cases, analytics.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from ..api.schemas import CaseOut
from ..attachments.schemas import AttachmentOut
from ..schemas import CaseKind, HandoffCard, Money, UtcDateTime

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Amount = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ReplyBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]

CallbackView = Literal["due", "all"]
CallbackOutcome = Literal["called", "no_answer", "rescheduled", "cancelled"]
DueState = Literal["overdue", "due_now", "upcoming"]
CaseStatusFilter = Literal["open", "answered", "closed", "all"]


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


class TicketSlaOut(BaseModel):
    """The ticket against its tier's SLA targets (docs/sla.md)."""

    first_reply_due_at: UtcDateTime
    resolution_due_at: UtcDateTime
    first_reply_at: UtcDateTime | None
    seconds_left: int | None = Field(
        description="until the nearest open target (negative: overdue); null once closed"
    )
    breached: list[Literal["first_reply", "resolution"]]


class TicketCard(HandoffCard):
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
    sla: TicketSlaOut | None = None


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


# ---------------------------------------------------------------- callbacks


class ConsoleCallback(BaseModel):
    callback_id: str
    status: str = Field(description="scheduled | rescheduled | no_answer | called | cancelled")
    final: bool = Field(description="true once called or cancelled: no more outcomes")
    due_state: DueState | None = Field(
        description="open callbacks only: overdue (window over), due_now (inside the window) "
        "or upcoming (window not started); null for final ones"
    )
    phone: str
    window_start: datetime
    window_end: datetime
    reason: str
    conversation_id: str
    customer_id: str | None
    email: str | None
    order_number: str | None
    attempts: int = Field(description="calls nobody answered")
    handled_by: str | None
    outcome_note: str | None
    created_at: datetime
    updated_at: datetime | None


class CallbackListOut(BaseModel):
    view: CallbackView
    now: datetime
    due_ahead_minutes: int
    total: int = Field(description="callbacks in the view (all: before limit/offset)")
    limit: int | None = Field(description="null for the due view (never paginated)")
    offset: int
    callbacks: list[ConsoleCallback]


class CallbackOutcomeIn(_In):
    status: CallbackOutcome
    note: Note
    window_start: UtcDateTime | None = None
    window_end: UtcDateTime | None = None

    @model_validator(mode="after")
    def _window_only_for_reschedule(self) -> CallbackOutcomeIn:
        has_window = self.window_start is not None or self.window_end is not None
        if self.status == "rescheduled":
            if self.window_start is None or self.window_end is None:
                raise ValueError("rescheduled needs the new window_start and window_end")
            if self.window_end <= self.window_start:
                raise ValueError("window_end must be after window_start")
        elif has_window:
            raise ValueError("window_start/window_end are only for status rescheduled")
        return self


class CallbackOutcomeOut(BaseModel):
    callback: ConsoleCallback
    email_queued: bool = Field(
        description="rescheduled only: the 'callback booked' mail with the new window is "
        "queued (false when no address is known, or for other outcomes)"
    )


# ---------------------------------------------------------------- cases


class CaseCard(BaseModel):
    case_number: str
    kind: str
    kind_label: str
    team: str
    status: str = Field(description="open | answered | closed")
    response_channel: str
    conversation_id: str
    order_number: str | None
    customer: dict[str, Any]
    customer_email: str | None = Field(
        description="where replies go: customer.email, else the customer record's address"
    )
    description: str
    postal_code: str | None
    created_at: datetime
    closed_at: datetime | None
    closed_by: str | None
    message_count: int
    unsent_count: int = Field(description="replies stored but not accepted by the mail server")
    last_message_at: datetime | None


class CaseListOut(BaseModel):
    status: CaseStatusFilter
    total: int
    limit: int
    offset: int
    cases: list[CaseCard]


class CaseAttachmentOut(BaseModel):
    id: int
    filename: str
    content_type: str = Field(description="sniffed from the bytes: image/* or application/pdf")
    size: int
    url: str


class CaseMessageOut(BaseModel):
    id: int
    direction: str = Field(description="outbound (from the console) | inbound (shopper's email)")
    author: str
    to_email: str
    subject: str
    body: str = Field(description="inbound: the new text only (quoted earlier text apart)")
    message_id: str | None
    sent: bool
    created_at: datetime
    from_email: str | None = None
    quoted: str | None = Field(default=None, description="inbound: the earlier text it quoted")
    attachments: list[CaseAttachmentOut] = Field(default_factory=list)


class CaseDetailOut(BaseModel):
    case: CaseCard
    messages: list[CaseMessageOut]
    # The photos and PDFs the shopper sent in the conversation the case came from.
    attachments: list[AttachmentOut] = []


class CaseReplyIn(_In):
    body: ReplyBody
    close: bool = False


class CaseReplyOut(BaseModel):
    case: CaseCard
    reply: CaseMessageOut
    email_sent: bool
    message: str


class QuarantinedMailOut(BaseModel):
    id: int
    message_id: str
    source: str = Field(description="smtp (local catcher) | imap | webhook")
    received_at: datetime
    from_email: str
    subject: str
    reason: str | None = Field(
        description="auto_reply | bounce | no_case | forged_token | ambiguous_case | "
        "unknown_sender | failed_authentication | too_large | unreadable"
    )
    case_number: str | None
    size: int
    excerpt: str


class QuarantineOut(BaseModel):
    total: int
    limit: int
    offset: int
    mails: list[QuarantinedMailOut]


class CaseCloseIn(_In):
    note: Note


class CaseCloseOut(BaseModel):
    case: CaseCard
    note: str


# ---------------------------------------------------------------- analytics


class Durations(BaseModel):
    avg: float | None
    p50: float | None
    p90: float | None
    count: int


class HandoffsByTier(BaseModel):
    tier_1: int = Field(serialization_alias="1")
    tier_2: int = Field(serialization_alias="2")
    specialist: int


class ReasonCount(BaseModel):
    reason: str
    count: int


class DailyPoint(BaseModel):
    date: date
    conversations: int
    bot_resolved: int
    handoffs: int
    resolved: int


class FunnelStage(BaseModel):
    """How many conversations reached a level: the bot, then each human tier."""

    stage: Literal["bot", "associates", "supervisors", "specialists"]
    label: str
    count: int


class TierWait(BaseModel):
    tier: int
    wait_seconds: Durations


class CsatGroup(BaseModel):
    key: str
    label: str
    responses: int
    average: float | None
    satisfied_share: float | None = Field(description="share of 4s and 5s, 0-1")


class CsatDay(BaseModel):
    date: date
    responses: int
    average: float | None


class CsatSummary(BaseModel):
    """Satisfaction answers given in the window (services/csat_analytics.py)."""

    responses: int
    average: float | None
    satisfied_share: float | None = Field(description="share of 4s and 5s, 0-1")
    low_scores: int = Field(description="answers at or under CSAT_LOW_SCORE")
    scores: list[int] = Field(description="how many 1s, 2s, 3s, 4s and 5s")
    by_tier: list[CsatGroup]
    by_agent: list[CsatGroup]
    by_reason: list[CsatGroup]
    daily: list[CsatDay]


class AnalyticsOut(BaseModel):
    days: int
    since: datetime
    until: datetime
    # The tier filter (1, 2, 3 = specialists); None: every tier. See services/analytics.py.
    tier: int | None = None
    conversations: int
    bot_resolved: int
    bot_resolution_share: float | None
    handoffs_by_tier: HandoffsByTier
    wait_seconds: Durations
    resolution_seconds: Durations
    top_reasons: list[ReasonCount]
    daily: list[DailyPoint]
    # Sections, one field each (more can sit beside them).
    funnel: list[FunnelStage]
    wait_by_tier: list[TierWait]
    csat: CsatSummary


class ReferralOut(BaseModel):
    ticket: TicketCard
    case: CaseOut


class AuthorityOut(BaseModel):
    role: str
    refund: str | None = Field(description='"200.00", "unlimited", or null: not allowed')
    certificate: str | None
    reship: bool
    budget: str | None = Field(description="refunds + certificates per ticket and per order")
    daily: str | None = Field(description="refunds + certificates per agent per UTC day")
    reships_per_order: int | None = Field(description="null: no limit")


class ChatMessageOut(BaseModel):
    seq: int
    sender: str
    author: str | None
    author_role: str | None
    text: str
    buttons: list[dict[str, str]]
    created_at: str
    attachments: list[AttachmentOut] = []


class TicketChatOut(BaseModel):
    conversation_id: str
    web_chat: bool = Field(description="false for conversations outside the web chat")
    mode: str | None
    messages: list[ChatMessageOut]
    shopper_typing: bool


class AgentMessageIn(BaseModel):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]


class HandbackIn(BaseModel):
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class PresenceOut(BaseModel):
    agent: str
    online: dict[str, int]  # tier ("1", "2") -> agents online for it


# ---- assignment and SLAs (console/assignment.py, console/sla.py; docs/routing.md, docs/sla.md)

Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agent: Username


class AutoAssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_assign: bool


class CapacityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    capacity: int | None = Field(ge=1, le=50, description="null: the AGENT_CAPACITY default")


class TierAssignmentOut(BaseModel):
    tier: int
    auto_assign: bool
    agents_online: int


class AgentLoadOut(BaseModel):
    username: str
    display_name: str
    role: str
    tiers: list[int]
    online: bool
    load: int
    capacity: int
    capacity_is_default: bool


class AssignmentOut(BaseModel):
    tiers: list[TierAssignmentOut]
    agents: list[AgentLoadOut]
    default_capacity: int


class SlaBreachOut(BaseModel):
    id: int
    ticket_number: str
    tier: int
    target: Literal["first_reply", "resolution"]
    due_at: UtcDateTime
    noticed_at: UtcDateTime
    acknowledged_by: str | None
    acknowledged_at: UtcDateTime | None


class SlaTally(BaseModel):
    met: int
    total: int
    percent: float | None


class SlaDay(BaseModel):
    date: date
    first_reply: SlaTally
    resolution: SlaTally


class SlaSeriesOut(BaseModel):
    first_reply: SlaTally
    resolution: SlaTally
    daily: list[SlaDay]


class SlaTierOut(SlaSeriesOut):
    tier: int
    first_reply_minutes: int
    resolution_minutes: int


class SlaAgentOut(SlaSeriesOut):
    agent: str


class SlaAttainmentOut(BaseModel):
    days: int
    since: UtcDateTime
    tiers: list[SlaTierOut]
    agents: list[SlaAgentOut]
