"""mapping.py on JSON captured from a real Medusa seeded with the demo (captured/*.json).

The yardstick is the builtin store: the same demo file imported by the importer (at the moment
the captured store was seeded) must give the same index rows as the mapping gives from Medusa,
apart from the ids the importer draws at random and the store's own references.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from tierline_desk.importer import DEMO_FILE, import_data, load_file
from tierline_desk.models import Base, Customer, Order, PromoCode, Return
from tierline_desk.store.medusa import index
from tierline_desk.store.medusa import keys as k
from tierline_desk.store.medusa.mapping import (
    MappingError,
    customer_row,
    order_row,
    promo_code_row,
    when,
)

CAPTURED = Path(__file__).resolve().parent / "captured"
DEMO = load_file(DEMO_FILE)
DEMO_ORDERS = {o["order_number"]: o for o in DEMO["orders"]}
ORDER_FILES = sorted(CAPTURED.glob("order-*.json"))


def captured(name: str) -> Any:
    return json.loads((CAPTURED / name).read_text())


def seeded_at() -> Any:
    """The seeder's "now": order 112 was placed "-3d" before it."""
    order = captured("order-112-4839201-5573910.json")["order"]
    return when(order["metadata"][k.TIMELINE]["placed_at"]) + timedelta(days=3)  # type: ignore[operator]


@pytest.fixture(scope="module")
def builtin() -> Iterator[Session]:
    """The builtin store's rows for the demo, imported at the captured store's seeding time."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        import_data(session, copy.deepcopy(DEMO), now=seeded_at())
        yield session
    engine.dispose()


# The index's order fields but the store's id, which the builtin store has none of (checked
# against the captured order instead).
ORDER_FIELDS = tuple(name for name in index.ORDER_FIELDS if name != "store_ref")


@pytest.mark.parametrize("path", ORDER_FILES, ids=lambda p: p.stem)
def test_an_order_maps_to_the_builtin_stores_row(path: Path, builtin: Session) -> None:
    data = json.loads(path.read_text())
    row = order_row(data["order"], data["returns"])
    expected = builtin.get(Order, row.order_number)
    assert expected is not None
    for name in ORDER_FIELDS:
        assert getattr(row, name) == getattr(expected, name), name
    assert row.store_ref == data["order"]["id"]
    assert row.total == expected.total

    got_items = sorted(
        (i.sku, i.name, i.quantity, i.unit_price, i.returnable, i.return_status) for i in row.items
    )
    want_items = sorted(
        (i.sku, i.name, i.quantity, i.unit_price, i.returnable, i.return_status)
        for i in expected.items
    )
    assert got_items == want_items
    assert sorted(i.position for i in row.items) == list(range(len(row.items)))

    demo_refunds = DEMO_ORDERS[row.order_number].get("refunds", [])
    assert len(row.refunds) == len(expected.refunds) == len(demo_refunds)
    for got, want, demo in zip(row.refunds, expected.refunds, demo_refunds, strict=True):
        assert (got.amount, got.status, got.method, got.created_at, got.expected_by) == (
            want.amount,
            want.status,
            want.method,
            want.created_at,
            want.expected_by,
        )
        if "refund_id" in demo:
            assert got.refund_id == demo["refund_id"]
        assert (got.store_ref is not None) == (got.status == "issued")

    want_returns = builtin.scalars(
        select(Return).where(Return.order_number == row.order_number)
    ).all()
    assert len(row.returns) == len(want_returns)
    for got_ret in row.returns:
        want_ret = next(r for r in want_returns if r.sku == got_ret.sku)
        for name in ("item_name", "reason", "return_by", "refund_estimate", "carrier"):
            assert getattr(got_ret, name) == getattr(want_ret, name), name
        assert got_ret.created_at == want_ret.created_at
        assert got_ret.rma_number.startswith("RMA-") and len(got_ret.rma_number) == 10


def test_the_captured_orders_cover_every_state() -> None:
    statuses = {DEMO_ORDERS[p.stem.removeprefix("order-")]["status"] for p in ORDER_FILES}
    assert statuses == {
        "processing",
        "shipped",
        "delayed",
        "delivered",
        "returned",
        "refunded",
        "cancelled",
    }


def test_customers_map_to_the_builtin_stores_rows(builtin: Session) -> None:
    rows = [customer_row(c) for c in captured("customers.json")["customers"]]
    assert len(rows) == 5
    for row in rows:
        want = builtin.get(Customer, row.id)
        assert want is not None
        for name in ("name", "email", "phone", "line1", "line2", "city", "region"):
            assert getattr(row, name) == getattr(want, name), name
        assert (row.postal_code, row.country) == (want.postal_code, want.country)
        assert row.store_ref.startswith("cus_")


def test_promotions_map_to_the_builtin_stores_rows(builtin: Session) -> None:
    rows = {
        r.code: r
        for r in (promo_code_row(p) for p in captured("promotions.json")["promotions"])
        if r is not None
    }
    assert len(rows) == 5
    for code, row in rows.items():
        want = builtin.get(PromoCode, code)
        assert want is not None
        for name in ("description", "discount_percent", "discount_amount", "free_shipping"):
            assert getattr(row, name) == getattr(want, name), (code, name)
        assert row.min_spend == want.min_spend
        for name in ("starts_at", "expires_at"):  # Medusa keeps milliseconds
            got, expected = getattr(row, name), getattr(want, name)
            assert got is not None and expected is not None
            assert abs(got - expected) < timedelta(milliseconds=1), (code, name)


def test_a_promotion_that_is_not_active_is_unknown_to_the_desk() -> None:
    promo = copy.deepcopy(captured("promotions.json")["promotions"][0])
    promo["status"] = "inactive"
    assert promo_code_row(promo) is None


def test_minimum_spend_falls_back_to_medusas_rule() -> None:
    (promo,) = (p for p in captured("promotions.json")["promotions"] if p["code"] == "SAVE50")
    promo = copy.deepcopy(promo)
    del promo["metadata"][k.MIN_SPEND]
    row = promo_code_row(promo)
    assert row is not None and row.min_spend == Decimal("200.00")


def shipped_order() -> dict[str, Any]:
    data: dict[str, Any] = captured("order-112-4839201-5573910.json")["order"]
    return copy.deepcopy(data)


def test_a_shipment_without_tierline_dates_uses_medusas() -> None:
    order = shipped_order()
    del order["metadata"][k.TIMELINE]
    row = order_row(order)
    assert row.placed_at == when(order["created_at"])
    assert row.shipped_at == when(order["fulfillments"][0]["shipped_at"])


def test_carrier_words_and_medusas_own_delivery() -> None:
    order = shipped_order()
    order["metadata"][k.CARRIER_STATUS] = "lost"
    assert order_row(order).status == "lost"
    order["metadata"][k.CARRIER_STATUS] = "teleported"  # not Tierline's word: plain shipped
    assert order_row(order).status == "shipped"
    order["fulfillments"][0]["delivered_at"] = "2026-12-07T10:00:00.000Z"
    row = order_row(order)  # delivered in Medusa later: the carrier's old word no longer counts
    assert row.status == "delivered"
    assert row.delivered_at == when("2026-12-07T10:00:00.000Z")


def test_a_canceled_fulfilment_is_back_to_processing() -> None:
    order = shipped_order()
    order["fulfillments"][0]["canceled_at"] = "2026-12-07T10:00:00.000Z"
    row = order_row(order)
    assert (row.status, row.tracking_number, row.shipped_at) == ("processing", None, None)


def test_a_refund_made_in_medusa_alone_is_listed_as_issued() -> None:
    order = shipped_order()
    payment = order["payment_collections"][0]["payments"][0]
    payment["refunds"] = [
        {"id": "ref_1", "amount": 12.99, "created_at": "2026-12-07T10:00:00.000Z", "note": None}
    ]
    (refund,) = order_row(order).refunds
    assert (refund.refund_id, refund.amount, refund.status, refund.store_ref) == (
        "ref_1",
        Decimal("12.99"),
        "issued",
        "ref_1",
    )


def test_an_order_without_a_tierline_number_is_refused() -> None:
    order = shipped_order()
    del order["metadata"][k.ORDER_NUMBER]
    with pytest.raises(MappingError, match=k.ORDER_NUMBER):
        order_row(order)


def test_lines_keep_the_order_they_were_placed_in() -> None:
    order = shipped_order()
    first, second = order["items"]
    for item in (first, second):
        item["created_at"] = "2026-12-07T10:00:00.000Z"  # one cart: one created_at
    first["id"], second["id"] = "ordli_B", "ordli_A"  # ids sort the other way
    first.setdefault("metadata", {})[k.POSITION] = 0
    second.setdefault("metadata", {})[k.POSITION] = 1
    assert [i.sku for i in order_row(order).items] == [first["variant_sku"], second["variant_sku"]]
    del first["metadata"][k.POSITION]  # without a position: after those that have one
    assert [i.sku for i in order_row(order).items] == [second["variant_sku"], first["variant_sku"]]


def test_a_claims_replacement_is_not_an_item_of_the_order() -> None:
    order = shipped_order()
    replacement = {**order["items"][0], "id": "ordli_REPLACEMENT"}
    order["items"].append(replacement)
    claim = {"id": "claim_1", "additional_items": [{"item_id": "ordli_REPLACEMENT"}]}
    assert len(order_row(order).items) == 3
    row = order_row(order, claims=[claim])
    assert [i.sku for i in row.items] == [i.sku for i in order_row(shipped_order()).items]
    assert row.total == order_row(shipped_order()).total
    assert len(order_row(order, claims=[{**claim, "canceled_at": "2026-12-07"}]).items) == 3
