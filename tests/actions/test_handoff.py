from __future__ import annotations

import httpx
import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import recent_messages
from actions.handoff import ActionDeclineHandoff, ActionHandback, ActionHandoff
from tests.conftest import (
    CUSTOMER_ID,
    DESK_TOKEN,
    EMAIL,
    ORDER_NUMBER,
    bot_event,
    desk_error,
    has_pause,
    make_order,
    make_tracker,
    responses,
    sent_json,
    slot_events,
    user_event,
    verified_slots,
)

HANDOFFS = "/api/v1/handoffs"
CASES = "/api/v1/cases"
TICKET = {
    "ticket_number": "T-000123",
    "tier": 1,
    "status": "waiting",
    "queue_position": 3,
    "estimated_wait_minutes": 12,
    "conversation_id": "conv-1",
}

HISTORY = [
    user_event("where is my order", "track_package", 1_794_999_000.0),
    bot_event("Sure. What's the order number?", 1_794_999_001.0),
    {"event": "action", "name": "order_form", "timestamp": 1_794_999_001.5},
    user_event(ORDER_NUMBER, "provide_order_id", 1_794_999_002.0),
    bot_event("Order 112-4839201-5573910 is running late.", 1_794_999_003.0),
]

action = ActionHandoff()


async def test_talk_to_representative_creates_a_tier_1_ticket_with_the_case_card(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=TICKET)
    tracker = make_tracker(
        slots=verified_slots(
            make_order("delayed"), bot_log=[f"Tracked order {ORDER_NUMBER}: delayed"]
        ),
        events=HISTORY,
        intent="talk_to_representative",
        text="I want to talk to a human",
        sender_id="conv-42",
    )
    events = await action.run(dispatcher, tracker, {})

    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    body = sent_json(route)
    assert body["conversation_id"] == "conv-42"
    assert body["tier"] == 1
    assert body["reason"] == "Shopper asked to talk to a person"
    assert body["customer"] == {"id": CUSTOMER_ID, "email": EMAIL, "name": "Maya Chen"}
    assert body["order_number"] == ORDER_NUMBER
    assert body["bot_attempts"] == [f"Tracked order {ORDER_NUMBER}: delayed"]
    assert [(m["sender"], m["text"]) for m in body["recent_messages"]] == [
        ("user", "where is my order"),
        ("bot", "Sure. What's the order number?"),
        ("user", ORDER_NUMBER),
        ("bot", "Order 112-4839201-5573910 is running late."),
        ("user", "I want to talk to a human"),
    ]
    assert body["recent_messages"][0]["at"].startswith("2026-11-18T")

    message = dispatcher.messages[0]
    assert message["response"] == "utter_handoff_started"
    assert message["who"] == "a customer-service associate"
    assert message["ticket_number"] == "T-000123"
    assert message["queue_position"] == 3
    assert message["estimated_wait_minutes"] == 12
    slots = slot_events(events)
    assert slots["handoff_ticket"] == "T-000123"
    assert slots["handoff_offered"] is False
    assert has_pause(events)


async def test_supervisor_gets_tier_2(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json={**TICKET, "tier": 2})
    tracker = make_tracker(intent="escalate_to_supervisor", text="get me your manager")
    events = await action.run(dispatcher, tracker, {})
    body = sent_json(route)
    assert body["tier"] == 2
    assert body["reason"] == "Shopper asked for a supervisor"
    assert body["order_number"] is None
    assert body["customer"] == {"id": None, "email": None, "name": None}
    assert dispatcher.messages[0]["who"] == "a supervisor"
    assert has_pause(events)


async def test_unverified_shopper_card_carries_signed_in_id_and_typed_email(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=TICKET)
    tracker = make_tracker(
        slots={"order_email": "someone@example.com", "order_id": ORDER_NUMBER},
        intent="talk_to_representative",
        text="human please",
        metadata={"customer_id": "C-2002"},
    )
    await action.run(dispatcher, tracker, {})
    body = sent_json(route)
    assert body["customer"] == {"id": "C-2002", "email": "someone@example.com", "name": None}
    assert body["order_number"] is None  # not verified: not on the card


async def test_complaint_records_a_case_first(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    case_route = desk.post(CASES).respond(
        201,
        json={
            "case_number": "CASE-100077",
            "kind": "complaint",
            "team": "associates",
            "status": "open",
            "response_channel": "chat",
        },
    )
    handoff_route = desk.post(HANDOFFS).respond(201, json=TICKET)
    complaint = "This is the third time support ignored me, I want to complain"
    tracker = make_tracker(
        slots=verified_slots(make_order("delivered"), bot_log=["Tracked order"]),
        intent="complaint",
        text=complaint,
    )
    events = await action.run(dispatcher, tracker, {})
    case = sent_json(case_route)
    assert case == {
        "kind": "complaint",
        "conversation_id": "conv-1",
        "order_number": ORDER_NUMBER,
        "customer": {"id": CUSTOMER_ID, "email": EMAIL, "name": "Maya Chen"},
        "description": complaint,
    }
    assert sent_json(handoff_route)["reason"] == "Shopper wants to make a complaint"
    slots = slot_events(events)
    assert slots["bot_log"] == ["Tracked order", "Recorded complaint as case CASE-100077"]
    assert has_pause(events)


async def test_complaint_still_hands_off_when_the_case_fails(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(CASES).respond(422, json=desk_error(422, "validation_error"))
    desk.post(HANDOFFS).respond(201, json=TICKET)
    events = await action.run(dispatcher, make_tracker(intent="complaint", text="awful"), {})
    assert responses(dispatcher) == ["utter_handoff_started"]
    assert has_pause(events)


async def test_accepting_an_offer_uses_the_offered_reason(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=TICKET)
    reason = f"Order {ORDER_NUMBER} is lost: reship or refund"
    tracker = make_tracker(
        slots={"handoff_offered": True, "handoff_reason": reason}, intent="affirm", text="yes"
    )
    await action.run(dispatcher, tracker, {})
    assert sent_json(route)["reason"] == reason
    assert sent_json(route)["tier"] == 1


async def test_accepting_without_a_recorded_reason(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=TICKET)
    await action.run(dispatcher, make_tracker(intent="affirm", text="yes"), {})
    assert sent_json(route)["reason"] == "Shopper accepted the bot's offer of an associate"


@pytest.mark.parametrize(
    "failure",
    [
        {"status_code": 503},
        {"status_code": 422, "json": desk_error(422, "validation_error")},
        {"status_code": 401, "json": desk_error(401, "unauthorized")},
        {"side_effect": httpx.ReadTimeout("slow")},
    ],
)
async def test_desk_failure_does_not_pause(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, failure: dict[str, object]
) -> None:
    route = desk.post(HANDOFFS)
    if "side_effect" in failure:
        route.side_effect = failure["side_effect"]
    else:
        route.respond(**failure)  # type: ignore[arg-type]
    events = await action.run(dispatcher, make_tracker(intent="talk_to_representative"), {})
    assert responses(dispatcher) == ["utter_handoff_failed"]
    assert not has_pause(events)
    assert "handoff_ticket" not in slot_events(events)


def test_recent_messages_keeps_the_last_twelve_in_order() -> None:
    history = []
    for i in range(10):
        history.append(user_event(f"user {i}", "inform", 1_794_999_000.0 + 2 * i))
        history.append(bot_event(f"bot {i}", 1_794_999_001.0 + 2 * i))
    history.append({"event": "bot", "timestamp": 1_794_999_100.0, "text": None})
    messages = recent_messages(make_tracker(events=history))
    assert len(messages) == 12
    assert messages[0]["text"] == "user 4"
    assert messages[-1] == {
        "sender": "bot",
        "text": "bot 9",
        "at": messages[-1]["at"],
    }
    assert messages[-1]["at"].endswith("+00:00")


async def test_decline_handoff(dispatcher: CollectingDispatcher) -> None:
    events = await ActionDeclineHandoff().run(
        dispatcher, make_tracker(slots={"handoff_offered": True}, intent="deny"), {}
    )
    assert responses(dispatcher) == ["utter_handoff_declined"]
    assert slot_events(events) == {"handoff_offered": False, "handoff_reason": None}


async def test_handback_with_and_without_outcome(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={"handback_outcome": "I've sent a replacement.", "handoff_ticket": "T-000123"},
        intent="EXTERNAL_handback",
    )
    events = await ActionHandback().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_handback_with_outcome"
    assert dispatcher.messages[0]["outcome"] == "I've sent a replacement."
    assert slot_events(events) == {"handoff_ticket": None, "handback_outcome": None}

    await ActionHandback().run(dispatcher, make_tracker(slots={"handback_outcome": "  "}), {})
    assert dispatcher.messages[1]["response"] == "utter_handback"
