"""Orders as the desk returns them, and the slots of a shopper who proved owning one."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone
from typing import Any

ORDER_NUMBER = "112-4839201-5573910"
OTHER_ORDER_NUMBER = "113-0000001-0000002"
EMAIL = "maya.chen@example.com"
CUSTOMER_ID = "C-1001"


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def make_item(
    sku: str = "SKU-1",
    name: str = "Trail Running Shoes",
    quantity: int = 1,
    unit_price: str = "129.99",
    returnable: bool = True,
    return_status: str | None = None,
) -> dict[str, Any]:
    return {
        "sku": sku,
        "name": name,
        "quantity": quantity,
        "unit_price": unit_price,
        "returnable": returnable,
        "return_status": return_status,
    }


def make_order(status: str = "delivered", **overrides: Any) -> dict[str, Any]:
    """An Order as the desk returns it (docs/backend-api.md), consistent with ``status``.

    Delivered orders were delivered five days ago and are inside the 30-day return window
    unless ``return_deadline`` is overridden.
    """
    now = datetime.now(timezone.utc)
    placed = now - timedelta(days=9)
    shipped = placed + timedelta(days=1) if status != "processing" else None
    delivered = now - timedelta(days=5) if status in ("delivered", "returned", "refunded") else None
    in_transit = status in ("shipped", "out_for_delivery", "delayed", "lost")
    order: dict[str, Any] = {
        "order_number": ORDER_NUMBER,
        "status": status,
        "placed_at": _iso(placed),
        "shipped_at": _iso(shipped) if shipped else None,
        "delivered_at": _iso(delivered) if delivered else None,
        "estimated_delivery": (now.date() + timedelta(days=3)).isoformat()
        if status in ("processing", "shipped", "out_for_delivery", "delayed")
        else None,
        "carrier": "UPS" if shipped else None,
        "tracking_number": "1Z999AA10123456784" if shipped else None,
        "last_scan": {
            "at": "2026-11-23T18:40:00Z",
            "location": "Louisville, KY",
            "description": "Departed UPS hub",
        }
        if in_transit or delivered
        else None,
        "customer": {"id": CUSTOMER_ID, "name": "Maya Chen", "email": EMAIL},
        "shipping_address": {
            "name": "Maya Chen",
            "line1": "500 Howard St",
            "line2": "Apt 4",
            "city": "San Francisco",
            "region": "CA",
            "postal_code": "94107",
            "country": "US",
        },
        "items": [
            make_item("SKU-1", "Trail Running Shoes", 1, "129.99"),
            make_item("SKU-2", "Wool Hiking Socks", 2, "64.99"),
        ],
        "total": "259.97",
        "currency": "USD",
        "return_deadline": (delivered.date() + timedelta(days=30)).isoformat()
        if status == "delivered" and delivered
        else None,
        "trade_in": None,
        "refunds": [],
    }
    order.update(overrides)
    return order


def past_deadline() -> str:
    return (date.today() - timedelta(days=3)).isoformat()


def verified_slots(order: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Slots after the shopper proved ownership of ``order`` by email."""
    return {
        "order_id": order["order_number"],
        "verified_order": order["order_number"],
        "order_snapshot": copy.deepcopy(order),
        "order_email": EMAIL,
        "verification_attempts": 0,
        "verification_locked": False,
        "bot_log": [],
        **extra,
    }
