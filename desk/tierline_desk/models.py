"""Database models (SQLAlchemy 2, typed). Generic column types only: SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from . import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    # clock.now(): the real time, unless seed-history set its explicit override (clock.py).
    return clock.now()


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, always hands back timezone-aware UTC datetimes."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Money = Numeric(12, 2, asdecimal=True)

INTEGER_MAX = 2**31 - 1
"""The largest value an ``Integer`` column holds on PostgreSQL (int4). SQLAlchemy binds a number
compared with such a column as ``::INTEGER``, so a larger one from a request (an id in a path,
a sequence number) fails the query with "integer out of range" there, where SQLite just finds
nothing: bound such inputs by this."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    postal_code: Mapped[str] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), default="US")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The store's own id for this row (docs/store.md); None on the builtin store.
    store_ref: Mapped[str | None] = mapped_column(String(64), index=True)

    orders: Mapped[list[Order]] = relationship(back_populates="customer")


class Order(Base):
    __tablename__ = "orders"

    order_number: Mapped[str] = mapped_column(String(19), primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    placed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    estimated_delivery: Mapped[date | None] = mapped_column(Date())
    carrier: Mapped[str | None] = mapped_column(String(50))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    last_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_scan_location: Mapped[str | None] = mapped_column(String(200))
    last_scan_description: Mapped[str | None] = mapped_column(String(300))
    ship_name: Mapped[str] = mapped_column(String(200))
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_line2: Mapped[str | None] = mapped_column(String(200))
    ship_city: Mapped[str] = mapped_column(String(100))
    ship_region: Mapped[str] = mapped_column(String(100))
    ship_postal_code: Mapped[str] = mapped_column(String(20))
    ship_country: Mapped[str] = mapped_column(String(2), default="US")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    trade_in_device: Mapped[str | None] = mapped_column(String(200))
    trade_in_quoted_credit: Mapped[Decimal | None] = mapped_column(Money)
    trade_in_status: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The store's own id for this row (docs/store.md); None on the builtin store.
    store_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    # When the index last read this order from the store (None: never; the builtin store).
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    customer: Mapped[Customer] = relationship(back_populates="orders")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.position"
    )
    refunds: Mapped[list[Refund]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="Refund.created_at"
    )

    @property
    def total(self) -> Decimal:
        return sum((item.unit_price * item.quantity for item in self.items), Decimal("0.00"))


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("order_number", "sku"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.order_number", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)
    returnable: Mapped[bool] = mapped_column(Boolean, default=True)
    return_status: Mapped[str | None] = mapped_column(String(16))

    order: Mapped[Order] = relationship(back_populates="items")


class Refund(Base):
    __tablename__ = "refunds"

    refund_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_number: Mapped[str] = mapped_column(
        ForeignKey("orders.order_number", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16))
    method: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expected_by: Mapped[date | None] = mapped_column(Date())
    # Set when an agent issued it from the console (null: the bot or an import); these count
    # against the agents' authority budgets (services/authority_budget.py).
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    ticket_number: Mapped[str | None] = mapped_column(String(32), index=True)
    # The store's own id for this row (docs/store.md); None on the builtin store.
    store_ref: Mapped[str | None] = mapped_column(String(64), index=True)

    order: Mapped[Order] = relationship(back_populates="refunds")


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (UniqueConstraint("order_number", "sku"),)

    rma_number: Mapped[str] = mapped_column(String(16), primary_key=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.order_number", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    item_name: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    return_by: Mapped[date] = mapped_column(Date())
    refund_estimate: Mapped[Decimal] = mapped_column(Money)
    carrier: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The store's own id for this row (docs/store.md); None on the builtin store.
    store_ref: Mapped[str | None] = mapped_column(String(64), index=True)


class PromoCode(Base):
    __tablename__ = "promo_codes"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(String(300))
    discount_percent: Mapped[int | None] = mapped_column(Integer)
    discount_amount: Mapped[Decimal | None] = mapped_column(Money)
    free_shipping: Mapped[bool] = mapped_column(Boolean, default=False)
    min_spend: Mapped[Decimal | None] = mapped_column(Money)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The store's own id for this row (docs/store.md); None on the builtin store.
    store_ref: Mapped[str | None] = mapped_column(String(64), index=True)


class Callback(Base):
    __tablename__ = "callbacks"

    callback_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    window_end: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
    order_number: Mapped[str | None] = mapped_column(String(19))
    status: Mapped[str] = mapped_column(String(16), default="scheduled", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Console follow-up: scheduled -> called | no_answer | rescheduled (new window) | cancelled.
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    handled_by: Mapped[str | None] = mapped_column(String(64))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class HandoffTicket(Base):
    __tablename__ = "handoff_tickets"
    __table_args__ = (
        Index("ix_handoff_tickets_tier_status", "tier", "status"),
        # At most one open (waiting or claimed) ticket per conversation, enforced by the
        # database too.
        Index(
            "uq_handoff_tickets_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=text("status IN ('waiting', 'claimed')"),
            postgresql_where=text("status IN ('waiting', 'claimed')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_number: Mapped[str] = mapped_column(String(32), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    tier: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    reason: Mapped[str] = mapped_column(Text)
    customer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    order_number: Mapped[str | None] = mapped_column(String(19))
    bot_attempts: Mapped[list[str]] = mapped_column(JSON, default=list)
    recent_messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Human tiers (the agent console). status: waiting -> claimed -> resolved | referred, or
    # back to waiting (tier 2) on escalation. queued_at: when it (re)entered its tier's queue.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_by: Mapped[str | None] = mapped_column(String(64))
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_note: Mapped[str | None] = mapped_column(Text)
    referred_case_number: Mapped[str | None] = mapped_column(String(32))
    # When a person first wrote to the shopper on this ticket (services/sla.py).
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    claimer: Mapped[Agent | None] = relationship(foreign_keys=[claimed_by])


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    team: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    response_channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    order_number: Mapped[str | None] = mapped_column(String(19))
    customer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    description: Mapped[str] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # open -> answered (a reply was emailed) -> closed
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(64))


class TranscriptRequest(Base):
    __tablename__ = "transcript_requests"

    request_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditLog(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    order_number: Mapped[str | None] = mapped_column(String(19), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# ---- human tiers: agents, console sessions, agent actions ----------------------------------

AGENT_ROLES = ("associate", "supervisor", "specialist", "admin")


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Updated by the console while the agent has it open: "agents online" for routing.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Tickets the desk assigns this agent at once (None: AGENT_CAPACITY); services/assignment.py.
    capacity: Mapped[int | None] = mapped_column(Integer)
    # The round robin's pointer: among agents with room, the one assigned longest ago is next.
    last_assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AgentSession(Base):
    """A console login. The cookie carries a random token; only its SHA-256 is stored."""

    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())

    agent: Mapped[Agent] = relationship()


class Certificate(Base):
    """A promotional certificate (store credit) an agent issued to a shopper."""

    __tablename__ = "certificates"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.order_number"), index=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    ticket_number: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The store's own id for this row (docs/store.md); None on the builtin store.
    store_ref: Mapped[str | None] = mapped_column(String(64), index=True)


class AuthorityGrant(Base):
    """Extra money a supervisor or specialist approved for one ticket (docs/authority.md)."""

    __tablename__ = "authority_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_number: Mapped[str] = mapped_column(String(32), index=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.order_number"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    approver: Mapped[Agent] = relationship()


class Reship(Base):
    """Items an agent sent again (replacement shipment) for an order."""

    __tablename__ = "reships"

    reship_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    order_number: Mapped[str] = mapped_column(ForeignKey("orders.order_number"), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    issued_by: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="requested")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The store's own id for this row (docs/store.md); None on the builtin store.
    store_ref: Mapped[str | None] = mapped_column(String(64), index=True)


class IdempotencyKey(Base):
    """The stored result of an agent action, replayed when the same key comes again."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("agent_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ---- the shopper's web chat: one conversation, one ordered history --------------------------

CHAT_MODES = ("bot", "agent", "closed")
CHAT_SENDERS = ("shopper", "bot", "agent", "system")


class Conversation(Base):
    """A web chat conversation the desk owns: who the shopper is and who has the conversation.

    ``mode`` is ``bot`` (messages go to Rasa; also while queued for a person) or ``agent`` (a
    person claimed the handoff ticket; messages go to the console). ``last_seq`` allocates the
    per-conversation message sequence numbers (row-locked increment).
    """

    __tablename__ = "conversations"
    # The desks' look for answers owed (services/bot_relay.py): recent conversations the bot has.
    __table_args__ = (Index("ix_conversations_mode_last_activity_at", "mode", "last_activity_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str | None] = mapped_column(String(32), index=True)
    channel: Mapped[str] = mapped_column(String(16), default="web")
    mode: Mapped[str] = mapped_column(String(16), default="bot")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agent: Mapped[Agent | None] = relationship(foreign_keys=[agent_id])


class ChatMessage(Base):
    """One line of the conversation, as the shopper and the agents see it (seq orders it)."""

    __tablename__ = "chat_messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq", name="uq_chat_messages_conversation_seq"),
        # A retried shopper message (same client id) is stored once.
        UniqueConstraint(
            "conversation_id", "client_id", name="uq_chat_messages_conversation_client"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.conversation_id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(16))
    author: Mapped[str | None] = mapped_column(String(200))
    author_role: Mapped[str | None] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ---- cases answered by email, route reports ------------------------------------------------


class CaseMessage(Base):
    """An email on a case: a specialist's reply from the console (outbound) or the shopper's
    answer by email (inbound, mail/inbound.py)."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_number: Mapped[str] = mapped_column(
        ForeignKey("cases.case_number", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(16), default="outbound")
    author: Mapped[str] = mapped_column(String(64))
    to_email: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    sent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Inbound (the shopper's reply by email): who wrote it, and the earlier text it quoted
    # (``body`` holds only the new text).
    from_email: Mapped[str | None] = mapped_column(String(320))
    quoted: Mapped[str | None] = mapped_column(Text)


class DeliveryReport(Base):
    """A shopper's delivery problem, kept per ZIP code to spot recurring route problems."""

    __tablename__ = "delivery_reports"
    __table_args__ = (
        Index("ix_delivery_reports_postal_code_created_at", "postal_code", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    postal_code: Mapped[str] = mapped_column(String(20))
    order_number: Mapped[str | None] = mapped_column(String(19))
    conversation_id: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    route_case_number: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ---- the agents' desk: canned replies (macros), internal notes, mention notifications -------

MACRO_ROLES = ("associate", "supervisor", "specialist")
"""The roles that write to shoppers, and so may be shown a macro (Macro.roles)."""


class Macro(Base):
    """A canned reply: a title and a body with placeholders filled from the case card."""

    __tablename__ = "macros"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    # Which of MACRO_ROLES see it in their composer.
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class InternalNote(Base):
    """An agents-only note on a ticket or an email case; never shown or sent to the shopper."""

    __tablename__ = "internal_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Exactly one of the two is set.
    ticket_number: Mapped[str | None] = mapped_column(String(32), index=True)
    case_number: Mapped[str | None] = mapped_column(String(32), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    body: Mapped[str] = mapped_column(Text)
    # Usernames of the agents the note's @mentions notified.
    mentioned: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[Agent] = relationship()


class AgentNotification(Base):
    """An agent was @mentioned in an internal note (read_at: when they opened the list)."""

    __tablename__ = "agent_notifications"
    __table_args__ = (Index("ix_agent_notifications_agent_id_read_at", "agent_id", "read_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"))
    note_id: Mapped[int] = mapped_column(ForeignKey("internal_notes.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    note: Mapped[InternalNote] = relationship()


# ---- evidence: files a shopper attached in the web chat (tierline_desk/attachments) ----------


class Attachment(Base):
    """A checked, re-encoded file a shopper attached to their conversation (docs/evidence.md).

    The bytes live in the attachment store (a local directory or the ``attachment_blobs``
    table), under ``storage_key`` (and ``storage_key + ".thumb"`` for the thumbnail).
    ``message_seq``: the chat message that carries it (None until sent).
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attachment_id: Mapped[str] = mapped_column(String(32), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # image | pdf
    content_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100))
    has_thumbnail: Mapped[bool] = mapped_column(Boolean, default=False)
    message_seq: Mapped[int | None] = mapped_column(Integer)
    # The order line it shows (set when a handoff or case names the order and item).
    order_number: Mapped[str | None] = mapped_column(String(19))
    sku: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttachmentBlob(Base):
    """The bytes of an attachment when ``ATTACHMENT_STORE=database`` (every replica sees it)."""

    __tablename__ = "attachment_blobs"

    storage_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AttachmentOrderLine(Base):
    """The order line a conversation's photos show, named when the bot hands over a damaged or
    wrong item: photos sent before and after it carry it (tierline_desk/attachments)."""

    __tablename__ = "attachment_order_lines"

    conversation_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    order_number: Mapped[str] = mapped_column(String(19))
    sku: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# ---- assignment and SLAs (services/assignment.py, services/sla.py) -------------------------


class TierSetting(Base):
    """Per tier: whether the desk assigns new tickets itself (no row: AUTO_ASSIGN_TIERS)."""

    __tablename__ = "tier_settings"

    tier: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    auto_assign: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SlaBreach(Base):
    """A ticket missed an SLA target: noticed once (the unique pair), shown to supervisors."""

    __tablename__ = "sla_breaches"
    __table_args__ = (
        UniqueConstraint("ticket_number", "target", name="uq_sla_breaches_ticket_number_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_number: Mapped[str] = mapped_column(String(32))
    tier: Mapped[int] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(16))  # first_reply | resolution
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    noticed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# ---- customer satisfaction (services/csat.py, docs/analytics.md) ----------------------------


class CsatResponse(Base):
    """One shopper's answer to "How did we do?" (1-5, optional comment), once per subject.

    ``subject`` is what was rated: ``ticket:<number>`` (a web chat a person resolved or handed
    back), ``case:<number>`` (an email case, from the closing email's link) or
    ``chat:<conversation id>`` (a bot-only chat, when CSAT_BOT_CHATS is on). Its uniqueness is
    what makes every survey single-use. ``tier``: 0 the bot, 1 associates, 2 supervisors,
    3 specialists. ``reason``: the handoff reason, or the case kind.
    """

    __tablename__ = "csat_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subject: Mapped[str] = mapped_column(String(240), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    conversation_id: Mapped[str] = mapped_column(String(200), index=True)
    ticket_number: Mapped[str | None] = mapped_column(String(32))
    case_number: Mapped[str | None] = mapped_column(String(32))
    tier: Mapped[int] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # The supervisor's follow-up case a low score opened (services/csat.py).
    follow_up_case_number: Mapped[str | None] = mapped_column(String(32))

    agent: Mapped[Agent | None] = relationship()


class InboundMail(Base):
    """Every mail the desk took in (local catcher, IMAP, webhook), once per Message-ID.

    ``status`` is ``threaded`` (it became a :class:`CaseMessage`) or ``quarantined`` (kept for
    an admin to see, with ``reason``; it touched no case). docs/email.md has the rules.
    """

    __tablename__ = "inbound_mails"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    from_email: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str | None] = mapped_column(String(40))
    case_number: Mapped[str | None] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer, default=0)
    # The start of the text (quarantined mails), so an admin can tell what it was.
    excerpt: Mapped[str] = mapped_column(Text, default="")


class MailAttachment(Base):
    """A checked file from an inbound mail (an image or a PDF); ``owner`` says whose."""

    __tablename__ = "mail_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
