from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from tierline_common.orders import ORDER_STATUSES

from tierline_desk.db import get_session_factory
from tierline_desk.importer import DEMO_FILE, ImportFailed, import_data, import_file, seed_demo
from tierline_desk.migrate import upgrade_head
from tierline_desk.models import Customer, Order, PromoCode, Refund, Return

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

GOOD: dict[str, Any] = {
    "customers": [
        {
            "id": "C-9001",
            "name": "Ada Park",
            "email": "ada@example.com",
            "address": {
                "line1": "12 Elm St",
                "city": "Portland",
                "region": "OR",
                "postal_code": "97205",
            },
        }
    ],
    "orders": [
        {
            "order_number": "900-0000001-0000001",
            "customer_id": "C-9001",
            "status": "delivered",
            "placed_at": "-12d",
            "shipped_at": "2026-03-01T09:30:00Z",
            "delivered_at": "-3d-2h",
            "estimated_delivery": "-3d",
            "carrier": "UPS",
            "items": [
                {"sku": "A", "name": "Kettle", "unit_price": "42.99", "quantity": 2},
                {"sku": "B", "name": "Gift card", "unit_price": "25.00", "returnable": False},
            ],
        },
        {
            "order_number": "900-0000002-0000002",
            "customer_id": "C-9001",
            "status": "cancelled",
            "placed_at": "now",
            "items": [{"sku": "A", "name": "Kettle", "unit_price": "42.99"}],
            "refunds": [{"status": "pending", "expected_by": "+5d"}],
        },
    ],
    "promo_codes": [
        {"code": "test5", "description": "5% off", "discount_percent": 5, "expires_at": "+3d"}
    ],
}


@pytest.fixture
def migrated(empty_db: str) -> Iterator[Session]:
    upgrade_head()
    with get_session_factory()() as session:  # closed: no connection outlives the test
        yield session


def counts(session: Session) -> tuple[int, ...]:
    return tuple(
        int(session.scalar(select(func.count()).select_from(m)) or 0)
        for m in (Customer, Order, PromoCode, Refund, Return)
    )


def test_import_resolves_relative_and_absolute_dates(migrated: Session) -> None:
    result = import_data(migrated, copy.deepcopy(GOOD), now=NOW)
    assert (result.customers_added, result.orders_added, result.promo_codes_added) == (1, 2, 1)
    order = migrated.get(Order, "900-0000001-0000001")
    assert order is not None
    assert order.placed_at == NOW - timedelta(days=12)
    assert order.shipped_at == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert order.delivered_at == NOW - timedelta(days=3, hours=2)
    assert order.estimated_delivery == date(2026, 3, 7)
    assert order.total == Decimal("110.98")
    assert order.ship_postal_code == "97205" and order.ship_name == "Ada Park"
    assert [i.returnable for i in order.items] == [True, False]
    cancelled = migrated.get(Order, "900-0000002-0000002")
    assert cancelled is not None and cancelled.refunds[0].amount == Decimal("42.99")
    assert cancelled.refunds[0].expected_by == date(2026, 3, 15)
    promo = migrated.get(PromoCode, "TEST5")
    assert promo is not None and promo.expires_at == NOW + timedelta(days=3)


def test_import_twice_leaves_existing_rows_alone(migrated: Session) -> None:
    import_data(migrated, copy.deepcopy(GOOD), now=NOW)
    order = migrated.get(Order, "900-0000001-0000001")
    assert order is not None
    order.status = "returned"
    migrated.commit()
    before = counts(migrated)
    result = import_data(migrated, copy.deepcopy(GOOD), now=NOW)
    assert result.orders_added == 0 and result.orders_skipped == 2
    assert result.skipped_orders == ["900-0000001-0000001", "900-0000002-0000002"]
    assert counts(migrated) == before
    migrated.expire_all()
    assert migrated.get(Order, "900-0000001-0000001").status == "returned"  # type: ignore[union-attr]


def test_orders_may_reference_customers_already_in_the_database(migrated: Session) -> None:
    import_data(migrated, copy.deepcopy(GOOD), now=NOW)
    more = {
        "orders": [
            {
                **GOOD["orders"][1],
                "order_number": "900-0000003-0000003",
                "status": "processing",
                "refunds": [],
            }
        ]
    }
    assert import_data(migrated, more, now=NOW).orders_added == 1


def _broken(mutate: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    mutate(data)
    return data


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["orders"][1]["items"][0].update(unit_price="cheap"),
            "orders[1] (900-0000002-0000002).items[0].unit_price",
        ),
        (
            lambda d: d["orders"][0].update(order_number="900-1-1"),
            "orders[0] (900-1-1).order_number",
        ),
        (
            lambda d: d["orders"][0].update(placed_at="last tuesday"),
            "orders[0] (900-0000001-0000001).placed_at",
        ),
        (
            lambda d: d["orders"][0].update(status="teleported"),
            "orders[0] (900-0000001-0000001).status",
        ),
        (lambda d: d["customers"][0].update(email="nope"), "customers[0] (C-9001).email"),
        (lambda d: d["orders"][0].pop("items"), "orders[0] (900-0000001-0000001).items"),
        (lambda d: d["orders"][0].update(delivered_at=None), "needs delivered_at"),
        (lambda d: d["orders"][1].update(customer_id="C-404"), "unknown customer 'C-404'"),
        (
            lambda d: d["orders"].append(copy.deepcopy(d["orders"][0])),
            "orders[2] (900-0000001-0000001): duplicate",
        ),
        (lambda d: d["promo_codes"][0].update(discount_amount="5.00"), "promo_codes[0] (test5)"),
        (
            lambda d: d["orders"][0]["items"].append(dict(d["orders"][0]["items"][0])),
            "duplicate sku",
        ),
        (lambda d: d["orders"][0].update(surprise=1), "orders[0] (900-0000001-0000001).surprise"),
    ],
)
def test_bad_input_names_the_record_and_imports_nothing(
    migrated: Session, mutate: Any, expected: str
) -> None:
    before = counts(migrated)
    with pytest.raises(ImportFailed) as info:
        import_data(migrated, _broken(mutate), source="orders.json", now=NOW)
    assert expected in str(info.value)
    assert str(info.value).startswith("orders.json: nothing imported")
    assert counts(migrated) == before == (0, 0, 0, 0, 0)


def test_database_error_midway_rolls_everything_back(migrated: Session) -> None:
    first = copy.deepcopy(GOOD)
    first["orders"] = [first["orders"][1]]
    first["orders"][0]["refunds"] = [{"refund_id": "RF-SAME1", "status": "issued"}]
    first["promo_codes"] = []
    import_data(migrated, first, now=NOW)
    before = counts(migrated)
    # The second file is valid on its own, but its refund id clashes with the database,
    # which only the INSERT finds out: the customer-less order 1 and the promo must not stay.
    data = copy.deepcopy(GOOD)
    data["customers"] = []
    data["orders"] = [data["orders"][0]]
    data["orders"][0]["refunds"] = [{"refund_id": "RF-SAME1", "status": "issued"}]
    with get_session_factory()() as fresh, pytest.raises(IntegrityError):
        import_data(fresh, data, now=NOW)
    with get_session_factory()() as check:
        assert counts(check) == before
        assert check.get(Order, "900-0000001-0000001") is None
        assert check.get(PromoCode, "TEST5") is None


def test_import_file_reports_unreadable_and_invalid_json(migrated: Session, tmp_path: Path) -> None:
    with pytest.raises(ImportFailed, match="cannot read the file"):
        import_file(migrated, tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"orders": [', encoding="utf-8")
    with pytest.raises(ImportFailed, match="not valid JSON"):
        import_file(migrated, bad)
    listy = tmp_path / "list.json"
    listy.write_text("[]", encoding="utf-8")
    with pytest.raises(ImportFailed, match="JSON object"):
        import_file(migrated, listy)


def test_demo_file_has_the_required_shape() -> None:
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    orders = data["orders"]
    numbers = [o["order_number"] for o in orders]
    assert len(orders) >= 42 and len(set(numbers)) == len(numbers)
    assert {o["status"] for o in orders} == set(ORDER_STATUSES)  # every status
    assert {o["customer_id"] for o in orders} == {"C-1001", "C-1002", "C-1003", "C-1004", "C-1005"}
    assert sum(1 for o in orders if len(o["items"]) > 1) >= 5
    zips = {c["id"]: c["address"]["postal_code"] for c in data["customers"]}
    assert zips == {
        "C-1001": "94107",
        "C-1002": "60614",
        "C-1003": "10027",
        "C-1004": "30309",
        "C-1005": "98101",
    }
    assert {p["code"] for p in data["promo_codes"]} == {
        "WELCOME10",
        "SAVE50",
        "FREESHIP",
        "HOLIDAY25",
        "SPRING15",
    }


def test_seed_demo_fixed_orders(migrated: Session) -> None:
    seed_demo(migrated, now=NOW)
    blender = migrated.get(Order, "111-8765432-1098765")
    assert blender is not None and blender.customer.name == "Jordan Alvarez"
    assert blender.delivered_at == NOW - timedelta(days=45)
    headphones = migrated.get(Order, "112-4839201-5573910")
    assert headphones is not None
    assert headphones.last_scan_location == "Louisville, KY"
    assert headphones.estimated_delivery == (NOW + timedelta(days=2)).date()
    grinder = migrated.get(Order, "114-2093847-1122334")
    assert grinder is not None and grinder.status == "processing"
    assert grinder.placed_at.date() == NOW.date()
    assert migrated.get(Customer, "C-1004").name == "Sam O'Connor"  # type: ignore[union-attr]
