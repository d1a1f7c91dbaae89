"""Seed a Medusa v2 store with Tierline's demo data, through its Admin and Store APIs only.

The data is ``demo/orders.json``, read and validated by the importer's own parser (so relative
dates such as ``-3d`` resolve exactly as for the builtin store, at seeding time). What each
demo state becomes in Medusa, and every ``tierline_*`` metadata key, is in
docs/store-medusa.md; the key names are the constants below.

Idempotent: every object is looked up first (the sales channel, stock location and options by
name, products by handle, customers by email, promotions by code, orders by
``metadata.tierline_order_number``, returns by ``metadata.tierline_rma_number``, refunds by
the Tierline refund id in their note), and each order is brought *towards* its demo state
step by step, so a second run adds nothing and a run cut short is finished by the next one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ...importer import DEMO_FILE, CustomerIn, ImportFile, ItemIn, OrderIn, PromoIn, load_file
from ...importer import parse as parse_import
from .client import MedusaClient
from .keys import (
    CARRIER,
    CARRIER_STATES,
    CARRIER_STATUS,
    CUSTOMER_FIELDS,
    CUSTOMER_ID,
    ESTIMATED_DELIVERY,
    LAST_SCAN,
    MIN_SPEND,
    ORDER_FIELDS,
    ORDER_NUMBER,
    POSITION,
    PROMO_DESCRIPTION,
    REFUNDS,
    RETURN_BY,
    RETURN_CARRIER,
    RETURN_CARRIER_NAME,
    RETURN_CREATED_AT,
    RETURN_DAYS,
    RETURN_FIELDS,
    RETURN_REASON,
    RETURN_SKU,
    RETURNABLE,
    RMA_NUMBER,
    SKU,
    TIMELINE,
    TRADE_IN,
    stable_id,
)

logger = logging.getLogger("tierline_desk.store.medusa.seed")

# ---- names the seeder finds its own objects by
STORE_NAME = "Tierline Demo Store"
REGION_NAME = "United States"
SALES_CHANNEL_NAME = "Tierline Web Store"
PUBLISHABLE_KEY_TITLE = "Tierline Web Store"
LOCATION_NAME = "Tierline Warehouse"
FULFILLMENT_SET_NAME = "Tierline US shipping"
SERVICE_ZONE_NAME = "United States"
STANDARD_OPTION_NAME = "Standard shipping"
RETURN_OPTION_NAME = "Return shipping"
PAYMENT_PROVIDER = "pp_system_default"
FULFILLMENT_PROVIDER = "manual_manual"
CURRENCY = "usd"
COUNTRY = "us"

# The demo's states that are a shipment, and those after delivery.
SHIPPED_STATES = ("shipped", *CARRIER_STATES, "delivered", "returned", "refunded")
DELIVERED_STATES = ("delivered", "returned", "refunded")

TRACKING_URLS = {
    "UPS": "https://www.ups.com/track?tracknum={}",
    "FedEx": "https://www.fedex.com/fedextrack/?trknbr={}",
    "USPS": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
}


class SeedError(RuntimeError):
    """Medusa answered something the seeder cannot continue from (the message says what)."""


@dataclass
class Tally:
    added: int = 0
    there: int = 0

    def count(self, added: bool) -> None:
        if added:
            self.added += 1
        else:
            self.there += 1

    def __str__(self) -> str:
        return f"{self.added} added, {self.there} already there"


@dataclass
class SeedResult:
    products: Tally = field(default_factory=Tally)
    customers: Tally = field(default_factory=Tally)
    orders: Tally = field(default_factory=Tally)
    promo_codes: Tally = field(default_factory=Tally)
    # Steps taken on orders that already existed (a run cut short, finished now).
    order_steps: int = 0
    setup_added: list[str] = field(default_factory=list)

    @property
    def added_anything(self) -> bool:
        return bool(
            self.products.added
            or self.customers.added
            or self.orders.added
            or self.promo_codes.added
            or self.order_steps
            or self.setup_added
        )

    def summary(self) -> str:
        text = (
            f"customers: {self.customers}; orders: {self.orders}; "
            f"promo codes: {self.promo_codes}; products: {self.products}"
        )
        if self.setup_added:
            text += f"; store setup added: {', '.join(self.setup_added)}"
        if self.order_steps:
            text += f"; {self.order_steps} step(s) finished on existing orders"
        return text


@dataclass
class Setup:
    """Ids of the store's fixed objects, found or made by :meth:`Seeder.setup`."""

    region_id: str = ""
    sales_channel_id: str = ""
    publishable_key: str = ""
    location_id: str = ""
    shipping_profile_id: str = ""
    service_zone_id: str = ""
    standard_option_id: str = ""
    return_option_id: str = ""
    variants: dict[str, str] = field(default_factory=dict)  # sku -> variant id


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def money(value: Decimal) -> float:
    """Medusa 2 takes amounts as numbers in the currency's main unit (129.99)."""
    return float(value)


def split_name(name: str) -> tuple[str, str]:
    first, _, last = name.strip().partition(" ")
    return first, last


def handle_for(sku: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", sku.lower()).strip("-")


def load_demo(now: datetime) -> ImportFile:
    """demo/orders.json through the importer's parser (dates resolved against ``now``)."""
    return parse_import(load_file(DEMO_FILE), str(DEMO_FILE), now)


class Seeder:
    """Brings one Medusa store to the demo data; :meth:`run` is the whole job."""

    def __init__(
        self,
        client: MedusaClient,
        data: ImportFile | None = None,
        *,
        now: datetime | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.client = client
        self.now = now or datetime.now(UTC)
        self.data = data or load_demo(self.now)
        self.result = SeedResult()
        self.setup_ids = Setup()
        self._progress = progress or (lambda _msg: None)
        self._customers = {c.id: c for c in self.data.customers}

    # ---- small helpers

    def _list(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        return list(self.client.list_all(path, key, params, what=f"reading {key}"))

    def _made(self, what: str) -> None:
        self.result.setup_added.append(what)

    # ---- the whole job

    def run(self) -> SeedResult:
        self.setup()
        self._progress("store set up")
        self.products()
        self._progress(f"products: {self.result.products}")
        self.customers()
        self._progress(f"customers: {self.result.customers}")
        self.promotions()
        self._progress(f"promotions: {self.result.promo_codes}")
        self.orders()
        return self.result

    # ---- store setup: currency, region, sales channel, key, location, shipping

    def setup(self) -> Setup:
        ids = self.setup_ids
        store = self.client.get("/admin/stores", what="reading the store")["stores"][0]
        currencies = {c["currency_code"] for c in store.get("supported_currencies") or []}
        default = next(
            (
                c["currency_code"]
                for c in store.get("supported_currencies") or []
                if c["is_default"]
            ),
            None,
        )
        if default != CURRENCY or currencies != {CURRENCY} or store.get("name") != STORE_NAME:
            self.client.post(
                f"/admin/stores/{store['id']}",
                {
                    "name": STORE_NAME,
                    "supported_currencies": [{"currency_code": CURRENCY, "is_default": True}],
                },
            )
            self._made("store currency USD")

        region = next(
            (r for r in self._list("/admin/regions", "regions") if r["name"] == REGION_NAME), None
        )
        if region is None:
            region = self.client.post(
                "/admin/regions",
                {
                    "name": REGION_NAME,
                    "currency_code": CURRENCY,
                    "countries": [COUNTRY],
                    "payment_providers": [PAYMENT_PROVIDER],
                    "automatic_taxes": False,
                },
            )["region"]
            self._made("region")
        ids.region_id = region["id"]

        channel = next(
            (
                c
                for c in self._list("/admin/sales-channels", "sales_channels")
                if c["name"] == SALES_CHANNEL_NAME
            ),
            None,
        )
        if channel is None:
            channel = self.client.post(
                "/admin/sales-channels",
                {"name": SALES_CHANNEL_NAME, "description": "Tierline's demo shop"},
            )["sales_channel"]
            self._made("sales channel")
        ids.sales_channel_id = channel["id"]

        key = next(
            (
                k
                for k in self._list(
                    "/admin/api-keys", "api_keys", type="publishable", fields="*sales_channels"
                )
                if k["title"] == PUBLISHABLE_KEY_TITLE and not k.get("revoked_at")
            ),
            None,
        )
        if key is None:
            key = self.client.post(
                "/admin/api-keys", {"title": PUBLISHABLE_KEY_TITLE, "type": "publishable"}
            )["api_key"]
            key["sales_channels"] = []
            self._made("publishable key")
        if ids.sales_channel_id not in {c["id"] for c in key.get("sales_channels") or []}:
            self.client.post(
                f"/admin/api-keys/{key['id']}/sales-channels", {"add": [ids.sales_channel_id]}
            )
        ids.publishable_key = key["token"]

        profiles = self._list("/admin/shipping-profiles", "shipping_profiles")
        profile = next((p for p in profiles if p["type"] == "default"), None) or (
            profiles[0] if profiles else None
        )
        if profile is None:
            profile = self.client.post(
                "/admin/shipping-profiles", {"name": "Default", "type": "default"}
            )["shipping_profile"]
            self._made("shipping profile")
        ids.shipping_profile_id = profile["id"]

        self._location_and_shipping()
        return ids

    def _location_and_shipping(self) -> None:
        ids = self.setup_ids
        fields = ",".join(
            (
                "*sales_channels",
                "*fulfillment_providers",
                "*fulfillment_sets",
                "*fulfillment_sets.service_zones",
            )
        )
        location = next(
            (
                loc
                for loc in self._list("/admin/stock-locations", "stock_locations", fields=fields)
                if loc["name"] == LOCATION_NAME
            ),
            None,
        )
        if location is None:
            location = self.client.post(
                "/admin/stock-locations",
                {
                    "name": LOCATION_NAME,
                    "address": {
                        "address_1": "1 Warehouse Way",
                        "city": "Reno",
                        "province": "NV",
                        "postal_code": "89502",
                        "country_code": COUNTRY,
                    },
                },
            )["stock_location"]
            self._made("stock location")
        ids.location_id = location["id"]
        if FULFILLMENT_PROVIDER not in {
            p["id"] for p in location.get("fulfillment_providers") or []
        }:
            self.client.post(
                f"/admin/stock-locations/{ids.location_id}/fulfillment-providers",
                {"add": [FULFILLMENT_PROVIDER]},
            )
        if ids.sales_channel_id not in {c["id"] for c in location.get("sales_channels") or []}:
            self.client.post(
                f"/admin/stock-locations/{ids.location_id}/sales-channels",
                {"add": [ids.sales_channel_id]},
            )
        fset = next(
            (
                s
                for s in location.get("fulfillment_sets") or []
                if s["name"] == FULFILLMENT_SET_NAME
            ),
            None,
        )
        if fset is None:
            location = self.client.post(
                f"/admin/stock-locations/{ids.location_id}/fulfillment-sets",
                {"name": FULFILLMENT_SET_NAME, "type": "shipping"},
                params={"fields": fields},
            )["stock_location"]
            fset = next(
                s for s in location["fulfillment_sets"] if s["name"] == FULFILLMENT_SET_NAME
            )
            self._made("fulfilment set")
        zone = next(
            (z for z in fset.get("service_zones") or [] if z["name"] == SERVICE_ZONE_NAME), None
        )
        if zone is None:
            fset = self.client.post(
                f"/admin/fulfillment-sets/{fset['id']}/service-zones",
                {
                    "name": SERVICE_ZONE_NAME,
                    "geo_zones": [{"type": "country", "country_code": COUNTRY}],
                },
            )["fulfillment_set"]
            zone = next(z for z in fset["service_zones"] if z["name"] == SERVICE_ZONE_NAME)
            self._made("service zone")
        ids.service_zone_id = zone["id"]

        options = {
            o["name"]: o
            for o in self._list(
                "/admin/shipping-options", "shipping_options", service_zone_id=ids.service_zone_id
            )
        }
        ids.standard_option_id = self._shipping_option(options, STANDARD_OPTION_NAME, False)
        ids.return_option_id = self._shipping_option(options, RETURN_OPTION_NAME, True)

    def _shipping_option(self, existing: dict[str, Any], name: str, is_return: bool) -> str:
        if name in existing:
            return str(existing[name]["id"])
        code = "return" if is_return else "standard"
        option = self.client.post(
            "/admin/shipping-options",
            {
                "name": name,
                "service_zone_id": self.setup_ids.service_zone_id,
                "shipping_profile_id": self.setup_ids.shipping_profile_id,
                "provider_id": FULFILLMENT_PROVIDER,
                "price_type": "flat",
                "type": {"label": name, "description": name, "code": code},
                # Free: the demo's order totals are the sum of their items.
                "prices": [{"currency_code": CURRENCY, "amount": 0}],
                "rules": [
                    {"attribute": "enabled_in_store", "value": "true", "operator": "eq"},
                    {
                        "attribute": "is_return",
                        "value": "true" if is_return else "false",
                        "operator": "eq",
                    },
                ],
            },
        )["shipping_option"]
        self._made(f"shipping option {code}")
        return str(option["id"])

    # ---- catalogue

    def _catalogue(self) -> dict[str, ItemIn]:
        """One item per SKU (the demo gives a SKU one name, price and returnable flag)."""
        items: dict[str, ItemIn] = {}
        for order in self.data.orders:
            for item in order.items:
                items.setdefault(item.sku, item)
        return items

    def products(self) -> None:
        ids = self.setup_ids
        existing = {
            p["handle"]: p
            for p in self._list(
                "/admin/products", "products", fields="id,handle,metadata,*variants"
            )
        }
        for sku, item in sorted(self._catalogue().items()):
            product = existing.get(handle_for(sku))
            self.result.products.count(product is None)
            if product is None:
                metadata: dict[str, Any] = {SKU: sku}
                if not item.returnable:
                    metadata[RETURNABLE] = False
                product = self.client.post(
                    "/admin/products",
                    {
                        "title": item.name,
                        "handle": handle_for(sku),
                        "status": "published",
                        "shipping_profile_id": ids.shipping_profile_id,
                        "sales_channels": [{"id": ids.sales_channel_id}],
                        "options": [{"title": "Default option", "values": ["Default"]}],
                        "metadata": metadata,
                        "variants": [
                            {
                                "title": item.name,
                                "sku": sku,
                                "manage_inventory": False,
                                "options": {"Default option": "Default"},
                                "prices": [
                                    {"currency_code": CURRENCY, "amount": money(item.unit_price)}
                                ],
                                "metadata": metadata,
                            }
                        ],
                    },
                    params={"fields": "id,handle,*variants"},
                )["product"]
            variant = next(v for v in product["variants"] if v["sku"] == sku)
            ids.variants[sku] = variant["id"]

    # ---- customers

    def customers(self) -> None:
        existing = {
            c["email"].lower(): c
            for c in self._list("/admin/customers", "customers", fields=CUSTOMER_FIELDS)
        }
        for c in self.data.customers:
            found = existing.get(c.email.lower())
            self.result.customers.count(found is None)
            if found is None:
                self._create_customer(c)

    def _create_customer(self, c: CustomerIn) -> dict[str, Any]:
        first, last = split_name(c.name)
        customer = self.client.post(
            "/admin/customers",
            {
                "email": c.email,
                "first_name": first,
                "last_name": last,
                "phone": c.phone,
                "metadata": {CUSTOMER_ID: c.id},
            },
        )["customer"]
        self.client.post(
            f"/admin/customers/{customer['id']}/addresses",
            {
                **self._address(c.name, c),
                "address_name": "Home",
                "is_default_shipping": True,
                "is_default_billing": True,
            },
        )
        return dict(customer)

    @staticmethod
    def _address(name: str, c: CustomerIn, phone: bool = True) -> dict[str, Any]:
        first, last = split_name(name)
        address: dict[str, Any] = {
            "first_name": first,
            "last_name": last,
            "address_1": c.address.line1,
            "address_2": c.address.line2 or "",
            "city": c.address.city,
            "province": c.address.region,
            "postal_code": c.address.postal_code,
            "country_code": c.address.country.lower(),
        }
        if phone and c.phone:
            address["phone"] = c.phone
        return address

    # ---- promotions

    def promotions(self) -> None:
        existing = {
            p["code"].upper()
            for p in self._list("/admin/promotions", "promotions", fields="id,code")
        }
        for promo in self.data.promo_codes:
            found = promo.code.upper() in existing
            self.result.promo_codes.count(not found)
            if not found:
                self.client.post("/admin/promotions", self._promotion_body(promo))

    @staticmethod
    def _promotion_body(p: PromoIn) -> dict[str, Any]:
        code = p.code.upper()
        method: dict[str, Any] = {"target_type": "order", "allocation": "across"}
        if p.discount_percent is not None:
            method.update(type="percentage", value=p.discount_percent)
        elif p.discount_amount is not None:
            method.update(type="fixed", value=money(p.discount_amount), currency_code=CURRENCY)
        else:  # free shipping: 100 % off the shipping methods
            method.update(
                type="percentage",
                value=100,
                target_type="shipping_methods",
                allocation="each",
                max_quantity=1,
            )
        metadata: dict[str, Any] = {PROMO_DESCRIPTION: p.description}
        rules: list[dict[str, Any]] = [
            {"attribute": "currency_code", "operator": "eq", "values": [CURRENCY]}
        ]
        if p.min_spend is not None:
            metadata[MIN_SPEND] = str(p.min_spend)
            # Medusa 2.21 evaluates a rule on any cart field; item_total is the items' sum.
            rules.append(
                {"attribute": "item_total", "operator": "gte", "values": [str(p.min_spend)]}
            )
        return {
            "code": code,
            "type": "standard",
            "status": "active",
            "is_automatic": False,
            "application_method": {**method, "description": p.description},
            "rules": rules,
            "metadata": metadata,
            "campaign": {
                "name": f"{code}: {p.description}",
                "campaign_identifier": code,
                "description": p.description,
                "starts_at": iso(p.starts_at),
                "ends_at": iso(p.expires_at),
            },
        }

    # ---- orders

    def orders(self) -> None:
        existing: dict[str, str] = {}
        for row in self._list("/admin/orders", "orders", fields="id,metadata"):
            number = (row.get("metadata") or {}).get(ORDER_NUMBER)
            if isinstance(number, str):
                existing.setdefault(number, row["id"])
        for i, o in enumerate(self.data.orders, 1):
            order_id = existing.get(o.order_number)
            self.result.orders.count(order_id is None)
            if order_id is None:
                order_id = self._place(o)
            steps = self._bring_to_state(order_id, o)
            if existing.get(o.order_number):
                self.result.order_steps += steps
            if i % 10 == 0:
                self._progress(f"orders: {i}/{len(self.data.orders)}")

    def _order_metadata(self, o: OrderIn) -> dict[str, Any]:
        """What Medusa has no field for, fixed at placing time (dates resolved now)."""
        meta: dict[str, Any] = {ORDER_NUMBER: o.order_number, CUSTOMER_ID: o.customer_id}
        if o.carrier:
            meta[CARRIER] = o.carrier
        if o.status in CARRIER_STATES:
            meta[CARRIER_STATUS] = o.status
        if o.last_scan:
            meta[LAST_SCAN] = {
                "at": iso(o.last_scan.at),
                "location": o.last_scan.location,
                "description": o.last_scan.description,
            }
        if o.estimated_delivery:
            meta[ESTIMATED_DELIVERY] = o.estimated_delivery.isoformat()
        timeline = {
            "placed_at": iso(o.placed_at),
            "shipped_at": iso(o.shipped_at),
            "delivered_at": iso(o.delivered_at),
            # As the importer: a demo order was cancelled when it was placed.
            "cancelled_at": iso(o.placed_at) if o.status == "cancelled" else None,
        }
        meta[TIMELINE] = {k: v for k, v in timeline.items() if v}
        if o.trade_in:
            meta[TRADE_IN] = {
                "device": o.trade_in.device,
                "quoted_credit": str(o.trade_in.quoted_credit),
                "status": o.trade_in.status,
            }
        return meta

    def _place(self, o: OrderIn) -> str:
        """A real checkout through the Store API; the new order's id."""
        customer = self._customers[o.customer_id]
        ship_name = (o.shipping_address.name if o.shipping_address else None) or customer.name
        address = self._address(ship_name, customer)
        if o.shipping_address:
            address.update(
                address_1=o.shipping_address.line1,
                address_2=o.shipping_address.line2 or "",
                city=o.shipping_address.city,
                province=o.shipping_address.region,
                postal_code=o.shipping_address.postal_code,
                country_code=o.shipping_address.country.lower(),
            )
        store = {"x-publishable-api-key": self.setup_ids.publishable_key}

        def call(path: str, body: dict[str, Any]) -> dict[str, Any]:
            return self.client.request(
                "POST", path, json=body, headers=store, auth=False, what="placing a demo order"
            )

        items = []
        for position, item in enumerate(o.items):
            line: dict[str, Any] = {
                "variant_id": self.setup_ids.variants[item.sku],
                "quantity": item.quantity,
                "metadata": {POSITION: position},
            }
            if not item.returnable:
                line["metadata"][RETURNABLE] = False
            items.append(line)
        cart = call(
            "/store/carts",
            {
                "region_id": self.setup_ids.region_id,
                "sales_channel_id": self.setup_ids.sales_channel_id,
                "email": customer.email,
                "items": items,
                "shipping_address": address,
                "billing_address": address,
                "metadata": self._order_metadata(o),
            },
        )["cart"]
        self._check_prices(o, cart)
        call(
            f"/store/carts/{cart['id']}/shipping-methods",
            {"option_id": self.setup_ids.standard_option_id},
        )
        collection = call("/store/payment-collections", {"cart_id": cart["id"]})[
            "payment_collection"
        ]
        call(
            f"/store/payment-collections/{collection['id']}/payment-sessions",
            {"provider_id": PAYMENT_PROVIDER},
        )
        done = call(f"/store/carts/{cart['id']}/complete", {})
        if done.get("type") != "order":
            raise SeedError(
                f"order {o.order_number}: the checkout did not complete: "
                f"{(done.get('error') or {}).get('message', done.get('type'))}"
            )
        return str(done["order"]["id"])

    @staticmethod
    def _check_prices(o: OrderIn, cart: dict[str, Any]) -> None:
        got = {i["variant_sku"]: Decimal(str(i["unit_price"])) for i in cart.get("items") or []}
        for item in o.items:
            if got.get(item.sku) != item.unit_price:
                raise SeedError(
                    f"order {o.order_number}: Medusa prices {item.sku} at {got.get(item.sku)}, "
                    f"the demo at {item.unit_price} (a product changed by hand?)"
                )

    def _order(self, order_id: str) -> dict[str, Any]:
        order: dict[str, Any] = self.client.get(
            f"/admin/orders/{order_id}", {"fields": ORDER_FIELDS}, what="reading an order"
        )["order"]
        return order

    @staticmethod
    def _payments(order: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            p
            for pc in order.get("payment_collections") or []
            for p in pc.get("payments") or []
            if not p.get("canceled_at")
        ]

    def _bring_to_state(self, order_id: str, o: OrderIn) -> int:
        """Each step the demo state needs and the order lacks; how many were taken."""
        steps = 0
        order = self._order(order_id)
        if order["status"] == "canceled":
            return 0  # Medusa changes nothing on a canceled order, not even its metadata
        if not (order.get("metadata") or {}).get(ORDER_NUMBER):
            self.client.post(f"/admin/orders/{order_id}", {"metadata": self._order_metadata(o)})
            steps += 1
        # A demo order cancelled with its refund still pending was never charged: its payment
        # is only authorised, and cancelling drops the authorisation.
        never_charged = o.status == "cancelled" and all(r.status == "pending" for r in o.refunds)
        if not never_charged:
            for payment in self._payments(order):
                if not payment.get("captured_at") and not payment.get("captures"):
                    self.client.post(
                        f"/admin/payments/{payment['id']}/capture", what="capturing a payment"
                    )
                    steps += 1
        if o.status in SHIPPED_STATES:
            steps += self._ship(order, o)
        steps += self._returns(order_id, o)
        steps += self._refunds(order_id, o)
        # Before the cancel: a canceled order's metadata can no longer be changed.
        steps += self._refund_metadata(order_id, o)
        if o.status == "cancelled":
            # The demo's refund was issued above, with its Tierline id in the note; Medusa's
            # cancel then finds nothing left to refund.
            self.client.post(f"/admin/orders/{order_id}/cancel", what="cancelling an order")
            steps += 1
        return steps

    def _ship(self, order: dict[str, Any], o: OrderIn) -> int:
        steps = 0
        order_id = order["id"]
        live = [f for f in order.get("fulfillments") or [] if not f.get("canceled_at")]
        items = [{"id": i["id"], "quantity": i["quantity"]} for i in order["items"]]
        if not live:
            order = self.client.post(
                f"/admin/orders/{order_id}/fulfillments",
                {"items": items, "location_id": self.setup_ids.location_id},
                params={"fields": "id,*fulfillments"},
                what="fulfilling an order",
            )["order"]
            live = [f for f in order.get("fulfillments") or [] if not f.get("canceled_at")]
            steps += 1
        fulfillment = live[0]
        if not fulfillment.get("shipped_at"):
            labels = []
            if o.tracking_number:
                url = TRACKING_URLS.get(o.carrier or "", "").format(o.tracking_number) or "#"
                labels.append(
                    {"tracking_number": o.tracking_number, "tracking_url": url, "label_url": "#"}
                )
            self.client.post(
                f"/admin/orders/{order_id}/fulfillments/{fulfillment['id']}/shipments",
                {"items": items, "labels": labels},
                what="shipping an order",
            )
            steps += 1
        if o.status in DELIVERED_STATES and not fulfillment.get("delivered_at"):
            self.client.post(
                f"/admin/orders/{order_id}/fulfillments/{fulfillment['id']}/mark-as-delivered",
                what="delivering an order",
            )
            steps += 1
        return steps

    def _returns(self, order_id: str, o: OrderIn) -> int:
        wanted = [i for i in o.items if i.return_status is not None]
        if not wanted:
            return 0
        steps = 0
        returns = self._list("/admin/returns", "returns", order_id=order_id, fields=RETURN_FIELDS)
        by_rma = {
            (r.get("metadata") or {}).get(RMA_NUMBER): r
            for r in returns
            if r.get("status") != "canceled"
        }
        order = self._order(order_id)
        line_of = {i["variant_sku"]: i for i in order["items"]}
        for item in wanted:
            ret_in = item.return_
            rma = (ret_in.rma_number if ret_in else None) or stable_id(
                "RMA", 6, o.order_number, item.sku
            )
            found = by_rma.get(rma)
            if found is not None and found["status"] not in ("requested", "received"):
                # Begun but never requested (a run cut short): start it again.
                self.client.delete(f"/admin/returns/{found['id']}/request")
                found = None
                steps += 1
            if found is None:
                found = self._request_return(order_id, o, item, rma, line_of[item.sku])
                steps += 1
            if item.return_status == "received" and found["status"] != "received":
                self._receive_return(found["id"], line_of[item.sku], item.quantity)
                steps += 1
        return steps

    def _request_return(
        self, order_id: str, o: OrderIn, item: ItemIn, rma: str, line: dict[str, Any]
    ) -> dict[str, Any]:
        ret_in = item.return_
        created = (ret_in.created_at if ret_in else None) or self.now
        return_by = (ret_in.return_by if ret_in else None) or (
            created + timedelta(days=RETURN_DAYS)
        ).date()
        reason = ret_in.reason if ret_in else "Imported return"
        what = "requesting a return"
        ret = self.client.post(
            "/admin/returns",
            {
                "order_id": order_id,
                "location_id": self.setup_ids.location_id,
                "description": reason,
                "metadata": {
                    RMA_NUMBER: rma,
                    RETURN_SKU: item.sku,
                    RETURN_REASON: reason,
                    RETURN_CREATED_AT: iso(created),
                    RETURN_BY: return_by.isoformat(),
                    RETURN_CARRIER: RETURN_CARRIER_NAME,
                },
            },
            what=what,
        )["return"]
        path = f"/admin/returns/{ret['id']}"
        self.client.post(
            f"{path}/request-items",
            {"items": [{"id": line["id"], "quantity": item.quantity, "description": reason}]},
            what=what,
        )
        self.client.post(
            f"{path}/shipping-method",
            {"shipping_option_id": self.setup_ids.return_option_id},
            what=what,
        )
        confirmed: dict[str, Any] = self.client.post(f"{path}/request", what=what)["return"]
        return confirmed

    def _receive_return(self, return_id: str, line: dict[str, Any], quantity: int) -> None:
        path = f"/admin/returns/{return_id}"
        what = "receiving a return"
        self.client.post(f"{path}/receive", what=what)
        self.client.post(
            f"{path}/receive-items",
            {"items": [{"id": line["id"], "quantity": quantity}]},
            what=what,
        )
        self.client.post(f"{path}/receive/confirm", what=what)

    def _refund_ids(self, o: OrderIn) -> list[str]:
        return [
            r.refund_id or stable_id("RF", 8, o.order_number, str(n))
            for n, r in enumerate(o.refunds)
        ]

    def _refunds(self, order_id: str, o: OrderIn) -> int:
        """The demo's issued refunds on a non-cancelled order, each a refund on its payment."""
        steps = 0
        for refund_id, r in zip(self._refund_ids(o), o.refunds, strict=True):
            if r.status != "issued":
                continue
            order = self._order(order_id)
            payments = self._payments(order)
            if any(refund_id in (ref.get("note") or "") for p in payments for ref in p["refunds"]):
                continue
            amount = r.amount if r.amount is not None else self._total(o)
            self.client.post(
                f"/admin/payments/{payments[0]['id']}/refund",
                {"amount": money(amount), "note": f"Tierline {refund_id}"},
                what="refunding a payment",
            )
            steps += 1
        return steps

    @staticmethod
    def _total(o: OrderIn) -> Decimal:
        return sum((i.unit_price * i.quantity for i in o.items), Decimal("0.00"))

    def _refund_metadata(self, order_id: str, o: OrderIn) -> int:
        """``tierline_refunds``: the demo's refunds, the issued ones with Medusa's refund id."""
        if not o.refunds:
            return 0
        order = self._order(order_id)
        meta = dict(order.get("metadata") or {})
        if REFUNDS in meta:
            return 0
        medusa_refunds = sorted(
            (ref for p in self._payments(order) for ref in p.get("refunds") or []),
            key=lambda ref: str(ref.get("created_at")),
        )
        unclaimed = list(medusa_refunds)
        rows = []
        for refund_id, r in zip(self._refund_ids(o), o.refunds, strict=True):
            amount = r.amount if r.amount is not None else self._total(o)
            store_ref = None
            if r.status == "issued":
                match = next(
                    (ref for ref in unclaimed if refund_id in (ref.get("note") or "")), None
                ) or next((ref for ref in unclaimed if Decimal(str(ref["amount"])) == amount), None)
                if match is not None:
                    unclaimed.remove(match)
                    store_ref = match["id"]
            rows.append(
                {
                    "refund_id": refund_id,
                    "amount": str(amount),
                    "status": r.status,
                    "method": r.method,
                    "created_at": iso(r.created_at or self.now),
                    "expected_by": r.expected_by.isoformat() if r.expected_by else None,
                    "store_ref": store_ref,
                }
            )
        meta[REFUNDS] = rows
        self.client.post(f"/admin/orders/{order_id}", {"metadata": meta})
        return 1


def seed(
    client: MedusaClient,
    *,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedResult:
    """Seed the store behind ``client`` with demo/orders.json (idempotent)."""
    return Seeder(client, now=now, progress=progress).run()
