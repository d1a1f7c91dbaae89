"""Shared fixtures for the action tests: trackers built in code, a fake desk, and domain checks."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import respx
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.desk_client
import actions.settings

ROOT = Path(__file__).resolve().parent.parent
DESK_URL = "http://desk.test"
DESK_TOKEN = "test-desk-token"
ORDER_NUMBER = "112-4839201-5573910"
OTHER_ORDER_NUMBER = "113-0000001-0000002"
EMAIL = "maya.chen@example.com"
CUSTOMER_ID = "C-1001"

_PLACEHOLDER = re.compile(r"{(\w+)}")


# ------------------------------------------------------------------ environment


@pytest.fixture(autouse=True)
def desk_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test talks to a fake desk at DESK_URL with a known token, with fresh settings."""
    monkeypatch.setenv("DESK_API_TOKEN", DESK_TOKEN)
    monkeypatch.setenv("DESK_URL", DESK_URL)
    monkeypatch.setenv("DESK_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("DEFAULT_PHONE_REGION", "US")
    monkeypatch.setenv("BUSINESS_TIMEZONE", "America/New_York")
    actions.settings.get_settings.cache_clear()
    actions.desk_client._client = None
    yield
    actions.settings.get_settings.cache_clear()
    actions.desk_client._client = None


@pytest.fixture
def desk() -> Iterator[respx.MockRouter]:
    """The desk, faked at the HTTP layer. A request to an unmocked route fails the test."""
    with respx.mock(base_url=DESK_URL, assert_all_called=False) as router:
        yield router


# ------------------------------------------------------------------ domain


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    with (ROOT / "domain.yml").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def response_placeholders(domain: dict[str, Any], response: str) -> set[str]:
    variants = domain["responses"][response]
    return {name for variant in variants for name in _PLACEHOLDER.findall(variant.get("text", ""))}


@pytest.fixture
def dispatcher(domain: dict[str, Any]) -> Iterator[CollectingDispatcher]:
    """A CollectingDispatcher; afterwards, every response it got must render from the domain.

    Each ``response=`` must exist in domain.yml, and each ``{variable}`` in its text must be
    given by the action or be a slot (Rasa fills templates from both).
    """
    collecting = CollectingDispatcher()
    yield collecting
    slots = set(domain["slots"])
    for message in collecting.messages:
        response = message.get("response")
        if not response:
            continue
        assert response in domain["responses"], f"{response} is not in domain.yml"
        missing = response_placeholders(domain, response) - set(message) - slots
        assert not missing, f"{response} was sent without {sorted(missing)}"


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    return [message.get("response") for message in dispatcher.messages]


# ------------------------------------------------------------------ trackers


def make_tracker(
    slots: dict[str, Any] | None = None,
    intent: str | None = None,
    text: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "conv-1",
    metadata: dict[str, Any] | None = None,
    new_slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A rasa_sdk Tracker as the action server would receive it.

    ``events`` come first; when an intent, text or metadata is given, a ``user`` event with
    that ``parse_data`` and ``metadata`` follows. ``new_slots`` are slots the shopper's message
    just filled: they are in the slots and are the trailing ``SlotSet`` events, which is what
    a form's validation action looks at.
    """
    parse_data: dict[str, Any] = {
        "intent": {"name": intent, "confidence": 0.98} if intent else {},
        "intent_ranking": [{"name": intent, "confidence": 0.98}] if intent else [],
        "entities": entities or [],
        "text": text,
    }
    all_events = [copy.deepcopy(event) for event in events or []]
    if intent or text or metadata:
        all_events.append(
            {
                "event": "user",
                "timestamp": 1_795_000_000.0 + len(all_events),
                "text": text,
                "parse_data": parse_data,
                "metadata": metadata or {},
                "input_channel": "rest",
            }
        )
    all_slots = {**(slots or {}), **(new_slots or {})}
    all_events += [SlotSet(name, value) for name, value in (new_slots or {}).items()]
    return Tracker(
        sender_id,
        all_slots,
        parse_data,
        all_events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def user_event(text: str, intent: str, timestamp: float = 1_794_999_000.0) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": timestamp,
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []},
        "metadata": {},
    }


def bot_event(text: str, timestamp: float = 1_794_999_001.0) -> dict[str, Any]:
    return {"event": "bot", "timestamp": timestamp, "text": text, "data": {}, "metadata": {}}


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The last value each returned SlotSet gives, by slot name."""
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def has_pause(events: list[dict[str, Any]]) -> bool:
    return any(event.get("event") == "pause" for event in events)


# ------------------------------------------------------------------ desk data


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


def desk_error(status: int, code: str, message: str = "refused", **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "message": message, **extra}}


def sent_json(route: Any) -> dict[str, Any]:
    """The JSON body of the last request a respx route received."""
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body
