from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher

import actions.callbacks
from actions.callbacks import (
    ActionAskCallbackWindow,
    ActionScheduleCallback,
    ValidateCallbackForm,
    normalise_phone,
    parse_window_label,
)
from actions.settings import get_settings
from tests.utils.desk import DESK_TOKEN, desk_error, sent_json
from tests.utils.orders import CUSTOMER_ID, EMAIL, ORDER_NUMBER, make_order, verified_slots
from tests.utils.trackers import assert_first_message, make_tracker, responses, slot_events

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 23, 10, 30, tzinfo=NY)  # a Monday morning
CALLBACKS = "/api/v1/callbacks"


@pytest.fixture
def fixed_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    monkeypatch.setattr(
        actions.callbacks, "business_now", lambda zone: NOW.astimezone(ZoneInfo(zone))
    )
    return NOW


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("415-555-0123", "+14155550123"),
        ("(415) 555-0123", "+14155550123"),
        ("415.555.0123", "+14155550123"),
        ("4155550123", "+14155550123"),
        ("+1 415 555 0123", "+14155550123"),
        ("1-415-555-0123", "+14155550123"),
        ("call me on 415 555 0123 please", "+14155550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+49 30 901820", "+4930901820"),
    ],
)
def test_normalise_phone(text: str, e164: str) -> None:
    assert normalise_phone(text, "US") == e164


@pytest.mark.parametrize("text", ["12345", "555-1234", "call me", "", "000-000-0000", "+1 123"])
def test_invalid_phone(text: str) -> None:
    assert normalise_phone(text, "US") is None


def test_default_region_applies_to_national_numbers() -> None:
    assert normalise_phone("020 7946 0958", "GB") == "+442079460958"
    assert normalise_phone("020 7946 0958", "US") is None


async def test_validate_phone(dispatcher: CollectingDispatcher) -> None:
    form = ValidateCallbackForm()
    tracker = make_tracker()
    assert await form.validate_callback_phone("(415) 555-0123", dispatcher, tracker, {}) == {
        "callback_phone": "+14155550123"
    }
    assert await form.validate_callback_phone("555", dispatcher, tracker, {}) == {
        "callback_phone": None
    }
    assert responses(dispatcher) == ["utter_phone_invalid"]


async def test_validate_window(dispatcher: CollectingDispatcher, fixed_now: datetime) -> None:
    form = ValidateCallbackForm()
    result = await form.validate_callback_window("tomorrow 2-4pm", dispatcher, make_tracker(), {})
    assert result == {"callback_window": "2026-11-24T14:00:00-05:00/2026-11-24T16:00:00-05:00"}
    assert dispatcher.messages == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("today 9-10am", "already passed"),
        ("tonight 8-10pm", "Our team calls between 9 AM and 6 PM"),
        ("sometime", "I didn't catch a time there"),
    ],
)
async def test_validate_window_refusals(
    dispatcher: CollectingDispatcher, fixed_now: datetime, text: str, says: str
) -> None:
    form = ValidateCallbackForm()
    result = await form.validate_callback_window(text, dispatcher, make_tracker(), {})
    assert result == {"callback_window": None}
    assert says in dispatcher.messages[0]["text"]


async def test_ask_window_offers_buttons(
    dispatcher: CollectingDispatcher, fixed_now: datetime
) -> None:
    await ActionAskCallbackWindow().run(dispatcher, make_tracker(), {})
    message = assert_first_message(dispatcher, "utter_ask_callback_window")
    assert message["buttons"] == [
        {"title": "Today 11 AM–1 PM", "payload": "Today 11 AM–1 PM"},
        {"title": "Today 1 PM–3 PM", "payload": "Today 1 PM–3 PM"},
        {"title": "Today 3 PM–5 PM", "payload": "Today 3 PM–5 PM"},
    ]


async def test_business_timezone_setting_is_used(
    dispatcher: CollectingDispatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def fake_now(zone: str) -> datetime:
        seen.append(zone)
        return NOW.astimezone(ZoneInfo(zone))

    monkeypatch.setenv("BUSINESS_TIMEZONE", "America/Chicago")
    get_settings.cache_clear()
    monkeypatch.setattr(actions.callbacks, "business_now", fake_now)
    await ActionAskCallbackWindow().run(dispatcher, make_tracker(), {})
    assert seen == ["America/Chicago"]
    # 10:30 in New York is 9:30 in Chicago: the first window starts at 10 AM there.
    assert dispatcher.messages[0]["buttons"][0]["title"] == "Today 10 AM–12 PM"


CALLBACK = {
    "callback_id": "CB-000017",
    "status": "scheduled",
    "phone": "+14155550123",
    "window_start": "2026-11-24T19:00:00Z",
    "window_end": "2026-11-24T21:00:00Z",
}
WINDOW = "2026-11-24T14:00:00-05:00/2026-11-24T16:00:00-05:00"


async def test_schedule_posts_e164_phone_and_iso_window(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(CALLBACKS).respond(201, json=CALLBACK)
    tracker = make_tracker(
        slots={
            **verified_slots(
                make_order("delayed"),
                bot_log=["Looked up order", "Tracked order: delayed", "Offered an associate"],
            ),
            "callback_phone": "+14155550123",
            "callback_window": WINDOW,
        },
        intent="inform",
        text="tomorrow 2-4pm",
        metadata={"customer_id": CUSTOMER_ID},
        sender_id="conv-9",
    )
    events = await ActionScheduleCallback().run(dispatcher, tracker, {})
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert sent_json(route) == {
        "conversation_id": "conv-9",
        "phone": "+14155550123",
        "window_start": "2026-11-24T14:00:00-05:00",
        "window_end": "2026-11-24T16:00:00-05:00",
        "reason": "Looked up order; Tracked order: delayed; Offered an associate",
        "customer_id": CUSTOMER_ID,
        "email": EMAIL,
        "order_number": ORDER_NUMBER,
    }
    message = assert_first_message(
        dispatcher, "utter_callback_booked", callback_id="CB-000017", phone="+14155550123"
    )
    assert message["window"].startswith("Tuesday, November 24, 14:00–16:00")
    assert slot_events(events) == {"callback_phone": None, "callback_window": None}


async def test_schedule_without_context_gives_a_default_reason(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(CALLBACKS).respond(201, json=CALLBACK)
    tracker = make_tracker(
        slots={"callback_phone": "+14155550123", "callback_window": WINDOW},
        intent="request_callback",
    )
    await ActionScheduleCallback().run(dispatcher, tracker, {})
    body = sent_json(route)
    assert body["reason"] == "Shopper asked for a call back"
    assert body["customer_id"] is None
    assert body["email"] is None
    assert body["order_number"] is None


@pytest.mark.parametrize(
    ("status", "json"),
    [(503, None), (422, desk_error(422, "validation_error"))],
)
async def test_schedule_failure(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, status: int, json: object
) -> None:
    desk.post(CALLBACKS).respond(status, json=json)
    tracker = make_tracker(slots={"callback_phone": "+14155550123", "callback_window": WINDOW})
    events = await ActionScheduleCallback().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_desk_unavailable"]
    assert slot_events(events) == {"callback_phone": None, "callback_window": None}


def test_window_label() -> None:
    assert parse_window_label("2026-11-24T14:00:00-05:00", "2026-11-24T16:00:00-05:00") == (
        "Tuesday, November 24, 14:00–16:00 (UTC-05:00)"
    )
    assert parse_window_label("soon", "later") == "soon to later"
