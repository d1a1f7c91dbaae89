"""From Medusa's JSON to the fields of the desk's index rows (``models.py``), as plain data.

Pure functions, no I/O: the adapter reads Medusa (fields in ``keys.py``), maps here, and writes
the index rows. What each Tierline state is in Medusa is in docs/store-medusa.md; in short:

- ``cancelled``: Medusa's order is ``canceled``.
- ``processing``: no fulfilment (or only canceled ones).
- shipped, and Tierline's carrier states: a fulfilment shipped, not delivered; the carrier's
  word (``out_for_delivery``, ``delayed``, ``lost``) is ``tierline_carrier_status``.
- ``delivered``: the fulfilment is delivered; ``returned`` when a return of it was received
  with no refund issued yet, ``refunded`` once one is.

Dates come from ``tierline_timeline`` when the order has one (the demo's dates, resolved when
it was seeded: Medusa stamps "now"), else from Medusa's own. Amounts are Decimals from
Medusa's numbers in the currency's main unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from . import keys as k

Json = dict[str, Any]
CENT = Decimal("0.01")
ISSUED = "issued"
RECEIVED_RETURN = ("received", "partially_received")
OPEN_RETURN = ("requested",)
REFUND_METHOD = "original_payment_method"


class MappingError(ValueError):
    """The JSON lacks something a row cannot do without (the message says what)."""


@dataclass(frozen=True)
class CustomerRow:
    id: str
    name: str
    email: str
    phone: str | None
    line1: str
    line2: str | None
    city: str
    region: str
    postal_code: str
    country: str
    created_at: datetime
    store_ref: str


@dataclass(frozen=True)
class OrderItemRow:
    position: int
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    returnable: bool
    return_status: str | None  # "authorized" (requested) | "received" | None


@dataclass(frozen=True)
class RefundRow:
    refund_id: str
    amount: Decimal
    status: str  # "pending" | "issued"
    method: str
    created_at: datetime
    expected_by: date | None
    store_ref: str | None  # Medusa's ref_... (None: not refunded in Medusa yet)


@dataclass(frozen=True)
class ReturnRow:
    rma_number: str
    order_number: str
    sku: str
    item_name: str
    reason: str
    return_by: date
    refund_estimate: Decimal
    carrier: str
    created_at: datetime
    store_ref: str


@dataclass(frozen=True)
class OrderRow:
    order_number: str
    customer_id: str
    status: str
    placed_at: datetime
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    estimated_delivery: date | None
    carrier: str | None
    tracking_number: str | None
    last_scan_at: datetime | None
    last_scan_location: str | None
    last_scan_description: str | None
    ship_name: str
    ship_line1: str
    ship_line2: str | None
    ship_city: str
    ship_region: str
    ship_postal_code: str
    ship_country: str
    currency: str
    trade_in_device: str | None
    trade_in_quoted_credit: Decimal | None
    trade_in_status: str | None
    store_ref: str
    items: tuple[OrderItemRow, ...]
    refunds: tuple[RefundRow, ...]
    returns: tuple[ReturnRow, ...]

    @property
    def total(self) -> Decimal:
        return sum((i.unit_price * i.quantity for i in self.items), Decimal("0.00"))


@dataclass(frozen=True)
class PromoCodeRow:
    code: str
    description: str
    discount_percent: int | None
    discount_amount: Decimal | None
    free_shipping: bool
    min_spend: Decimal | None
    starts_at: datetime | None
    expires_at: datetime | None
    store_ref: str


# ---- small readers


def when(value: Any) -> datetime | None:
    """An aware UTC datetime from Medusa's ISO strings (``...Z``), or None."""
    if not isinstance(value, str) or not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def day(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    return date.fromisoformat(value[:10])


def amount(value: Any) -> Decimal:
    """Medusa's number (119.99, or a float like 12.999 for computed totals) to cents."""
    if isinstance(value, dict):  # a raw_* BigNumber: {"value": "119.99", "precision": 20}
        value = value.get("value")
    if value is None or isinstance(value, bool):
        raise MappingError(f"not an amount: {value!r}")
    return Decimal(str(value)).quantize(CENT)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _meta(obj: Json) -> Json:
    return _dict(obj.get("metadata"))


def _required(obj: Json, key: str, what: str) -> Any:
    value = obj.get(key)
    if value is None or value == "":
        raise MappingError(f"{what} has no {key}")
    return value


def _name(first: Any, last: Any) -> str:
    return " ".join(p for p in (_text(first), _text(last)) if p)


def _address(address: Json, prefix: str = "") -> dict[str, Any]:
    """A Medusa address as Tierline's address fields (``prefix``: ``ship_`` on an order)."""
    fields = {
        "line1": str(address.get("address_1") or ""),
        "line2": _text(address.get("address_2")),
        "city": str(address.get("city") or ""),
        "region": str(address.get("province") or ""),
        "postal_code": str(address.get("postal_code") or ""),
        "country": str(address.get("country_code") or "us").upper(),
    }
    return {prefix + name: value for name, value in fields.items()}


# ---- customers


def customer_row(customer: Json) -> CustomerRow:
    """A Medusa customer (fields ``keys.CUSTOMER_FIELDS``); its address is the default
    shipping one, else the first."""
    store_ref = str(_required(customer, "id", "the customer"))
    addresses = [a for a in customer.get("addresses") or [] if isinstance(a, dict)]
    address = next((a for a in addresses if a.get("is_default_shipping")), None) or (
        addresses[0] if addresses else None
    )
    if address is None:
        raise MappingError(f"customer {store_ref} has no address")
    return CustomerRow(
        id=_text(_meta(customer).get(k.CUSTOMER_ID)) or store_ref,
        name=_name(customer.get("first_name"), customer.get("last_name"))
        or str(_required(customer, "email", f"customer {store_ref}")),
        email=str(_required(customer, "email", f"customer {store_ref}")),
        phone=_text(customer.get("phone")),
        **_address(address),
        created_at=when(customer.get("created_at")) or datetime.now(UTC),
        store_ref=store_ref,
    )


# ---- orders


def _live_fulfillments(order: Json) -> list[Json]:
    return [f for f in order.get("fulfillments") or [] if not f.get("canceled_at")]


def _medusa_refunds(order: Json) -> list[Json]:
    return [
        ref
        for pc in order.get("payment_collections") or []
        for p in pc.get("payments") or []
        for ref in p.get("refunds") or []
    ]


def _position(item: Json) -> int:
    """The line's place in the order as placed (``tierline_position``); last when absent."""
    value = _meta(item).get(k.POSITION)
    return value if isinstance(value, int) and not isinstance(value, bool) else 1_000_000


def _item_sku(item: Json) -> str:
    return str(item.get("variant_sku") or item.get("id"))


def return_rows(order_number: str, order: Json, returns: list[Json]) -> list[ReturnRow]:
    """One row per line of each return that is not canceled (the desk's ``Return`` rows)."""
    items = {i.get("id"): i for i in order.get("items") or []}
    rows: list[ReturnRow] = []
    for ret in returns:
        if ret.get("status") == "canceled" or ret.get("canceled_at"):
            continue
        meta = _meta(ret)
        store_ref = str(_required(ret, "id", "a return"))
        created = when(meta.get(k.RETURN_CREATED_AT)) or when(ret.get("created_at"))
        if created is None:
            raise MappingError(f"return {store_ref} has no created_at")
        lines = [ri for ri in ret.get("items") or [] if isinstance(ri, dict)]
        for n, line in enumerate(lines):
            item = items.get(line.get("item_id")) or {}
            sku = _text(meta.get(k.RETURN_SKU)) if len(lines) == 1 else None
            sku = sku or _item_sku(item)
            quantity = int(line.get("quantity") or 0)
            rma = _text(meta.get(k.RMA_NUMBER)) if len(lines) == 1 else None
            reason = (
                _text(meta.get(k.RETURN_REASON))
                or _text(line.get("note"))
                or _text((line.get("reason") or {}).get("label"))
                or "Return"
            )
            rows.append(
                ReturnRow(
                    rma_number=rma or k.stable_id("RMA", 6, store_ref, str(n)),
                    order_number=order_number,
                    sku=sku,
                    item_name=str(item.get("title") or sku),
                    reason=reason,
                    return_by=day(meta.get(k.RETURN_BY))
                    or (created + timedelta(days=k.RETURN_DAYS)).date(),
                    refund_estimate=amount(item.get("unit_price", 0)) * quantity,
                    carrier=_text(meta.get(k.RETURN_CARRIER)) or k.RETURN_CARRIER_NAME,
                    created_at=created,
                    store_ref=store_ref,
                )
            )
    return rows


def refund_rows(order: Json) -> list[RefundRow]:
    """Tierline's refunds (``tierline_refunds``: the pending ones and the issued ones with
    Medusa's id), then any refund made in Medusa that Tierline did not list, as issued."""
    rows: list[RefundRow] = []
    listed: set[str] = set()
    medusa = _medusa_refunds(order)
    for raw in _meta(order).get(k.REFUNDS) or []:
        if not isinstance(raw, dict):
            continue
        store_ref = _text(raw.get("store_ref"))
        if store_ref:
            listed.add(store_ref)
        created = when(raw.get("created_at")) or when(order.get("created_at"))
        rows.append(
            RefundRow(
                refund_id=str(_required(raw, "refund_id", "a tierline_refunds entry")),
                amount=amount(_required(raw, "amount", "a tierline_refunds entry")),
                status=str(raw.get("status") or "pending"),
                method=str(raw.get("method") or REFUND_METHOD),
                created_at=created or datetime.now(UTC),
                expected_by=day(raw.get("expected_by")),
                store_ref=store_ref,
            )
        )
    for ref in medusa:
        ref_id = str(_required(ref, "id", "a refund"))
        if ref_id in listed:
            continue
        rows.append(
            RefundRow(
                refund_id=ref_id,
                amount=amount(ref.get("amount")),
                status=ISSUED,
                method=REFUND_METHOD,
                created_at=when(ref.get("created_at")) or datetime.now(UTC),
                expected_by=None,
                store_ref=ref_id,
            )
        )
    return rows


def order_status(order: Json, returns: list[Json], refunds: list[RefundRow]) -> str:
    """Tierline's status for a Medusa order (module docstring)."""
    if order.get("status") == "canceled":
        return "cancelled"
    live = _live_fulfillments(order)
    if not live or not any(f.get("shipped_at") for f in live):
        return "processing"
    if all(f.get("delivered_at") for f in live):
        received = any(
            r.get("status") in RECEIVED_RETURN and not r.get("canceled_at") for r in returns
        )
        if received:
            return "refunded" if any(r.status == ISSUED for r in refunds) else "returned"
        return "delivered"
    carrier_status = _meta(order).get(k.CARRIER_STATUS)
    return carrier_status if carrier_status in k.CARRIER_STATES else "shipped"


def claim_item_ids(claims: list[Json]) -> set[str]:
    """The order items a claim (a reship) added: replacements, not what the shopper bought."""
    return {
        str(extra.get("item_id"))
        for claim in claims
        if not claim.get("canceled_at")
        for extra in claim.get("additional_items") or []
        if isinstance(extra, dict) and extra.get("item_id")
    }


def order_row(
    order: Json, returns: list[Json] | None = None, claims: list[Json] | None = None
) -> OrderRow:
    """A Medusa order (fields ``keys.ORDER_FIELDS``), its returns (``/admin/returns``) and
    claims (``/admin/claims``, fields ``keys.CLAIM_FIELDS``: their replacement items are
    left out of the order's items)."""
    returns = returns or []
    replacements = claim_item_ids(claims or [])
    if replacements:
        order = {
            **order,
            "items": [i for i in order.get("items") or [] if i.get("id") not in replacements],
        }
    meta = _meta(order)
    store_ref = str(_required(order, "id", "the order"))
    number = _text(meta.get(k.ORDER_NUMBER))
    if number is None:
        raise MappingError(f"order {store_ref} has no {k.ORDER_NUMBER} in its metadata")
    timeline = _dict(meta.get(k.TIMELINE))
    live = _live_fulfillments(order)
    shipped = next((f for f in live if f.get("shipped_at")), None)
    labels = [lb for lb in (shipped or {}).get("labels") or [] if lb.get("tracking_number")]
    scan = _dict(meta.get(k.LAST_SCAN))
    trade_in = _dict(meta.get(k.TRADE_IN))
    address = _dict(order.get("shipping_address"))
    placed = when(timeline.get("placed_at")) or when(order.get("created_at"))
    if placed is None:
        raise MappingError(f"order {number} has no created_at")

    return_lines = return_rows(number, order, returns)
    status_of_sku: dict[str, str] = {}
    for ret in returns:
        if ret.get("status") == "canceled":
            continue
        state = "received" if ret.get("status") in RECEIVED_RETURN else "authorized"
        for row in return_lines:
            if row.store_ref == ret.get("id"):
                status_of_sku[row.sku] = state
    items = sorted(
        (i for i in order.get("items") or [] if isinstance(i, dict)),
        key=lambda i: (str(i.get("created_at") or ""), _position(i), str(i.get("id") or "")),
    )
    refunds = refund_rows(order)
    delivered_at = None
    if live and all(f.get("delivered_at") for f in live):
        delivered_at = when(timeline.get("delivered_at")) or when(live[0].get("delivered_at"))
    return OrderRow(
        order_number=number,
        customer_id=_text(meta.get(k.CUSTOMER_ID)) or str(order.get("customer_id") or ""),
        status=order_status(order, returns, refunds),
        placed_at=placed,
        shipped_at=(when(timeline.get("shipped_at")) or when(shipped.get("shipped_at")))
        if shipped
        else None,
        delivered_at=delivered_at,
        cancelled_at=(when(timeline.get("cancelled_at")) or when(order.get("canceled_at")))
        if order.get("status") == "canceled"
        else None,
        estimated_delivery=day(meta.get(k.ESTIMATED_DELIVERY)),
        carrier=_text(meta.get(k.CARRIER)),
        tracking_number=str(labels[0]["tracking_number"]) if labels else None,
        last_scan_at=when(scan.get("at")),
        last_scan_location=_text(scan.get("location")),
        last_scan_description=_text(scan.get("description")),
        ship_name=_name(address.get("first_name"), address.get("last_name")),
        **_address(address, "ship_"),
        currency=str(order.get("currency_code") or "usd").upper(),
        trade_in_device=_text(trade_in.get("device")),
        trade_in_quoted_credit=amount(trade_in["quoted_credit"])
        if trade_in.get("quoted_credit") is not None
        else None,
        trade_in_status=_text(trade_in.get("status")),
        store_ref=store_ref,
        items=tuple(
            OrderItemRow(
                position=pos,
                sku=_item_sku(item),
                name=str(item.get("title") or item.get("product_title") or _item_sku(item)),
                quantity=int(item.get("quantity") or 0),
                unit_price=amount(item.get("unit_price")),
                returnable=_meta(item).get(k.RETURNABLE) is not False,
                return_status=status_of_sku.get(_item_sku(item)),
            )
            for pos, item in enumerate(items)
        ),
        refunds=tuple(refunds),
        returns=tuple(return_lines),
    )


# ---- promotions


def promo_code_row(promotion: Json) -> PromoCodeRow | None:
    """A Medusa promotion (fields ``keys.PROMOTION_FIELDS``); None unless it is active (the
    desk then treats the code as unknown). The window is its campaign's."""
    if promotion.get("status") != "active":
        return None
    code = str(_required(promotion, "code", "a promotion")).upper()
    method = _dict(promotion.get("application_method"))
    meta = _meta(promotion)
    campaign = _dict(promotion.get("campaign"))
    kind, target = method.get("type"), method.get("target_type")
    value = method.get("value")
    percent: int | None = None
    fixed: Decimal | None = None
    free_shipping = False
    if target == "shipping_methods" and kind == "percentage" and amount(value) == 100:
        free_shipping = True
    elif kind == "percentage":
        percent = int(amount(value))
    elif kind == "fixed":
        fixed = amount(value)
    else:
        raise MappingError(f"promotion {code}: application method {kind}/{target} not mapped")
    min_spend = meta.get(k.MIN_SPEND)
    if min_spend is None:
        for rule in promotion.get("rules") or []:
            if rule.get("attribute") == "item_total" and rule.get("operator") in ("gte", "gt"):
                values = [v.get("value") for v in rule.get("values") or []]
                min_spend = values[0] if values else None
    return PromoCodeRow(
        code=code,
        description=_text(meta.get(k.PROMO_DESCRIPTION))
        or _text(method.get("description"))
        or code,
        discount_percent=percent,
        discount_amount=fixed,
        free_shipping=free_shipping,
        min_spend=amount(min_spend) if min_spend is not None else None,
        starts_at=when(campaign.get("starts_at")),
        expires_at=when(campaign.get("ends_at")),
        store_ref=str(_required(promotion, "id", f"promotion {code}")),
    )
