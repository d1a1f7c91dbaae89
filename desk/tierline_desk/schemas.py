"""The value types every door's models share: order numbers, phones, emails, money, UTC times,
and the closed vocabularies (order statuses, case kinds, handoff reasons); and the field sets of
a concept more than one door takes or shows (an address, a handoff ticket's case card).

Each door keeps its own request and response models: api/schemas.py, console/schemas.py,
public/schemas.py (and the importer's, importer.py); they extend these field sets with their
own model config.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, PlainSerializer
from pydantic_core import PydanticCustomError

# ASCII digits only: Python's \d also matches Arabic-Indic, Devanagari, full-width... digits,
# which would pass as "canonical" and then never match a stored order (the bot folds them first).
ORDER_NUMBER_RE = re.compile(r"^[0-9]{3}-[0-9]{7}-[0-9]{7}$")
E164_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

CaseKind = Literal[
    "damaged_item",
    "wrong_item",
    "missing_package",
    "payment_issue",
    "trade_in_credit",
    "recurring_delivery_problem",
    "complaint",
    # routing rules (services/routing.py, services/handoffs.py, services/delivery_reports.py)
    "major_shipping_error",
    "recurring_delivery_route",
    "email_follow_up",
]
HandoffReasonCode = Literal[
    "general", "shipping_error", "trade_in", "delivery_problem", "complaint"
]
HandoffOutcome = Literal["queued", "specialist_case", "unavailable"]
UnavailableReason = Literal["outside_hours", "no_agents_online", "long_wait"]


def is_order_number(value: str) -> bool:
    return bool(ORDER_NUMBER_RE.fullmatch(value))


def _check_order_number(value: str) -> str:
    if not is_order_number(value):
        raise PydanticCustomError(
            "invalid_order_number", "order numbers are canonical ddd-ddddddd-ddddddd"
        )
    return value


def _check_phone(value: str) -> str:
    if not E164_RE.fullmatch(value):
        raise PydanticCustomError("invalid_phone", "phone must be E.164, e.g. +14155550123")
    return value


def _check_email(value: str) -> str:
    if not EMAIL_RE.fullmatch(value):
        raise PydanticCustomError("invalid_email", "not a valid email address")
    return value


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


OrderNumber = Annotated[str, AfterValidator(_check_order_number)]
Phone = Annotated[str, AfterValidator(_check_phone)]
Email = Annotated[str, Field(max_length=320), AfterValidator(_check_email)]
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
Money = Annotated[Decimal, PlainSerializer(_money, return_type=str, when_used="json")]
Text = Annotated[str, Field(min_length=1, max_length=5000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
CountryCode = Annotated[str, Field(pattern=r"^[A-Za-z]{2}$"), AfterValidator(str.upper)]


class Address(BaseModel):
    """An address as a shopper (the bot's door) or the store's data (the importer) gives it;
    the country code is taken in either case and kept upper-cased."""

    name: ShortText | None = None
    line1: ShortText
    line2: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100)]
    region: Annotated[str, Field(min_length=1, max_length=100)]
    postal_code: Annotated[str, Field(min_length=1, max_length=20)]
    country: CountryCode = "US"


class HandoffCard(BaseModel):
    """A handoff ticket's case card, as the bot's door and the console both show it."""

    ticket_number: str
    tier: int
    status: str
    reason: str
    customer: dict[str, Any]
    order_number: str | None
    bot_attempts: list[str]
    recent_messages: list[dict[str, Any]]
