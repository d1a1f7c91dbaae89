"""Import customers, orders and promo codes from JSON (the demo data uses this same path).

Dates may be absolute ISO 8601 or relative to the moment of import: ``now``, ``today``, or one or
more signed terms such as ``-12d``, ``+3d``, ``-2h``, ``-1d-3h``, ``-30m``. Everything is validated
before anything is written, and the whole file is written in one transaction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.functional_validators import BeforeValidator
from sqlalchemy import select
from sqlalchemy.orm import Session
from tierline_common.orders import OrderStatus

from .models import Customer, Order, OrderItem, PromoCode, Refund, Return
from .schemas import E164_RE, EMAIL_RE, Address, is_order_number
from .services.ids import unique_random_id

_REL_TERM = re.compile(r"([+-])(\d+)([dhm])")
_REL_FULL = re.compile(r"^(?:[+-]\d+[dhm])+$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class ImportFailed(Exception):
    """The file is not valid; ``problems`` lists every error found, each naming its record."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: nothing imported, {len(problems)} problem(s):\n{lines}")


def _now(info: ValidationInfo) -> datetime:
    ctx = info.context or {}
    now = ctx.get("now")
    return now if isinstance(now, datetime) else datetime.now(UTC)


def _relative(value: str, now: datetime) -> datetime | None:
    text = value.strip().lower()
    if text in ("now", "today"):
        return now
    if not _REL_FULL.fullmatch(text):
        return None
    delta = timedelta()
    for sign, amount, unit in _REL_TERM.findall(text):
        step = timedelta(**{_UNITS[unit]: int(amount)})
        delta += step if sign == "+" else -step
    return now + delta


def _to_datetime(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        rel = _relative(value, _now(info))
        if rel is not None:
            return rel
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(
                f"{value!r} is neither ISO 8601 nor a relative date like '-12d' or '+3d'"
            ) from None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return value


def _to_date(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str):
        rel = _relative(value, _now(info))
        if rel is not None:
            return rel.date()
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise ValueError(
                f"{value!r} is neither an ISO date nor a relative date like '-12d' or '+3d'"
            ) from None
    return value


When = Annotated[datetime, BeforeValidator(_to_datetime)]
Day = Annotated[date, BeforeValidator(_to_date)]
Price = Annotated[Decimal, Field(ge=0, max_digits=12, decimal_places=2)]
Str200 = Annotated[str, Field(min_length=1, max_length=200)]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL can't store a NUL character in text (SQLite could): refuse it here, with
        # the record named, instead of failing half-way through the write.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("contains a NUL character")
        return value


class AddressIn(_M, Address):
    """A customer's or an order's address in the file."""


class CustomerIn(_M):
    id: Annotated[str, Field(min_length=1, max_length=32)]
    name: Str200
    email: Annotated[str, Field(max_length=320)]
    phone: str | None = None
    address: AddressIn

    @field_validator("email")
    @classmethod
    def _email(cls, v: str) -> str:
        if not EMAIL_RE.fullmatch(v):
            raise ValueError("not a valid email address")
        return v

    @field_validator("phone")
    @classmethod
    def _phone(cls, v: str | None) -> str | None:
        if v is not None and not E164_RE.fullmatch(v):
            raise ValueError("phone must be E.164, e.g. +14155550123")
        return v


class ReturnIn(_M):
    rma_number: Annotated[str, Field(pattern=r"^RMA-[A-Z0-9]{6}$")] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=2000)] = "Imported return"
    created_at: When | None = None
    return_by: Day | None = None


class ItemIn(_M):
    sku: Annotated[str, Field(min_length=1, max_length=64)]
    name: Annotated[str, Field(min_length=1, max_length=300)]
    quantity: Annotated[int, Field(ge=1, le=99)] = 1
    unit_price: Price
    returnable: bool = True
    return_status: Literal["authorized", "received"] | None = None
    return_: ReturnIn | None = Field(default=None, alias="return")

    @model_validator(mode="after")
    def _return_needs_status(self) -> ItemIn:
        if self.return_ is not None and self.return_status is None:
            raise ValueError("'return' given without 'return_status'")
        return self


class LastScanIn(_M):
    at: When
    location: Annotated[str, Field(max_length=200)] | None = None
    description: Annotated[str, Field(max_length=300)] | None = None


class TradeInIn(_M):
    device: Str200
    quoted_credit: Price
    status: Annotated[str, Field(min_length=1, max_length=32)]


class RefundIn(_M):
    refund_id: Annotated[str, Field(pattern=r"^RF-[A-Z0-9]{4,12}$")] | None = None
    amount: Price | None = None
    status: Literal["pending", "issued"]
    method: Annotated[str, Field(min_length=1, max_length=64)] = "original_payment_method"
    created_at: When | None = None
    expected_by: Day | None = None


class OrderIn(_M):
    order_number: str
    customer_id: Annotated[str, Field(min_length=1, max_length=32)]
    status: OrderStatus
    placed_at: When
    shipped_at: When | None = None
    delivered_at: When | None = None
    estimated_delivery: Day | None = None
    carrier: Annotated[str, Field(max_length=50)] | None = None
    tracking_number: Annotated[str, Field(max_length=64)] | None = None
    last_scan: LastScanIn | None = None
    shipping_address: AddressIn | None = None
    currency: Literal["USD"] = "USD"
    items: Annotated[list[ItemIn], Field(min_length=1)]
    trade_in: TradeInIn | None = None
    refunds: list[RefundIn] = Field(default_factory=list)

    @field_validator("order_number")
    @classmethod
    def _number(cls, v: str) -> str:
        if not is_order_number(v):
            raise ValueError("order numbers are ddd-ddddddd-ddddddd (3-7-7 digits)")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> OrderIn:
        skus = [i.sku for i in self.items]
        dupes = sorted({s for s in skus if skus.count(s) > 1})
        if dupes:
            raise ValueError(f"duplicate sku(s) in items: {', '.join(dupes)}")
        if self.status in ("delivered", "returned") and self.delivered_at is None:
            raise ValueError(f"status {self.status!r} needs delivered_at")
        if self.status == "processing" and (self.shipped_at or self.delivered_at):
            raise ValueError("a processing order has neither shipped_at nor delivered_at")
        if self.delivered_at and self.delivered_at < self.placed_at:
            raise ValueError("delivered_at is before placed_at")
        return self


class PromoIn(_M):
    code: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{2,64}$")]
    description: Annotated[str, Field(min_length=1, max_length=300)]
    discount_percent: Annotated[int, Field(ge=1, le=100)] | None = None
    discount_amount: Price | None = None
    free_shipping: bool = False
    min_spend: Price | None = None
    starts_at: When | None = None
    expires_at: When | None = None

    @model_validator(mode="after")
    def _one_benefit(self) -> PromoIn:
        given = [self.discount_percent is not None, self.discount_amount is not None]
        if sum(given) + int(self.free_shipping) != 1:
            raise ValueError(
                "give exactly one of discount_percent, discount_amount, free_shipping=true"
            )
        return self


class ImportFile(_M):
    customers: list[CustomerIn] = Field(default_factory=list)
    orders: list[OrderIn] = Field(default_factory=list)
    promo_codes: list[PromoIn] = Field(default_factory=list)


@dataclass
class ImportResult:
    customers_added: int = 0
    customers_skipped: int = 0
    orders_added: int = 0
    orders_skipped: int = 0
    promo_codes_added: int = 0
    promo_codes_skipped: int = 0
    skipped_orders: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"customers: {self.customers_added} added, {self.customers_skipped} already there; "
            f"orders: {self.orders_added} added, {self.orders_skipped} already there; "
            f"promo codes: {self.promo_codes_added} added, "
            f"{self.promo_codes_skipped} already there"
        )


def _record_label(raw: Any, loc: tuple[int | str, ...]) -> str:
    """``orders[3] (112-4839201-5573910).items[0].unit_price`` from a pydantic error location."""
    parts: list[str] = []
    node = raw
    for i, key in enumerate(loc):
        if isinstance(key, int):
            parts[-1] = f"{parts[-1]}[{key}]" if parts else f"[{key}]"
            try:
                node = node[key]
            except (IndexError, KeyError, TypeError):
                node = None
            if i == 1 and isinstance(node, dict):
                ident = node.get("order_number") or node.get("id") or node.get("code")
                if isinstance(ident, str):
                    parts[-1] += f" ({ident})"
        else:
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return ".".join(parts) or "file"


def parse(raw: Any, source: str, now: datetime) -> ImportFile:
    if not isinstance(raw, dict):
        raise ImportFailed(source, ["the file must hold a JSON object with 'customers'/'orders'"])
    try:
        data = ImportFile.model_validate(raw, context={"now": now})
    except ValidationError as exc:
        raise ImportFailed(
            source,
            [f"{_record_label(raw, tuple(err['loc']))}: {err['msg']}" for err in exc.errors()],
        ) from None
    problems: list[str] = []
    for kind, keys in (
        ("customers", [c.id for c in data.customers]),
        ("orders", [o.order_number for o in data.orders]),
        ("promo_codes", [p.code.upper() for p in data.promo_codes]),
    ):
        seen: set[str] = set()
        for i, key in enumerate(keys):
            if key in seen:
                problems.append(f"{kind}[{i}] ({key}): duplicate of an earlier record")
            seen.add(key)
    if problems:
        raise ImportFailed(source, problems)
    return data


def import_data(
    session: Session, raw: Any, *, source: str = "<data>", now: datetime | None = None
) -> ImportResult:
    """Validate ``raw`` and write it in one transaction (commits; rolls back on any error).

    Existing customers, orders and promo codes (same id/number/code) are left alone.
    """
    now = now or datetime.now(UTC)
    data = parse(raw, source, now)
    result = ImportResult()
    try:
        _write(session, data, source, now, result)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


def _write(
    session: Session, data: ImportFile, source: str, now: datetime, result: ImportResult
) -> None:
    file_customers = {c.id: c for c in data.customers}
    existing_customers = {
        c.id: c
        for c in session.scalars(
            select(Customer).where(
                Customer.id.in_(set(file_customers) | {o.customer_id for o in data.orders})
            )
        )
    }
    problems = [
        f"orders[{i}] ({o.order_number}).customer_id: unknown customer {o.customer_id!r} "
        "(not in this file's customers nor in the database)"
        for i, o in enumerate(data.orders)
        if o.customer_id not in file_customers and o.customer_id not in existing_customers
    ]
    if problems:
        raise ImportFailed(source, problems)

    customers: dict[str, Customer] = dict(existing_customers)
    for c in data.customers:
        if c.id in existing_customers:
            result.customers_skipped += 1
            continue
        row = Customer(
            id=c.id,
            name=c.name,
            email=c.email,
            phone=c.phone,
            line1=c.address.line1,
            line2=c.address.line2,
            city=c.address.city,
            region=c.address.region,
            postal_code=c.address.postal_code,
            country=c.address.country,
            created_at=now,
        )
        session.add(row)
        customers[c.id] = row
        result.customers_added += 1

    existing_orders = set(
        session.scalars(
            select(Order.order_number).where(
                Order.order_number.in_([o.order_number for o in data.orders])
            )
        )
    )
    for o in data.orders:
        if o.order_number in existing_orders:
            result.orders_skipped += 1
            result.skipped_orders.append(o.order_number)
            continue
        order, returns = _order_row(session, o, customers[o.customer_id], now)
        session.add(order)
        session.flush()
        session.add_all(returns)
        result.orders_added += 1

    existing_codes = set(
        session.scalars(
            select(PromoCode.code).where(
                PromoCode.code.in_([p.code.upper() for p in data.promo_codes])
            )
        )
    )
    for p in data.promo_codes:
        if p.code.upper() in existing_codes:
            result.promo_codes_skipped += 1
            continue
        session.add(
            PromoCode(
                code=p.code.upper(),
                description=p.description,
                discount_percent=p.discount_percent,
                discount_amount=p.discount_amount,
                free_shipping=p.free_shipping,
                min_spend=p.min_spend,
                starts_at=p.starts_at,
                expires_at=p.expires_at,
            )
        )
        result.promo_codes_added += 1
    session.flush()


def _order_row(
    session: Session, o: OrderIn, customer: Customer, now: datetime
) -> tuple[Order, list[Return]]:
    addr = o.shipping_address
    order = Order(
        order_number=o.order_number,
        customer_id=customer.id,
        status=o.status,
        placed_at=o.placed_at,
        shipped_at=o.shipped_at,
        delivered_at=o.delivered_at,
        cancelled_at=None,
        estimated_delivery=o.estimated_delivery,
        carrier=o.carrier,
        tracking_number=o.tracking_number,
        last_scan_at=o.last_scan.at if o.last_scan else None,
        last_scan_location=o.last_scan.location if o.last_scan else None,
        last_scan_description=o.last_scan.description if o.last_scan else None,
        ship_name=(addr.name if addr and addr.name else customer.name),
        ship_line1=addr.line1 if addr else customer.line1,
        ship_line2=addr.line2 if addr else customer.line2,
        ship_city=addr.city if addr else customer.city,
        ship_region=addr.region if addr else customer.region,
        ship_postal_code=addr.postal_code if addr else customer.postal_code,
        ship_country=addr.country if addr else customer.country,
        currency=o.currency,
        trade_in_device=o.trade_in.device if o.trade_in else None,
        trade_in_quoted_credit=o.trade_in.quoted_credit if o.trade_in else None,
        trade_in_status=o.trade_in.status if o.trade_in else None,
        created_at=now,
        updated_at=now,
    )
    if o.status == "cancelled":
        order.cancelled_at = o.placed_at
    returns: list[Return] = []
    for pos, it in enumerate(o.items):
        order.items.append(
            OrderItem(
                position=pos,
                sku=it.sku,
                name=it.name,
                quantity=it.quantity,
                unit_price=it.unit_price,
                returnable=it.returnable,
                return_status=it.return_status,
            )
        )
        if it.return_status is not None:
            ret = it.return_ or ReturnIn()
            created = ret.created_at or now
            returns.append(
                Return(
                    rma_number=ret.rma_number
                    or unique_random_id(session, Return, "rma_number", "RMA", 6),
                    order_number=o.order_number,
                    sku=it.sku,
                    item_name=it.name,
                    reason=ret.reason,
                    return_by=ret.return_by or (created + timedelta(days=14)).date(),
                    refund_estimate=it.unit_price * it.quantity,
                    carrier="UPS",
                    created_at=created,
                )
            )
    total = sum((i.unit_price * i.quantity for i in o.items), Decimal("0.00"))
    for rf in o.refunds:
        created = rf.created_at or now
        order.refunds.append(
            Refund(
                refund_id=rf.refund_id or unique_random_id(session, Refund, "refund_id", "RF", 8),
                amount=rf.amount if rf.amount is not None else total,
                status=rf.status,
                method=rf.method,
                created_at=created,
                expected_by=rf.expected_by,
            )
        )
    return order, returns


def load_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ImportFailed(str(path), [f"cannot read the file: {exc.strerror or exc}"]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailed(
            str(path), [f"not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"]
        ) from None


def import_file(session: Session, path: Path, *, now: datetime | None = None) -> ImportResult:
    return import_data(session, load_file(path), source=str(path), now=now)


DEMO_FILE = Path(__file__).resolve().parent / "demo" / "orders.json"


def seed_demo(session: Session, *, now: datetime | None = None) -> ImportResult:
    return import_file(session, DEMO_FILE, now=now)
