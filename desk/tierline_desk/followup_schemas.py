"""Pydantic models of the console's follow-up API: callbacks, email cases, analytics, outbox."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .schemas import UtcDateTime

Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
ReplyBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]

CallbackView = Literal["due", "all"]
CallbackOutcome = Literal["called", "no_answer", "rescheduled", "cancelled"]
DueState = Literal["overdue", "due_now", "upcoming"]
CaseStatusFilter = Literal["open", "answered", "closed", "all"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


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


class CaseMessageOut(BaseModel):
    id: int
    direction: str
    author: str
    to_email: str
    subject: str
    body: str
    message_id: str | None
    sent: bool
    created_at: datetime


class CaseDetailOut(BaseModel):
    case: CaseCard
    messages: list[CaseMessageOut]


class CaseReplyIn(_In):
    body: ReplyBody
    close: bool = False


class CaseReplyOut(BaseModel):
    case: CaseCard
    reply: CaseMessageOut
    email_sent: bool
    message: str


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


class AnalyticsOut(BaseModel):
    days: int
    since: datetime
    until: datetime
    conversations: int
    bot_resolved: int
    bot_resolution_share: float | None
    handoffs_by_tier: HandoffsByTier
    wait_seconds: Durations
    resolution_seconds: Durations
    top_reasons: list[ReasonCount]
    daily: list[DailyPoint]
