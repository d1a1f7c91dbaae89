from __future__ import annotations

from typing import Any

import pytest
import respx
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.orders import (
    ActionAskCancelConfirmed,
    ActionAskChangeItem,
    ActionAskOrderId,
    ActionAskReturnItem,
    ActionStartOrderTask,
    ValidateOrderForm,
    current_order,
    return_window_open,
    returnable_items,
)
from tests.utils.desk import DESK_DOWN, DESK_TOKEN, LOOKUP, desk_error, failing, sent_json
from tests.utils.orders import (
    CUSTOMER_ID,
    EMAIL,
    ORDER_NUMBER,
    OTHER_ORDER_NUMBER,
    make_item,
    make_order,
    past_deadline,
    verified_slots,
)
from tests.utils.trackers import (
    assert_first_message,
    form_answer,
    make_tracker,
    responses,
    slot_events,
)

RECENT = "/api/v1/orders/recent"
SECOND_NUMBER = "114-2093847-1122334"

form = ValidateOrderForm()


def requested_slot(events: list[dict[str, Any]]) -> Any:
    """What the form asks next: the last requested_slot the action set (Rasa uses the last)."""
    values = [
        e["value"] for e in events if e.get("event") == "slot" and e["name"] == "requested_slot"
    ]
    assert values, "the validation action did not set requested_slot"
    return values[-1]


def order_id_answer(task: str, slots: dict[str, Any] | None = None, **extra: Any) -> Tracker:
    """The order form, for ``task``, answered with ORDER_NUMBER."""
    slots = {"order_task": task, **(slots or {})}
    return form_answer("order_form", "order_id", ORDER_NUMBER, slots, "provide_order_id", **extra)


def said_in_form(slots: dict[str, Any], intent: str, text: str, **extra: Any) -> Tracker:
    """A message the shopper typed while the order form was asking for something."""
    return make_tracker(slots=slots, intent=intent, text=text, active_loop="order_form", **extra)


def email_answer(
    task: str, email: str, events: list[dict[str, Any]] | None = None, **slots: Any
) -> Tracker:
    """The order form, for ``task`` on ORDER_NUMBER, answered with ``email``."""
    slots = {"order_task": task, "order_id": ORDER_NUMBER, **slots}
    return form_answer("order_form", "order_email", email, slots, "inform", events=events)


# ------------------------------------------------------------------ validate_order_id


async def test_bad_format_explains_and_clears(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(slots={"order_task": "track"})
    result = await form.validate_order_id("112-4839201-557391", dispatcher, tracker, {})
    assert result == {"order_id": None}
    assert "has 16 digits; order numbers have 17" in dispatcher.messages[0]["text"]
    assert not desk.calls


async def test_unknown_order_says_not_found(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(404, json=desk_error(404, "order_not_found"))
    tracker = make_tracker(slots={"order_task": "track"})
    result = await form.validate_order_id("11248392015573910", dispatcher, tracker, {})
    assert result == {"order_id": None}
    assert responses(dispatcher) == ["utter_order_not_found"]
    assert dispatcher.messages[0]["order_id"] == ORDER_NUMBER


async def test_lookup_sends_canonical_number_token_and_no_proof(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(LOOKUP).respond(403, json=desk_error(403, "verification_required"))
    tracker = make_tracker(slots={"order_task": "track"})
    await form.validate_order_id("#112 4839201 5573910", dispatcher, tracker, {})
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert sent_json(route) == {"order_number": ORDER_NUMBER, "email": None, "customer_id": None}


async def test_existing_order_without_proof_asks_for_the_email(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(403, json=desk_error(403, "verification_required"))
    tracker = make_tracker(slots={"order_task": "track"})
    result = await form.validate_order_id(ORDER_NUMBER, dispatcher, tracker, {})
    assert result == {
        "order_id": ORDER_NUMBER,
        "verified_order": None,
        "order_snapshot": None,
        "order_email": None,
    }
    assert dispatcher.messages == []


async def test_form_run_requests_order_email_after_403(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(LOOKUP).respond(403, json=desk_error(403, "verification_required"))
    events = await form.run(dispatcher, order_id_answer("track"), domain)
    assert slot_events(events)["order_id"] == ORDER_NUMBER
    assert requested_slot(events) == "order_email"


async def test_signed_in_customer_is_verified_without_email(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    order = make_order("shipped")
    route = desk.post(LOOKUP).respond(200, json=order)
    tracker = make_tracker(
        slots={"order_task": "track"},
        intent="track_package",
        text=f"where is {ORDER_NUMBER}",
        metadata={"customer_id": CUSTOMER_ID},
    )
    result = await form.validate_order_id(ORDER_NUMBER, dispatcher, tracker, {})
    assert sent_json(route) == {
        "order_number": ORDER_NUMBER,
        "email": None,
        "customer_id": CUSTOMER_ID,
    }
    assert result["order_id"] == ORDER_NUMBER
    assert result["verified_order"] == ORDER_NUMBER
    assert result["order_snapshot"] == order
    assert result["customer_id"] == CUSTOMER_ID
    assert result["verification_attempts"] == 0
    assert "order_email" not in result  # never asked


async def test_form_run_for_signed_in_customer_goes_straight_to_the_task(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(LOOKUP).respond(200, json=make_order("processing"))
    tracker = order_id_answer("cancel", metadata={"customer_id": CUSTOMER_ID})
    events = await form.run(dispatcher, tracker, domain)
    assert slot_events(events)["verified_order"] == ORDER_NUMBER
    assert requested_slot(events) == "cancel_confirmed"


async def test_known_email_is_reused_for_a_new_order(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    other = make_order("delivered", order_number=OTHER_ORDER_NUMBER)
    route = desk.post(LOOKUP).respond(200, json=other)
    tracker = make_tracker(slots=verified_slots(make_order("delivered")))
    result = await form.validate_order_id(OTHER_ORDER_NUMBER, dispatcher, tracker, {})
    assert sent_json(route)["email"] == EMAIL
    assert result["verified_order"] == OTHER_ORDER_NUMBER


async def test_email_verification_does_not_make_the_shopper_signed_in(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    """Proof by email covers one order; the owner's customer id must not become proof.

    ``signed_in_customer`` trusts the ``customer_id`` slot as channel-verified, so copying the
    order owner's id into it would let later lookups skip the ownership check.
    """
    desk.post(LOOKUP).respond(200, json=make_order("delivered"))
    tracker = make_tracker(
        slots={"order_task": "track", "order_id": ORDER_NUMBER}, intent="inform", text=EMAIL
    )
    result = await form.validate_order_email(EMAIL, dispatcher, tracker, {})
    assert result["verified_order"] == ORDER_NUMBER
    assert result.get("customer_id") is None


async def test_already_verified_order_is_not_looked_up_again(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(slots=verified_slots(make_order("delivered")))
    result = await form.validate_order_id("11248392015573910", dispatcher, tracker, {})
    assert result == {"order_id": ORDER_NUMBER}
    assert not desk.calls


async def test_locked_shopper_gets_no_lookup(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(slots={"order_task": "track", "verification_locked": True})
    result = await form.validate_order_id(ORDER_NUMBER, dispatcher, tracker, {})
    assert result["order_id"] == ORDER_NUMBER
    assert result["verified_order"] is None
    assert not desk.calls


@pytest.mark.parametrize("failure", DESK_DOWN)
async def test_desk_down_during_order_id(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, failure: dict[str, Any]
) -> None:
    failing(desk.post(LOOKUP), failure)
    tracker = make_tracker(slots={"order_task": "track"})
    result = await form.validate_order_id(ORDER_NUMBER, dispatcher, tracker, {})
    assert result == {"order_id": None, "requested_slot": None}
    assert responses(dispatcher) == ["utter_desk_unavailable"]


async def test_form_stops_when_the_desk_is_down(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    """Through the real FormValidationAction.run: the last requested_slot must be None.

    Rasa's FormAction.is_done looks at the last requested_slot SlotSet only; if the SDK's
    next_requested_slot appends ``requested_slot=order_id`` after the stop, the form keeps
    asking for the order number while the desk is down.
    """
    desk.post(LOOKUP).respond(503)
    events = await form.run(dispatcher, order_id_answer("track"), domain)
    assert responses(dispatcher) == ["utter_desk_unavailable"]
    assert requested_slot(events) is None


async def test_form_stops_when_the_desk_is_down_during_email_check(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(LOOKUP).respond(503)
    events = await form.run(dispatcher, email_answer("track", EMAIL), domain)
    assert responses(dispatcher) == ["utter_desk_unavailable"]
    assert requested_slot(events) is None


# ------------------------------------------------------------------ validate_order_email


def _email_tracker(attempts: int = 0, **extra: Any) -> Any:
    return make_tracker(
        slots={
            "order_task": "track",
            "order_id": ORDER_NUMBER,
            "verification_attempts": float(attempts),
            "verification_locked": False,
            "bot_log": ["Looked up the order"],
            **extra,
        },
        intent="inform",
        text="my email",
    )


@pytest.mark.parametrize("text", ["maya.chen", "maya at example dot com", "@example.com", "yes"])
async def test_malformed_email(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, text: str
) -> None:
    result = await form.validate_order_email(text, dispatcher, _email_tracker(), {})
    assert result == {"order_email": None}
    assert responses(dispatcher) == ["utter_email_malformed"]
    assert not desk.calls


async def test_matching_email_verifies_and_stores_the_snapshot(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    order = make_order("delivered")
    route = desk.post(LOOKUP).respond(200, json=order)
    result = await form.validate_order_email(
        "It's  Maya.Chen@Example.com.", dispatcher, _email_tracker(attempts=1), {}
    )
    assert sent_json(route) == {"order_number": ORDER_NUMBER, "email": EMAIL, "customer_id": None}
    assert result["order_email"] == EMAIL
    assert result["verified_order"] == ORDER_NUMBER
    assert result["order_id"] == ORDER_NUMBER
    assert result["order_snapshot"] == order
    assert result["verification_attempts"] == 0
    assert dispatcher.messages == []


@pytest.mark.parametrize(("attempts", "left"), [(0, 2), (1, 1)])
async def test_mismatch_counts_down(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, attempts: int, left: int
) -> None:
    desk.post(LOOKUP).respond(403, json=desk_error(403, "verification_failed"))
    tracker = _email_tracker(attempts=attempts)
    result = await form.validate_order_email("wrong@example.com", dispatcher, tracker, {})
    assert result == {"order_email": None, "verification_attempts": attempts + 1}
    assert responses(dispatcher) == ["utter_email_mismatch"]
    assert dispatcher.messages[0]["attempts_left"] == left
    assert dispatcher.messages[0]["order_id"] == ORDER_NUMBER


async def test_third_mismatch_locks(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(403, json=desk_error(403, "verification_failed"))
    result = await form.validate_order_email(
        "wrong@example.com", dispatcher, _email_tracker(attempts=2), {}
    )
    assert responses(dispatcher) == ["utter_verification_locked"]
    assert result["verification_locked"] is True
    assert result["verification_attempts"] == 3
    assert result["order_email"] is None
    assert result["bot_log"] == [
        "Looked up the order",
        f"Ownership check failed 3 times for {ORDER_NUMBER}",
    ]
    assert "order_snapshot" not in result and "verified_order" not in result


async def test_form_run_after_lock_stops_asking(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(LOOKUP).respond(403, json=desk_error(403, "verification_failed"))
    tracker = email_answer("track", "wrong@example.com", verification_attempts=2.0)
    events = await form.run(dispatcher, tracker, domain)
    assert slot_events(events)["verification_locked"] is True
    assert requested_slot(events) is None


async def test_form_run_after_mismatch_asks_again(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(LOOKUP).respond(403, json=desk_error(403, "verification_failed"))
    events = await form.run(dispatcher, email_answer("track", "wrong@example.com"), domain)
    assert slot_events(events)["verification_attempts"] == 1
    assert requested_slot(events) == "order_email"


async def test_email_for_an_order_that_vanished(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(404, json=desk_error(404, "order_not_found"))
    result = await form.validate_order_email(EMAIL, dispatcher, _email_tracker(), {})
    assert result == {"order_id": None, "order_email": None}
    assert responses(dispatcher) == ["utter_order_not_found"]


async def test_email_ignored_once_verified(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(slots=verified_slots(make_order("delivered")))
    assert await form.validate_order_email(EMAIL, dispatcher, tracker, {}) == {}
    assert not desk.calls


# ------------------------------------------------------------------ required_slots


async def _required(slots: dict[str, Any], dispatcher: CollectingDispatcher) -> list[str]:
    return await form.required_slots([], dispatcher, make_tracker(slots=slots), {})


async def test_required_slots_before_anything_is_known(dispatcher: CollectingDispatcher) -> None:
    assert await _required({"order_task": "cancel"}, dispatcher) == ["order_id"]


async def test_required_slots_while_unverified(dispatcher: CollectingDispatcher) -> None:
    slots = {"order_task": "cancel", "order_id": ORDER_NUMBER}
    assert await _required(slots, dispatcher) == ["order_id", "order_email"]
    locked = {**slots, "verification_locked": True}
    assert await _required(locked, dispatcher) == ["order_id"]


async def test_snapshot_of_another_order_does_not_count(dispatcher: CollectingDispatcher) -> None:
    slots = {**verified_slots(make_order("processing")), "order_id": OTHER_ORDER_NUMBER}
    slots["order_task"] = "cancel"
    assert await _required(slots, dispatcher) == ["order_id", "order_email"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("processing", ["order_id", "cancel_confirmed"]),
        ("shipped", ["order_id"]),
        ("delivered", ["order_id"]),
        ("cancelled", ["order_id"]),
    ],
)
async def test_cancel_asks_for_confirmation_only_while_processing(
    dispatcher: CollectingDispatcher, status: str, expected: list[str]
) -> None:
    slots = verified_slots(make_order(status), order_task="cancel")
    assert await _required(slots, dispatcher) == expected


async def test_return_with_several_returnable_items_asks_which(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = verified_slots(make_order("delivered"), order_task="return")
    assert await _required(slots, dispatcher) == ["order_id", "return_item", "return_reason"]


async def test_return_with_one_returnable_item_asks_only_the_reason(
    dispatcher: CollectingDispatcher,
) -> None:
    order = make_order(
        "delivered",
        items=[
            make_item("SKU-1", "Trail Running Shoes"),
            make_item("SKU-2", "Gift Card", returnable=False),
            make_item("SKU-3", "Rain Jacket", return_status="authorized"),
        ],
    )
    slots = verified_slots(order, order_task="return")
    assert await _required(slots, dispatcher) == ["order_id", "return_reason"]


@pytest.mark.parametrize(
    "order",
    [
        make_order("delivered", return_deadline=past_deadline()),
        make_order("shipped"),
        make_order("delivered", items=[make_item(returnable=False)]),
    ],
    ids=["outside-window", "not-delivered", "nothing-returnable"],
)
async def test_return_asks_nothing_when_it_cannot_happen(
    dispatcher: CollectingDispatcher, order: dict[str, Any]
) -> None:
    slots = verified_slots(order, order_task="return")
    assert await _required(slots, dispatcher) == ["order_id"]


async def test_change_address_and_change_order(dispatcher: CollectingDispatcher) -> None:
    processing = make_order("processing")
    single = make_order("processing", items=[make_item()])
    assert await _required(verified_slots(processing, order_task="change_address"), dispatcher) == [
        "order_id",
        "new_address",
    ]
    assert await _required(verified_slots(processing, order_task="change_order"), dispatcher) == [
        "order_id",
        "change_item",
        "change_quantity",
    ]
    assert await _required(verified_slots(single, order_task="change_order"), dispatcher) == [
        "order_id",
        "change_quantity",
    ]
    shipped = make_order("shipped")
    assert await _required(verified_slots(shipped, order_task="change_order"), dispatcher) == [
        "order_id"
    ]


@pytest.mark.parametrize("task", ["track", "refund", "refund_status", "damaged", "trade_in"])
async def test_other_tasks_need_only_the_order(dispatcher: CollectingDispatcher, task: str) -> None:
    slots = verified_slots(make_order("processing"), order_task=task)
    assert await _required(slots, dispatcher) == ["order_id"]


# ------------------------------------------------------------------ the other slots


async def test_return_item_matches_a_returnable_item(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(slots=verified_slots(make_order("delivered"), order_task="return"))
    assert await form.validate_return_item("the socks", dispatcher, tracker, {}) == {
        "return_item": "SKU-2"
    }
    assert await form.validate_return_item("the hat", dispatcher, tracker, {}) == {
        "return_item": None
    }
    assert responses(dispatcher) == ["utter_item_not_understood"]


async def test_return_reason(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker()
    assert await form.validate_return_reason(" too small ", dispatcher, tracker, {}) == {
        "return_reason": "too small"
    }
    long = await form.validate_return_reason("x" * 900, dispatcher, tracker, {})
    assert len(long["return_reason"]) == 500
    assert await form.validate_return_reason("?", dispatcher, tracker, {}) == {
        "return_reason": None
    }
    assert responses(dispatcher) == ["utter_ask_return_reason"]


async def test_new_address(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker()
    result = await form.validate_new_address(
        "221 baker st, apt 2, Springfield, il 62704", dispatcher, tracker, {}
    )
    assert result == {"new_address": "221 baker st, apt 2, Springfield, IL 62704"}
    bad = await form.validate_new_address("somewhere nice", dispatcher, tracker, {})
    assert bad == {"new_address": None}
    assert responses(dispatcher) == ["utter_address_not_understood"]


async def test_change_item_and_quantity(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(slots=verified_slots(make_order("processing")))
    assert await form.validate_change_item("Trail Running Shoes", dispatcher, tracker, {}) == {
        "change_item": "SKU-1"
    }
    assert await form.validate_change_quantity("make it 3", dispatcher, tracker, {}) == {
        "change_quantity": "3"
    }
    assert await form.validate_change_quantity("remove it", dispatcher, tracker, {}) == {
        "change_quantity": "0"
    }
    assert await form.validate_change_quantity("lots", dispatcher, tracker, {}) == {
        "change_quantity": None
    }
    assert responses(dispatcher) == ["utter_quantity_not_understood"]


# ------------------------------------------------------------------ helpers and asks


def test_current_order_requires_matching_slots() -> None:
    order = make_order("delivered")
    assert current_order(make_tracker(slots=verified_slots(order))) == order
    assert (
        current_order(make_tracker(slots={**verified_slots(order), "verified_order": None})) is None
    )
    mismatched = {**verified_slots(order), "order_snapshot": {**order, "order_number": "x"}}
    assert current_order(make_tracker(slots=mismatched)) is None


def test_return_window_and_returnable_items() -> None:
    from datetime import date

    order = make_order("delivered", return_deadline="2026-12-20")
    assert return_window_open(order, today=date(2026, 12, 20))
    assert not return_window_open(order, today=date(2026, 12, 21))
    assert not return_window_open(make_order("shipped"), today=date(2026, 1, 1))
    items = [
        make_item("A"),
        make_item("B", returnable=False),
        make_item("C", return_status="received"),
    ]
    assert [i["sku"] for i in returnable_items({"items": items})] == ["A"]


async def test_start_order_task_sets_task_and_clears_previous_answers(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        slots={"cancel_confirmed": True, "order_task": "cancel"},
        intent="start_return",
        text="I want to return something",
        metadata={"customer_id": CUSTOMER_ID},
    )
    events = await ActionStartOrderTask().run(dispatcher, tracker, {})
    slots = slot_events(events)
    assert slots["order_task"] == "return"
    assert slots["handoff_offered"] is False
    assert slots["customer_id"] == CUSTOMER_ID
    for slot in ("cancel_confirmed", "return_item", "return_reason", "new_address"):
        assert slots[slot] is None


async def test_start_order_task_keeps_task_for_unmapped_intent(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(slots={"order_task": "refund"}, intent="provide_order_id", text="x")
    events = await ActionStartOrderTask().run(dispatcher, tracker, {})
    assert slot_events(events)["order_task"] == "refund"
    assert "customer_id" not in slot_events(events)


async def test_ask_cancel_confirmed_lists_items_and_total(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(slots=verified_slots(make_order("processing"), order_task="cancel"))
    await ActionAskCancelConfirmed().run(dispatcher, tracker, {})
    assert_first_message(
        dispatcher,
        "utter_ask_cancel_confirmed",
        order_id=ORDER_NUMBER,
        items="1× Trail Running Shoes, 2× Wool Hiking Socks",
        total="$259.97",
    )


async def test_ask_return_item_offers_only_returnable_items(
    dispatcher: CollectingDispatcher,
) -> None:
    order = make_order(
        "delivered",
        items=[
            make_item("A", "Shoes"),
            make_item("B", "Socks"),
            make_item("C", "Gift", returnable=False),
        ],
    )
    await ActionAskReturnItem().run(dispatcher, make_tracker(slots=verified_slots(order)), {})
    assert dispatcher.messages[0]["response"] == "utter_ask_return_item"
    assert dispatcher.messages[0]["buttons"] == [
        {"title": "Shoes", "payload": "Shoes"},
        {"title": "Socks", "payload": "Socks"},
    ]


async def test_ask_change_item_offers_every_item(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(slots=verified_slots(make_order("processing")))
    await ActionAskChangeItem().run(dispatcher, tracker, {})
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == ["Trail Running Shoes", "Wool Hiking Socks"]


def _task_event(text: str, intent: str) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": 1_794_999_000.0,
        "text": text,
        "parse_data": {"intent": {"name": intent}, "entities": [], "text": text},
    }


async def test_an_item_named_when_asking_for_the_return_is_not_asked_again(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    order = make_order("delivered")
    desk.post(LOOKUP).respond(200, json=order)
    opening = _task_event(f"I want to return the socks from {ORDER_NUMBER}", "start_return")
    tracker = email_answer("return", EMAIL, events=[opening])
    events = await form.run(dispatcher, tracker, domain)
    assert slot_events(events)["return_item"] == "SKU-2"
    assert requested_slot(events) == "return_reason"


async def test_an_ordinal_in_the_opening_message_is_not_taken_for_an_item(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    order = make_order("delivered")
    desk.post(LOOKUP).respond(200, json=order)
    opening = _task_event("I want to return 1 thing from my last order", "start_return")
    tracker = email_answer("return", EMAIL, events=[opening])
    events = await form.run(dispatcher, tracker, domain)
    assert "return_item" not in slot_events(events)
    assert requested_slot(events) == "return_item"


async def test_an_item_named_when_asking_to_change_the_order_is_used(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    order = make_order("processing")
    opening = _task_event("can I change the number of hiking socks", "change_order")
    tracker = order_id_answer("change_order", verified_slots(order), events=[opening])
    events = await form.run(dispatcher, tracker, domain)
    assert slot_events(events)["change_item"] == "SKU-2"
    assert requested_slot(events) == "change_quantity"


# ------------------------------------------------------------------ which order


async def test_two_numbers_in_one_message_ask_which(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    text = f"track {ORDER_NUMBER} and {SECOND_NUMBER}"
    tracker = make_tracker(slots={"order_task": "track"}, intent="track_package", text=text)
    # Rasa fills a text slot with a list (in any order) when a message holds two order_id
    # entities; they are offered in the order the shopper wrote them.
    result = await form.validate_order_id([SECOND_NUMBER, ORDER_NUMBER], dispatcher, tracker, {})
    assert result == {"order_id": None, "order_choices": [ORDER_NUMBER, SECOND_NUMBER]}
    assert not desk.calls
    # One entity found, the other only in the words: still a choice.
    result = await form.validate_order_id(ORDER_NUMBER, dispatcher, tracker, {})
    assert result["order_choices"] == [ORDER_NUMBER, SECOND_NUMBER]


async def test_choosing_one_of_the_numbers_carries_on(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(200, json=make_order("processing", order_number=SECOND_NUMBER))
    tracker = make_tracker(
        slots={"order_task": "track", "order_choices": [ORDER_NUMBER, SECOND_NUMBER]},
        intent="provide_order_id",
        text=SECOND_NUMBER,
        metadata={"customer_id": CUSTOMER_ID},
    )
    result = await form.validate_order_id(SECOND_NUMBER, dispatcher, tracker, {})
    assert result["verified_order"] == SECOND_NUMBER
    assert result["order_choices"] is None


async def test_switching_orders_mid_task_clears_the_first_orders_answers(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    other = make_order("delivered", order_number=OTHER_ORDER_NUMBER)
    route = desk.post(LOOKUP).respond(200, json=other)
    slots = verified_slots(
        make_order("delivered"), order_task="return", return_item="SKU-1", return_reason="late"
    )
    text = f"no wait, the other order {OTHER_ORDER_NUMBER}"
    tracker = make_tracker(slots=slots, intent="correct_detail", text=text)
    result = await form.validate_order_id(OTHER_ORDER_NUMBER, dispatcher, tracker, {})
    assert sent_json(route)["email"] == EMAIL
    assert result["verified_order"] == OTHER_ORDER_NUMBER
    assert result["return_item"] is None
    assert result["return_reason"] is None


async def test_ask_order_id_offers_the_numbers_given(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(
        slots={"order_choices": [ORDER_NUMBER, SECOND_NUMBER]},
        metadata={"customer_id": CUSTOMER_ID},
    )
    await ActionAskOrderId().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_ask_which_order"]
    assert dispatcher.messages[0]["buttons"] == [
        {"title": ORDER_NUMBER, "payload": ORDER_NUMBER},
        {"title": SECOND_NUMBER, "payload": SECOND_NUMBER},
    ]
    assert not desk.calls


async def test_ask_order_id_offers_a_signed_in_shoppers_recent_orders(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    recent = [
        {
            "order_number": SECOND_NUMBER,
            "status": "processing",
            "placed_at": "2026-12-07T09:00:00Z",
            "first_item": "Burr Coffee Grinder",
            "item_count": 3,
        },
        {
            "order_number": ORDER_NUMBER,
            "status": "shipped",
            "placed_at": "2026-12-04T09:00:00Z",
            "first_item": "Wireless Headphones",
            "item_count": 1,
        },
    ]
    route = desk.post(RECENT).respond(200, json={"orders": recent})
    tracker = make_tracker(
        intent="track_package", text="where's my stuff", metadata={"customer_id": CUSTOMER_ID}
    )
    await ActionAskOrderId().run(dispatcher, tracker, {})
    assert sent_json(route) == {"customer_id": CUSTOMER_ID, "limit": 5}
    assert responses(dispatcher) == ["utter_ask_order_id_recent"]
    assert dispatcher.messages[0]["buttons"] == [
        {
            "title": f"{SECOND_NUMBER} · Dec 7 · Burr Coffee Grinder (3 items)",
            "payload": SECOND_NUMBER,
        },
        {"title": f"{ORDER_NUMBER} · Dec 4 · Wireless Headphones", "payload": ORDER_NUMBER},
    ]


async def test_ask_order_id_asks_for_the_number_otherwise(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    await ActionAskOrderId().run(dispatcher, make_tracker(intent="track_package", text="hi"), {})
    assert not desk.calls  # not signed in: no list to offer
    desk.post(RECENT).respond(200, json={"orders": []})
    signed_in = make_tracker(intent="track_package", metadata={"customer_id": CUSTOMER_ID})
    await ActionAskOrderId().run(dispatcher, signed_in, {})
    desk.post(RECENT).respond(503)
    await ActionAskOrderId().run(dispatcher, signed_in, {})
    assert responses(dispatcher) == ["utter_ask_order_id"] * 3


async def test_a_correction_names_another_item(dispatcher: CollectingDispatcher) -> None:
    slots = verified_slots(
        make_order("delivered"),
        order_task="return",
        return_item="SKU-1",
        requested_slot="return_reason",
    )
    tracker = make_tracker(slots=slots, intent="correct_detail", text="no, I meant the socks")
    result = await form.validate_return_item("no, I meant the socks", dispatcher, tracker, {})
    assert result == {"return_item": "SKU-2"}
    assert responses(dispatcher) == ["utter_item_corrected"]
    assert dispatcher.messages[0]["item"] == "Wool Hiking Socks"


async def test_a_correction_naming_no_item_clears_it_quietly(
    dispatcher: CollectingDispatcher,
) -> None:
    slots = verified_slots(make_order("delivered"), order_task="return", return_item="SKU-1")
    text = "no, I meant the hat"
    tracker = make_tracker(slots=slots, intent="correct_detail", text=text)
    assert await form.validate_return_item(text, dispatcher, tracker, {}) == {"return_item": None}
    assert dispatcher.messages == []


def _asking_the_return_reason() -> dict[str, Any]:
    """The slots while the form asks why the shoes (SKU-1) of a delivered order go back."""
    order = make_order("delivered")
    return verified_slots(
        order, order_task="return", return_item="SKU-1", requested_slot="return_reason"
    )


async def test_form_run_takes_a_correction_while_asking_the_reason(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = said_in_form(_asking_the_return_reason(), "correct_detail", "no, I meant the socks")
    events = await form.run(dispatcher, tracker, domain)
    assert slot_events(events)["return_item"] == "SKU-2"
    assert requested_slot(events) == "return_reason"
    assert responses(dispatcher) == ["utter_item_corrected"]


async def test_form_run_ignores_an_item_correction_when_there_is_no_choice(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    order = make_order("delivered", items=[make_item("SKU-1", "Trail Running Shoes")])
    slots = verified_slots(order, order_task="return", requested_slot="return_reason")
    tracker = said_in_form(slots, "correct_detail", "no, I meant the jacket")
    events = await form.run(dispatcher, tracker, domain)
    assert "return_item" not in slot_events(events)


async def test_form_run_takes_a_switch_to_another_order(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    other = make_order("delivered", order_number=OTHER_ORDER_NUMBER)
    desk.post(LOOKUP).respond(200, json=other)
    text = f"no wait, the other order {OTHER_ORDER_NUMBER}"
    tracker = said_in_form(
        _asking_the_return_reason(),
        "correct_detail",
        text,
        new_slots={"order_id": OTHER_ORDER_NUMBER},
    )
    events = await form.run(dispatcher, tracker, domain)
    slots_set = slot_events(events)
    assert slots_set["verified_order"] == OTHER_ORDER_NUMBER
    assert slots_set["return_item"] is None
    assert requested_slot(events) == "return_item"  # asked again, on the new order
    assert dispatcher.messages == []


async def test_an_email_given_with_the_request_is_kept_for_the_order(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    text = "hi, my email is Priya.N@example.com and i want to check on an order"
    tracker = make_tracker(intent="track_package", text=text)
    events = await ActionStartOrderTask().run(dispatcher, tracker, {})
    assert slot_events(events)["order_email"] == "priya.n@example.com"
    # The number comes next, and the email is its proof: no second ask.
    order = make_order("delivered", order_number=OTHER_ORDER_NUMBER)
    route = desk.post(LOOKUP).respond(200, json=order)
    later = make_tracker(
        slots={"order_task": "track", "order_email": "priya.n@example.com"},
        intent="provide_order_id",
        text=OTHER_ORDER_NUMBER,
    )
    result = await form.validate_order_id(OTHER_ORDER_NUMBER, dispatcher, later, {})
    assert sent_json(route)["email"] == "priya.n@example.com"
    assert result["verified_order"] == OTHER_ORDER_NUMBER


async def test_start_order_task_without_an_email_sets_none(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(intent="track_package", text="where's my stuff")
    events = await ActionStartOrderTask().run(dispatcher, tracker, {})
    assert "order_email" not in slot_events(events)


def _asking_to_confirm_the_cancel() -> dict[str, Any]:
    order = make_order("processing")
    return verified_slots(order, order_task="cancel", requested_slot="cancel_confirmed")


async def test_form_run_takes_yes_cancel_it_typed_as_the_confirmation(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = said_in_form(_asking_to_confirm_the_cancel(), "cancel_order", "Yes, cancel it")
    events = await form.run(dispatcher, tracker, domain)
    assert slot_events(events)["cancel_confirmed"] is True


async def test_form_run_does_not_take_a_cancel_of_another_order_as_the_confirmation(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    text = "no, cancel 999-1234567-1234567 instead"
    tracker = said_in_form(_asking_to_confirm_the_cancel(), "cancel_order", text)
    events = await form.run(dispatcher, tracker, domain)
    assert slot_events(events).get("cancel_confirmed") is not True
