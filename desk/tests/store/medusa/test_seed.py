"""The demo data seeded into a real Medusa, checked through Medusa's own Admin API.

The session's Medusa is shared: other tests place orders, open returns and issue certificates
in it (tests/utils/store_orders.py, the contract suite). These tests look at the demo's own
orders, returns and promotions among them, and check that a second seed adds nothing.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.utils.medusa_server import MEDUSA_TIMEOUT, MedusaServer
from tierline_desk.importer import OrderIn
from tierline_desk.store.medusa import keys as k
from tierline_desk.store.medusa import seed as s
from tierline_desk.store.medusa.client import MedusaClient
from tierline_desk.store.medusa.mapping import order_row

pytestmark = [pytest.mark.services, pytest.mark.timeout(MEDUSA_TIMEOUT)]

DEMO = s.load_demo(datetime.now(UTC))
BY_NUMBER = {o.order_number: o for o in DEMO.orders}
FIELDS = ",".join(
    (
        "id",
        "status",
        "email",
        "customer_id",
        "metadata",
        "*items",
        "*fulfillments",
        "*fulfillments.labels",
        "*payment_collections",
        "*payment_collections.payments",
        "*payment_collections.payments.refunds",
    )
)


@pytest.fixture(scope="module")
def client(seeded_medusa: MedusaServer) -> MedusaClient:
    return seeded_medusa.client()


@pytest.fixture(scope="module")
def orders(client: MedusaClient) -> dict[str, dict[str, Any]]:
    """Every Medusa order with a demo order's number, by that number."""
    out: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    for row in client.list_all("/admin/orders", "orders", {"fields": FIELDS}):
        number = (row.get("metadata") or {}).get(k.ORDER_NUMBER)
        if number is None:
            continue
        assert number not in seen, f"two Medusa orders carry {number}"
        seen.add(number)
        if number in BY_NUMBER:
            out[number] = row
    return out


def numbers(status: str) -> list[str]:
    return [o.order_number for o in DEMO.orders if o.status == status]


def refunds_of(order: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        r
        for pc in order.get("payment_collections") or []
        for p in pc.get("payments") or []
        for r in p.get("refunds") or []
    ]


def live_fulfillment(order: dict[str, Any]) -> dict[str, Any]:
    live = [f for f in order["fulfillments"] if not f.get("canceled_at")]
    assert len(live) == 1, order["fulfillments"]
    return live[0]


def test_every_demo_order_is_in_medusa_under_its_number(
    orders: dict[str, dict[str, Any]],
) -> None:
    assert sorted(orders) == sorted(BY_NUMBER)
    assert len(orders) == 44


def test_orders_belong_to_their_customers_with_their_items(
    client: MedusaClient, orders: dict[str, dict[str, Any]]
) -> None:
    customers = {c.id: c for c in DEMO.customers}
    medusa_customers = {
        (c.get("metadata") or {}).get(k.CUSTOMER_ID): c
        for c in client.list_all("/admin/customers", "customers", {"fields": "id,email,metadata"})
    }
    for number, order in orders.items():
        demo = BY_NUMBER[number]
        assert order["email"] == customers[demo.customer_id].email
        assert order["customer_id"] == medusa_customers[demo.customer_id]["id"], number
        assert order["metadata"][k.CUSTOMER_ID] == demo.customer_id
        got = {
            i["variant_sku"]: (i["quantity"], Decimal(str(i["unit_price"]))) for i in order["items"]
        }
        assert got == {i.sku: (i.quantity, i.unit_price) for i in demo.items}, number


def test_processing_orders_are_paid_and_not_fulfilled(orders: dict[str, dict[str, Any]]) -> None:
    for number in numbers("processing"):
        order = orders[number]
        assert order["status"] == "pending"
        assert order["fulfillments"] == []
        payments = [p for pc in order["payment_collections"] for p in pc["payments"]]
        assert payments and all(p.get("captured_at") for p in payments), number


@pytest.mark.parametrize("status", s.SHIPPED_STATES)
def test_shipped_orders_carry_their_tracking_label(
    orders: dict[str, dict[str, Any]], status: str
) -> None:
    for number in numbers(status):
        demo, order = BY_NUMBER[number], orders[number]
        fulfillment = live_fulfillment(order)
        assert fulfillment["shipped_at"], number
        labels = [label["tracking_number"] for label in fulfillment["labels"]]
        assert labels == [demo.tracking_number], number
        assert order["metadata"][k.CARRIER] == demo.carrier
        assert bool(fulfillment.get("delivered_at")) == (status in s.DELIVERED_STATES), number


def test_carrier_states_and_facts_are_in_the_metadata(orders: dict[str, dict[str, Any]]) -> None:
    for status in k.CARRIER_STATES:
        for number in numbers(status):
            assert orders[number]["metadata"][k.CARRIER_STATUS] == status
    for number in numbers("shipped") + numbers("delivered"):
        assert k.CARRIER_STATUS not in orders[number]["metadata"]
    first = orders["112-4839201-5573910"]["metadata"]
    assert first[k.LAST_SCAN]["location"] == "Louisville, KY"
    estimated = date.fromisoformat(first[k.ESTIMATED_DELIVERY])
    want = BY_NUMBER["112-4839201-5573910"].estimated_delivery
    assert want is not None and abs((estimated - want).days) <= 1  # seeded a moment ago
    timeline = first[k.TIMELINE]
    assert set(timeline) == {"placed_at", "shipped_at"}
    placed = datetime.fromisoformat(timeline["placed_at"])
    assert abs((placed - BY_NUMBER["112-4839201-5573910"].placed_at).total_seconds()) < 3600


def test_cancelled_orders_are_canceled_with_their_refunds(
    orders: dict[str, dict[str, Any]],
) -> None:
    cancelled = numbers("cancelled")
    assert len(cancelled) == 4
    for number in cancelled:
        demo, order = BY_NUMBER[number], orders[number]
        assert order["status"] == "canceled"
        rows = order["metadata"][k.REFUNDS]
        assert [r["status"] for r in rows] == [r.status for r in demo.refunds]
        issued = [r for r in rows if r["status"] == "issued"]
        medusa_refunds = refunds_of(order)
        assert len(medusa_refunds) == len(issued), number
        for row in issued:
            assert row["store_ref"] in {r["id"] for r in medusa_refunds}
            assert Decimal(row["amount"]) == total(demo)
    # The one whose refund is still pending was never charged.
    never_charged = orders["291-6240339-1571914"]
    assert refunds_of(never_charged) == []
    assert never_charged["metadata"][k.REFUNDS][0]["store_ref"] is None


def total(o: OrderIn) -> Decimal:
    return sum((i.unit_price * i.quantity for i in o.items), Decimal("0.00"))


def test_refunded_orders_have_a_refund_on_their_payment(orders: dict[str, dict[str, Any]]) -> None:
    for number in numbers("refunded"):
        demo, order = BY_NUMBER[number], orders[number]
        (medusa_refund,) = refunds_of(order)
        (demo_refund,) = demo.refunds
        assert Decimal(str(medusa_refund["amount"])) == demo_refund.amount
        (row,) = order["metadata"][k.REFUNDS]
        assert row["store_ref"] == medusa_refund["id"]
        assert row["refund_id"] in medusa_refund["note"]
        assert row["status"] == "issued"
    assert orders["121-6666666-7777777"]["metadata"][k.REFUNDS][0]["refund_id"] == "RF-DEMO1210"


def test_returned_orders_have_a_pending_refund_and_no_medusa_refund(
    orders: dict[str, dict[str, Any]],
) -> None:
    for number in numbers("returned"):
        order = orders[number]
        assert refunds_of(order) == []
        assert [r["status"] for r in order["metadata"][k.REFUNDS]] == ["pending"]
        assert order["metadata"][k.REFUNDS][0]["store_ref"] is None


def test_returns_exist_received_with_their_rma(
    client: MedusaClient, orders: dict[str, dict[str, Any]]
) -> None:
    demo_ids = {o["id"] for o in orders.values()}
    returns = [
        r
        for r in client.list_all("/admin/returns", "returns", {"fields": "*items"})
        if r["order_id"] in demo_ids
    ]
    by_order: dict[str, list[dict[str, Any]]] = {}
    for ret in returns:
        by_order.setdefault(ret["order_id"], []).append(ret)
    expected = [
        (o, item) for o in DEMO.orders for item in o.items if item.return_status is not None
    ]
    assert len(returns) == len(expected) == 8
    for demo, item in expected:
        (ret,) = by_order[orders[demo.order_number]["id"]]
        assert ret["status"] == "received"
        meta = ret["metadata"]
        assert meta[k.RETURN_SKU] == item.sku
        assert meta[k.RETURN_REASON] == item.return_.reason  # type: ignore[union-attr]
        (ret_item,) = ret["items"]
        assert ret_item["quantity"] == ret_item["received_quantity"] == item.quantity
    rma = {r["metadata"][k.RMA_NUMBER] for r in returns}
    assert {"RMA-LW4E20", "RMA-LW4F21"} <= rma
    assert len(rma) == 8


def test_trade_in_and_the_laptop(orders: dict[str, dict[str, Any]]) -> None:
    trade_in = orders["118-2718281-8284590"]["metadata"][k.TRADE_IN]
    assert trade_in == {
        "device": "iPhone 12, 128 GB",
        "quoted_credit": "350.00",
        "status": "credit_pending",
    }
    laptop = orders["117-3141592-6535897"]
    prices = {i["variant_sku"]: Decimal(str(i["unit_price"])) for i in laptop["items"]}
    assert prices["SKU-LT-9100"] == Decimal("1899.00")


def test_customers_have_their_demo_id_and_address(client: MedusaClient) -> None:
    rows = {
        c["email"]: c
        for c in client.list_all(
            "/admin/customers", "customers", {"fields": "id,email,phone,metadata,*addresses"}
        )
    }
    for demo in DEMO.customers:
        row = rows[demo.email]
        assert row["metadata"][k.CUSTOMER_ID] == demo.id
        assert row["phone"] == demo.phone
        (address,) = row["addresses"]
        assert address["address_1"] == demo.address.line1
        assert address["postal_code"] == demo.address.postal_code
        assert address["is_default_shipping"] is True


def test_final_sale_products_are_marked(client: MedusaClient) -> None:
    products = {
        p["handle"]: p
        for p in client.list_all("/admin/products", "products", {"fields": "id,handle,metadata"})
    }
    assert len(products) == 49
    assert products["sku-eb-1700"]["metadata"][k.RETURNABLE] is False
    assert products["sku-gc-2420"]["metadata"][k.RETURNABLE] is False
    assert k.RETURNABLE not in products["sku-hp-1001"]["metadata"]


def test_promotions_have_their_windows_and_minimum_spend(client: MedusaClient) -> None:
    fields = "id,code,status,metadata,*application_method,*rules,*rules.values,*campaign"
    promos = {
        p["code"]: p
        for p in client.list_all("/admin/promotions", "promotions", {"fields": fields})
        if k.IDEMPOTENCY_KEY not in (p.get("metadata") or {})  # not an agent's certificate
    }
    assert set(promos) == {p.code for p in DEMO.promo_codes}
    for demo in DEMO.promo_codes:
        promo = promos[demo.code]
        campaign = promo["campaign"]
        for key, want in (("starts_at", demo.starts_at), ("ends_at", demo.expires_at)):
            assert want is not None
            got = datetime.fromisoformat(campaign[key].replace("Z", "+00:00"))
            assert abs((got - want).total_seconds()) < 3600, (demo.code, key)
        rules = {r["attribute"]: [v["value"] for v in r["values"]] for r in promo["rules"]}
        if demo.min_spend is not None:
            assert promo["metadata"][k.MIN_SPEND] == str(demo.min_spend)
            assert Decimal(rules["item_total"][0]) == demo.min_spend
        else:
            assert "item_total" not in rules
    method = promos["SAVE50"]["application_method"]
    assert (method["type"], Decimal(str(method["value"]))) == ("fixed", Decimal("50"))
    assert promos["FREESHIP"]["application_method"]["target_type"] == "shipping_methods"


def test_a_second_seed_adds_nothing(seeded_medusa: MedusaServer, client: MedusaClient) -> None:
    before = sum(1 for _ in client.list_all("/admin/orders", "orders", {"fields": "id"}))
    again = seeded_medusa.seed()
    assert not again.added_anything, again.summary()
    assert again.orders.there == 44 and again.customers.there == 5
    assert again.promo_codes.there == 5 and again.products.there == 49
    after = sum(1 for _ in client.list_all("/admin/orders", "orders", {"fields": "id"}))
    assert after == before >= 44
    print(f"\nsecond seed: {seeded_medusa.seed_seconds:.1f} s")


def test_every_seeded_order_maps_back_to_its_demo_state(client: MedusaClient) -> None:
    """mapping.py on the live store: each order reads back as the demo describes it."""
    rows = client.list_all("/admin/orders", "orders", {"fields": k.ORDER_FIELDS})
    returns = list(client.list_all("/admin/returns", "returns", {"fields": k.RETURN_FIELDS}))
    seen = set()
    for order in rows:
        if (order.get("metadata") or {}).get(k.ORDER_NUMBER) not in BY_NUMBER:
            continue  # placed by another test
        mine = [r for r in returns if r["order_id"] == order["id"]]
        row = order_row(order, mine)
        demo = BY_NUMBER[row.order_number]
        seen.add(row.order_number)
        assert (row.status, row.customer_id, row.carrier, row.tracking_number) == (
            demo.status,
            demo.customer_id,
            demo.carrier,
            demo.tracking_number,
        )
        assert sorted(
            (i.sku, i.quantity, i.unit_price, i.returnable, i.return_status) for i in row.items
        ) == sorted(
            (i.sku, i.quantity, i.unit_price, i.returnable, i.return_status) for i in demo.items
        )
        assert [(r.status, r.amount) for r in row.refunds] == [
            (r.status, r.amount if r.amount is not None else total(demo)) for r in demo.refunds
        ]
        assert row.total == total(demo)
    assert seen == set(BY_NUMBER)
