from __future__ import annotations

from typing import Any

import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher

from actions.promos import ActionCheckPromoCode, ValidatePromoForm, find_code, parse_amount
from tests.utils.desk import DESK_TOKEN, desk_error
from tests.utils.trackers import assert_first_message, make_tracker, responses, slot_events


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("WELCOME10", "WELCOME10"),
        ("welcome10", "WELCOME10"),
        ("is WELCOME10 valid?", "WELCOME10"),
        ("Can I use save50 on my order", "SAVE50"),
        ("my code is HOLIDAY25, does it work?", "HOLIDAY25"),
        ("PLEASE CHECK WELCOME10", "WELCOME10"),
        ("does the code FREESHIP work", "FREESHIP"),
        ("freeship", "FREESHIP"),
        ("  Spring15  ", "SPRING15"),
    ],
)
def test_find_code(text: str, code: str) -> None:
    assert find_code(text) == code


@pytest.mark.parametrize("text", ["does my promo code work", "is this valid", "", "hi"])
def test_find_code_finds_nothing(text: str) -> None:
    assert find_code(text) is None


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("$49.99", "49.99"),
        ("49.99 dollars", "49.99"),
        ("$1,249.50", "1249.50"),
        ("USD 120", "120"),
        (None, None),
        ("nothing", None),
    ],
)
def test_parse_amount(text: str | None, amount: str | None) -> None:
    assert parse_amount(text) == amount


async def test_validate_promo_code(dispatcher: CollectingDispatcher) -> None:
    form = ValidatePromoForm()
    tracker = make_tracker()
    assert await form.validate_promo_code("try save50", dispatcher, tracker, {}) == {
        "promo_code": "SAVE50"
    }
    assert await form.validate_promo_code("what about it", dispatcher, tracker, {}) == {
        "promo_code": None
    }
    assert responses(dispatcher) == ["utter_promo_code_not_understood"]


def promo(**overrides: Any) -> dict[str, Any]:
    body = {
        "code": "WELCOME10",
        "valid": True,
        "reason": None,
        "description": "10% off your order",
        "discount_percent": 10,
        "discount_amount": None,
        "min_spend": "25.00",
        "expires_at": "2027-11-23T00:00:00Z",
        "starts_at": "2025-11-23T00:00:00Z",
        "free_shipping": False,
    }
    body.update(overrides)
    return body


async def check(dispatcher: CollectingDispatcher, code: str, subtotal: str | None = None) -> Any:
    tracker = make_tracker(
        slots={"promo_code": code, "promo_subtotal": subtotal}, intent="promo_code"
    )
    return await ActionCheckPromoCode().run(dispatcher, tracker, {})


async def test_valid_code(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    route = desk.get("/api/v1/promo-codes/WELCOME10").respond(200, json=promo())
    events = await check(dispatcher, "WELCOME10", "$49.99")
    request = route.calls.last.request
    assert request.url.params["subtotal"] == "49.99"
    assert request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert_first_message(
        dispatcher,
        "utter_promo_valid",
        code="WELCOME10",
        description="10% off your order",
        min_spend="$25.00",
        expires="Tuesday, November 23",
    )
    assert slot_events(events) == {"promo_code": None, "promo_subtotal": None}


async def test_without_subtotal_no_query(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.get("/api/v1/promo-codes/WELCOME10").respond(
        200, json=promo(expires_at=None, min_spend=None)
    )
    await check(dispatcher, "WELCOME10")
    assert "subtotal" not in route.calls.last.request.url.params
    assert dispatcher.messages[0]["expires"] == "no end date"
    assert dispatcher.messages[0]["min_spend"] == "$0.00"


@pytest.mark.parametrize(
    ("code", "reason"), [("FREESHIP", "expired"), ("HOLIDAY25", "not_started")]
)
async def test_a_code_that_cannot_be_used_now(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, code: str, reason: str
) -> None:
    desk.get(f"/api/v1/promo-codes/{code}").respond(
        200, json=promo(code=code, valid=False, reason=reason)
    )
    await check(dispatcher, code)
    assert responses(dispatcher) == [f"utter_promo_{reason}"]
    assert dispatcher.messages[0]["code"] == code


async def test_min_spend_not_met(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    route = desk.get("/api/v1/promo-codes/SAVE50").respond(
        200,
        json=promo(
            code="SAVE50",
            valid=False,
            reason="min_spend_not_met",
            description="$50 off orders of $200 or more",
            min_spend="200.00",
        ),
    )
    await check(dispatcher, "SAVE50", "120 dollars")
    assert route.calls.last.request.url.params["subtotal"] == "120"
    assert responses(dispatcher) == ["utter_promo_min_spend_not_met"]
    assert dispatcher.messages[0]["min_spend"] == "$200.00"


async def test_unknown_code(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    desk.get("/api/v1/promo-codes/NOPE10").respond(404, json=desk_error(404, "promo_not_found"))
    events = await check(dispatcher, "NOPE10")
    assert responses(dispatcher) == ["utter_promo_unknown"]
    assert dispatcher.messages[0]["code"] == "NOPE10"
    assert slot_events(events) == {"promo_code": None, "promo_subtotal": None}


async def test_desk_down(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    desk.get("/api/v1/promo-codes/WELCOME10").respond(500)
    await check(dispatcher, "WELCOME10")
    assert responses(dispatcher) == ["utter_desk_unavailable"]


async def test_a_promo_question_naming_no_code_is_explained(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(intent="promo_code", text="do you have any discount codes?")
    events = await ActionCheckPromoCode().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_promo_codes_explained"]
    assert slot_events(events) == {"promo_code": None, "promo_subtotal": None}
    assert not desk.calls
