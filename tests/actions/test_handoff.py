from __future__ import annotations

from typing import Any

import httpx
import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import recent_messages
from actions.handoff import (
    ActionDeclineHandoff,
    ActionHandback,
    ActionHandoff,
    ActionReportQueuePlace,
    ActionWaitInQueue,
    HandoffRequest,
    hand_off,
    slots_filled_while_paused,
)
from tests.utils.desk import (
    CASES,
    DESK_FAILURES,
    DESK_TOKEN,
    HANDOFFS,
    desk_error,
    failing,
    sent_json,
)
from tests.utils.handoffs import PENDING, TICKET
from tests.utils.orders import CUSTOMER_ID, EMAIL, ORDER_NUMBER, make_order, verified_slots
from tests.utils.trackers import (
    assert_first_message,
    bot_event,
    has_pause,
    make_tracker,
    responses,
    slot_events,
    user_event,
)

NO_TICKET = {
    **TICKET,
    "ticket_number": None,
    "status": None,
    "queue_position": None,
    "estimated_wait_minutes": None,
}


def unavailable(reason: str | None, **extra: Any) -> dict[str, Any]:
    return {**NO_TICKET, "outcome": "unavailable", "unavailable_reason": reason, **extra}


SPECIALIST = {**NO_TICKET, "outcome": "specialist_case", "case_number": "CASE-100050"}

HISTORY = [
    user_event("where is my order", "track_package", 1_794_999_000.0),
    bot_event("Sure. What's the order number?", 1_794_999_001.0),
    {"event": "action", "name": "order_form", "timestamp": 1_794_999_001.5},
    user_event(ORDER_NUMBER, "provide_order_id", 1_794_999_002.0),
    bot_event("Order 112-4839201-5573910 is running late.", 1_794_999_003.0),
]

action = ActionHandoff()
wait = ActionWaitInQueue()
queue_place = ActionReportQueuePlace()


def buttons(domain: dict[str, Any], response: str) -> list[tuple[str, str]]:
    variants = domain["responses"][response]
    return [(b["title"], b["payload"]) for v in variants for b in v.get("buttons", [])]


# ------------------------------------------------------------------ queued


async def test_talk_to_representative_queues_with_the_case_card_and_does_not_pause(
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
    assert body["reason_code"] == "general"
    assert body["sku"] is None
    assert body["wait_anyway"] is False
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

    assert_first_message(
        dispatcher,
        "utter_handoff_started",
        who="a customer-service associate",
        ticket_number="T-000123",
        queue_position=3,
        estimated_wait_minutes=12,
    )
    slots = slot_events(events)
    assert slots["handoff_ticket"] == "T-000123"
    assert slots["handoff_offered"] is False
    assert slots["handoff_request"] is None
    assert slots["bot_log"] == [
        f"Tracked order {ORDER_NUMBER}: delayed",
        "Handoff ticket T-000123: Shopper asked to talk to a person",
    ]
    assert not has_pause(events)


# A queued shopper hears the bot keeps helping; a specialist case says they work by email.
KEEPS_HELPING = (
    "While you wait, I can still help with anything else here",
    "you won't lose your place",
)
BY_EMAIL = ("Executive Customer Relations", "work by email", "{case_number}")


@pytest.mark.parametrize(
    ("response", "phrases"),
    [
        ("utter_handoff_started", (*KEEPS_HELPING, "{queue_position}")),
        ("utter_handoff_started_no_estimate", KEEPS_HELPING),
        ("utter_specialist_case_opened", BY_EMAIL),
        ("utter_specialist_case_no_email", BY_EMAIL),
    ],
)
def test_the_handoff_messages_say(
    domain: dict[str, Any], response: str, phrases: tuple[str, ...]
) -> None:
    text = domain["responses"][response][0]["text"]
    for phrase in phrases:
        assert phrase in text


async def test_a_desk_that_says_no_outcome_is_a_queue(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    legacy = {k: v for k, v in TICKET.items() if k in ("ticket_number", "tier", "status")}
    desk.post(HANDOFFS).respond(
        201, json={**legacy, "queue_position": 1, "estimated_wait_minutes": 4}
    )
    events = await action.run(dispatcher, make_tracker(intent="talk_to_representative"), {})
    assert responses(dispatcher) == ["utter_handoff_started"]
    assert slot_events(events)["handoff_ticket"] == "T-000123"


async def test_a_ticket_without_a_queue_place_has_no_estimate(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    claimed = {
        **TICKET,
        "status": "claimed",
        "queue_position": None,
        "estimated_wait_minutes": None,
    }
    desk.post(HANDOFFS).respond(200, json=claimed)
    events = await action.run(dispatcher, make_tracker(intent="talk_to_representative"), {})
    assert responses(dispatcher) == ["utter_handoff_started_no_estimate"]
    assert dispatcher.messages[0]["ticket_number"] == "T-000123"
    assert slot_events(events)["handoff_ticket"] == "T-000123"


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
    assert not has_pause(events)


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


async def test_a_complaint_is_recorded_then_routed_as_a_complaint(
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
    route = desk.post(HANDOFFS).respond(201, json=unavailable("no_agents_online"))
    complaint = "This is the third time support ignored me, I want to complain"
    tracker = make_tracker(
        slots=verified_slots(make_order("delivered"), bot_log=["Tracked order"]),
        intent="complaint",
        text=complaint,
    )
    events = await action.run(dispatcher, tracker, {})
    assert sent_json(case_route) == {
        "kind": "complaint",
        "conversation_id": "conv-1",
        "order_number": ORDER_NUMBER,
        "customer": {"id": CUSTOMER_ID, "email": EMAIL, "name": "Maya Chen"},
        "description": complaint,
    }
    body = sent_json(route)
    assert body["reason_code"] == "complaint"
    assert body["reason"] == "Shopper wants to make a complaint"
    assert body["bot_attempts"] == ["Tracked order", "Recorded complaint as case CASE-100077"]
    # On record even though nobody can take the chat now.
    assert responses(dispatcher) == ["utter_handoff_no_agents"]
    assert slot_events(events)["bot_log"] == [
        "Tracked order",
        "Recorded complaint as case CASE-100077",
        "No associate right now (no associate online) for: Shopper wants to make a complaint",
    ]
    assert not has_pause(events)


async def test_a_complaint_still_goes_to_the_desk_when_the_case_fails(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(CASES).respond(422, json=desk_error(422, "validation_error"))
    route = desk.post(HANDOFFS).respond(201, json=TICKET)
    tracker = make_tracker(slots={"bot_log": ["x"]}, intent="complaint", text="awful")
    await action.run(dispatcher, tracker, {})
    assert sent_json(route)["bot_attempts"] == ["x"]
    assert responses(dispatcher) == ["utter_handoff_started"]


async def test_accepting_an_offer_uses_the_offered_reason_and_routing(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=TICKET)
    reason = f"Order {ORDER_NUMBER} is lost: reship or refund"
    tracker = make_tracker(
        slots={
            "handoff_offered": True,
            "handoff_reason": reason,
            "handoff_reason_code": "delivery_problem",
        },
        intent="affirm",
        text="yes",
    )
    events = await action.run(dispatcher, tracker, {})
    body = sent_json(route)
    assert body["reason"] == reason
    assert body["reason_code"] == "delivery_problem"
    assert body["tier"] == 1
    slots = slot_events(events)
    assert slots["handoff_offered"] is False
    assert slots["handoff_reason"] is None
    assert slots["handoff_reason_code"] is None


@pytest.mark.parametrize("code", [None, "nonsense"])
async def test_accepting_without_a_recorded_reason_or_code(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, code: str | None
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=TICKET)
    tracker = make_tracker(slots={"handoff_reason_code": code}, intent="affirm", text="yes")
    await action.run(dispatcher, tracker, {})
    assert sent_json(route)["reason"] == "Shopper accepted the bot's offer of an associate"
    assert sent_json(route)["reason_code"] == "general"


# ------------------------------------------------------------------ specialist case


async def test_specialist_case_names_the_case_and_the_email_on_file(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(HANDOFFS).respond(201, json=SPECIALIST)
    tracker = make_tracker(
        slots=verified_slots(make_order("delivered")), intent="talk_to_representative"
    )
    events = await action.run(dispatcher, tracker, {})
    assert_first_message(
        dispatcher, "utter_specialist_case_opened", case_number="CASE-100050", email=EMAIL
    )
    slots = slot_events(events)
    assert "handoff_ticket" not in slots
    assert slots["handoff_request"] is None
    assert slots["bot_log"][-1].startswith("Executive Customer Relations case CASE-100050")
    assert not has_pause(events)


async def test_specialist_case_for_a_signed_in_shopper_uses_the_account_address(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(HANDOFFS).respond(201, json=SPECIALIST)
    tracker = make_tracker(
        intent="escalate_to_supervisor", text="boss", metadata={"customer_id": "C-1004"}
    )
    await action.run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_specialist_case_opened"
    assert dispatcher.messages[0]["email"] == "the email address on your account"


async def test_specialist_case_with_no_way_to_email_says_where_to_write(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(HANDOFFS).respond(201, json=SPECIALIST)
    # A typed but unverified address is not "on file".
    tracker = make_tracker(
        slots={"order_email": "typed@example.com"}, intent="talk_to_representative"
    )
    await action.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_specialist_case_no_email"]
    assert dispatcher.messages[0]["case_number"] == "CASE-100050"


# ------------------------------------------------------------------ unavailable


async def test_outside_hours_gives_the_hours_and_when_we_open(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(HANDOFFS).respond(
        201, json=unavailable("outside_hours", next_open_at="2026-11-30T14:00:00Z")
    )
    tracker = make_tracker(
        slots={"bot_log": ["Tracked order"]}, intent="talk_to_representative", text="human"
    )
    events = await action.run(dispatcher, tracker, {})
    assert_first_message(
        dispatcher,
        "utter_handoff_outside_hours",
        business_hours="Mon-Fri 09:00-18:00 America/New_York",
        next_open="Monday, November 30 at 9:00 AM EST",
    )
    assert buttons(domain, "utter_handoff_outside_hours") == [
        ("Call me back", "/request_callback"),
        ("Email me instead", "/request_email_follow_up"),
    ]
    slots = slot_events(events)
    assert slots["handoff_request"] == {
        "tier": 1,
        "reason": "Shopper asked to talk to a person",
        "reason_code": "general",
        "sku": None,
        "order_number": None,
    }
    assert slots["bot_log"] == [
        "Tracked order",
        "No associate right now (outside business hours) for: Shopper asked to talk to a person",
    ]
    assert "handoff_ticket" not in slots
    assert not has_pause(events)


async def test_outside_hours_without_an_opening_time(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(HANDOFFS).respond(201, json=unavailable("outside_hours", business_hours=None))
    await action.run(dispatcher, make_tracker(intent="talk_to_representative"), {})
    assert responses(dispatcher) == ["utter_handoff_outside_hours_no_time"]
    assert dispatcher.messages[0]["business_hours"] == "posted on our Help page"
    assert buttons(domain, "utter_handoff_outside_hours_no_time") == [
        ("Call me back", "/request_callback"),
        ("Email me instead", "/request_email_follow_up"),
    ]


@pytest.mark.parametrize("reason", ["no_agents_online", None, "something_new"])
async def test_nobody_online_offers_a_call_or_an_email(
    dispatcher: CollectingDispatcher,
    desk: respx.MockRouter,
    domain: dict[str, Any],
    reason: str | None,
) -> None:
    desk.post(HANDOFFS).respond(201, json=unavailable(reason))
    events = await action.run(dispatcher, make_tracker(intent="talk_to_representative"), {})
    assert responses(dispatcher) == ["utter_handoff_no_agents"]
    assert buttons(domain, "utter_handoff_no_agents") == [
        ("Call me back", "/request_callback"),
        ("Email me instead", "/request_email_follow_up"),
    ]
    assert slot_events(events)["handoff_request"]["reason_code"] == "general"


async def test_a_long_wait_gives_the_estimate_and_offers_to_wait(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(HANDOFFS).respond(201, json=unavailable("long_wait", estimated_wait_minutes=45))
    events = await action.run(dispatcher, make_tracker(intent="escalate_to_supervisor"), {})
    assert responses(dispatcher) == ["utter_handoff_long_wait"]
    assert dispatcher.messages[0]["estimated_wait_minutes"] == 45
    assert buttons(domain, "utter_handoff_long_wait") == [
        ("Call me back", "/request_callback"),
        ("Email me instead", "/request_email_follow_up"),
        ("I'll wait", "/wait_in_queue"),
    ]
    assert slot_events(events)["handoff_request"]["tier"] == 2


async def test_a_long_wait_without_an_estimate(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    desk.post(HANDOFFS).respond(201, json=unavailable("long_wait"))
    await action.run(dispatcher, make_tracker(intent="talk_to_representative"), {})
    assert responses(dispatcher) == ["utter_handoff_long_wait_no_estimate"]
    assert ("I'll wait", "/wait_in_queue") in buttons(domain, "utter_handoff_long_wait_no_estimate")


# ------------------------------------------------------------------ failures


@pytest.mark.parametrize("failure", DESK_FAILURES)
async def test_desk_failure_says_so(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, failure: dict[str, object]
) -> None:
    failing(desk.post(HANDOFFS), failure)
    events = await action.run(dispatcher, make_tracker(intent="talk_to_representative"), {})
    assert responses(dispatcher) == ["utter_handoff_failed"]
    assert not has_pause(events)
    slots = slot_events(events)
    assert "handoff_ticket" not in slots
    assert "handoff_request" not in slots
    assert slots["handoff_offered"] is False


@pytest.mark.parametrize(
    "answer",
    [
        {**TICKET, "outcome": "teleported"},
        {**TICKET, "ticket_number": None},
        {**SPECIALIST, "case_number": None},
    ],
)
async def test_an_answer_the_bot_cannot_use_is_a_failure(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, answer: dict[str, Any]
) -> None:
    desk.post(HANDOFFS).respond(201, json=answer)
    events = await action.run(dispatcher, make_tracker(intent="talk_to_representative"), {})
    assert responses(dispatcher) == ["utter_handoff_failed"]
    assert "handoff_ticket" not in slot_events(events)


async def test_an_item_is_only_sent_with_its_order(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=TICKET)
    request = HandoffRequest(1, "Wrong item received", "shipping_error", "SKU-1")
    await hand_off(dispatcher, make_tracker(intent="report_wrong_item"), request)
    body = sent_json(route)
    assert body["order_number"] is None
    assert body["sku"] is None
    assert body["reason_code"] == "shipping_error"


# ------------------------------------------------------------------ I'll wait


async def test_waiting_asks_again_with_wait_anyway_and_the_same_routing(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json={**TICKET, "queue_position": 9})
    # The shopper has since looked at another order: the kept request still names its own.
    other = make_order("shipped", order_number="113-0000001-0000002")
    tracker = make_tracker(
        slots=verified_slots(other, handoff_request=PENDING),
        intent="wait_in_queue",
        text="I'll wait",
    )
    events = await wait.run(dispatcher, tracker, {})
    body = sent_json(route)
    assert body["wait_anyway"] is True
    assert body["tier"] == 1
    assert body["reason"] == PENDING["reason"]
    assert body["reason_code"] == "shipping_error"
    assert body["sku"] == "SKU-1"
    assert body["order_number"] == ORDER_NUMBER
    assert responses(dispatcher) == ["utter_handoff_started"]
    assert dispatcher.messages[0]["queue_position"] == 9
    slots = slot_events(events)
    assert slots["handoff_ticket"] == "T-000123"
    assert slots["handoff_request"] is None
    assert slots["handoff_offered"] is False
    assert not has_pause(events)


async def test_waiting_when_nobody_is_online_anymore(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(HANDOFFS).respond(201, json=unavailable("no_agents_online"))
    tracker = make_tracker(slots={"handoff_request": PENDING}, intent="wait_in_queue")
    events = await wait.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_handoff_no_agents"]
    assert slot_events(events)["handoff_request"] == PENDING


def desk_ticket(**overrides: Any) -> dict[str, Any]:
    """The ticket as GET /api/v1/handoffs/{ticket} answers it."""
    body = {
        "ticket_number": "T-000123",
        "tier": 1,
        "status": "waiting",
        "queue_position": 2,
        "estimated_wait_minutes": 8,
        "conversation_id": "conv-1",
        "reason": "Shopper asked to talk to a person",
    }
    return {**body, **overrides}


async def test_waiting_while_already_queued_tells_the_place_and_needs_no_new_ticket(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.get(f"{HANDOFFS}/T-000123").respond(200, json=desk_ticket())
    tracker = make_tracker(slots={"handoff_ticket": "T-000123"}, intent="wait_in_queue")
    events = await wait.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_queue_place"]
    assert dispatcher.messages[0]["queue_position"] == 2
    assert slot_events(events) == {"handoff_offered": False}
    # No new ticket: the only call to the desk reads the existing one.
    assert [call.request.method for call in desk.calls] == ["GET"]


async def test_waiting_after_leaving_the_queue_is_nothing_to_wait_for(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.get(f"{HANDOFFS}/T-000123").respond(200, json=desk_ticket(status="withdrawn"))
    tracker = make_tracker(slots={"handoff_ticket": "T-000123"}, intent="wait_in_queue")
    events = await wait.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_nothing_to_wait_for"]
    assert slot_events(events) == {"handoff_ticket": None, "handoff_offered": False}


async def test_a_greeting_in_the_queue_gets_the_place_and_the_wait(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.get(f"{HANDOFFS}/T-000123").respond(
        200, json=desk_ticket(tier=2, queue_position=4, estimated_wait_minutes=16)
    )
    tracker = make_tracker(
        slots={"handoff_ticket": "T-000123"}, intent="greet", text="hello? anyone there?"
    )
    events = await queue_place.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_queue_place"]
    told = dispatcher.messages[0]
    assert told["ticket_number"] == "T-000123"
    assert (told["queue_position"], told["estimated_wait_minutes"]) == (4, 16)
    assert told["who"] == "a supervisor"
    assert events == []


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(200, json=desk_ticket(status="resolved", queue_position=None)),
        httpx.Response(404, json=desk_error(404, "ticket_not_found")),
    ],
)
async def test_a_greeting_after_the_queue_is_the_welcome(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, answer: httpx.Response
) -> None:
    desk.get(f"{HANDOFFS}/T-000123").mock(return_value=answer)
    tracker = make_tracker(slots={"handoff_ticket": "T-000123"}, intent="greet", text="hi")
    events = await queue_place.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_greet"]
    assert slot_events(events) == {"handoff_ticket": None}


async def test_a_greeting_in_the_queue_when_the_desk_is_down_keeps_the_place(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.get(f"{HANDOFFS}/T-000123").respond(503)
    tracker = make_tracker(slots={"handoff_ticket": "T-000123"}, intent="greet", text="hi?")
    events = await queue_place.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_still_in_queue"]
    assert events == []


async def test_a_waiting_ticket_without_an_estimate_is_still_in_the_queue(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.get(f"{HANDOFFS}/T-000123").respond(
        200, json=desk_ticket(status="claimed", queue_position=None, estimated_wait_minutes=None)
    )
    tracker = make_tracker(slots={"handoff_ticket": "T-000123"}, intent="greet", text="hello")
    await queue_place.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_still_in_queue"]


async def test_no_ill_wait_to_an_offered_associate_declines_it(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(
        slots={"handoff_offered": True, "handoff_reason": "Order is delayed"},
        intent="wait_in_queue",
        text="no, I'll wait",
    )
    events = await wait.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_handoff_declined"]
    assert slot_events(events) == {
        "handoff_offered": False,
        "handoff_reason": None,
        "handoff_reason_code": None,
    }
    assert not desk.calls


async def test_waiting_with_nothing_to_wait_for(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, domain: dict[str, Any]
) -> None:
    events = await wait.run(dispatcher, make_tracker(intent="wait_in_queue"), {})
    assert responses(dispatcher) == ["utter_nothing_to_wait_for"]
    assert buttons(domain, "utter_nothing_to_wait_for") == [
        ("Talk to a person", "/talk_to_representative")
    ]
    assert slot_events(events) == {"handoff_offered": False}
    assert not desk.calls


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("T-1", None),
        ({"tier": 3, "reason": "x"}, None),
        ({"tier": 1}, None),
        ({"tier": 2, "reason": "x"}, HandoffRequest(2, "x")),
        (
            {"tier": 1, "reason": "x", "reason_code": "bogus", "sku": ""},
            HandoffRequest(1, "x", "general", None),
        ),
        # The desk takes an item only with its order.
        ({"tier": 1, "reason": "x", "sku": "SKU-1"}, HandoffRequest(1, "x")),
        (
            PENDING,
            HandoffRequest(1, PENDING["reason"], "shipping_error", "SKU-1", ORDER_NUMBER),
        ),
    ],
)
def test_a_kept_request_is_read_back_carefully(value: Any, expected: Any) -> None:
    assert HandoffRequest.from_slot(value) == expected
    if expected is not None:
        assert HandoffRequest.from_slot(expected.as_slot()) == expected


# ------------------------------------------------------------------ quick replies


def test_the_greeting_offers_the_main_tasks(domain: dict[str, Any]) -> None:
    menu = [
        ("Track a package", "/track_package"),
        ("Start a return", "/start_return"),
        ("Refund status", "/refund_status"),
        ("Talk to a person", "/talk_to_representative"),
    ]
    assert buttons(domain, "utter_greet") == menu
    assert buttons(domain, "utter_default") == menu


@pytest.mark.parametrize(
    "response",
    [
        "utter_offer_associate",
        "utter_offer_associate_after_lock",
        "utter_ask_cancel_confirmed",
        "utter_track_delayed",
        "utter_track_lost",
        "utter_return_outside_window",
        "utter_already_shipped",
        "utter_no_trade_in",
        "utter_task_failed",
        "utter_refund_needs_associate",
    ],
)
def test_yes_no_questions_have_yes_and_no_buttons(domain: dict[str, Any], response: str) -> None:
    payloads = [payload for _, payload in buttons(domain, response)]
    assert payloads == ["/affirm", "/deny"]


def test_every_button_payload_is_a_known_intent(domain: dict[str, Any]) -> None:
    intents = set(domain["intents"])
    for name, variants in domain["responses"].items():
        for variant in variants:
            for button in variant.get("buttons", []):
                payload = button["payload"]
                assert payload.startswith("/"), name
                assert payload[1:] in intents, f"{name}: {payload}"


# ------------------------------------------------------------------ other


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
    assert slot_events(events) == {
        "handoff_offered": False,
        "handoff_reason": None,
        "handoff_reason_code": None,
    }


async def test_handback_with_and_without_outcome(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={"handback_outcome": "I've sent a replacement.", "handoff_ticket": "T-000123"},
        intent="EXTERNAL_handback",
    )
    events = await ActionHandback().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["response"] == "utter_handback_with_outcome"
    assert dispatcher.messages[0]["outcome"] == "I've sent a replacement."
    assert slot_events(events) == {"handoff_ticket": None, "handback_outcome": None}


async def test_a_handback_note_is_told_as_a_sentence(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(
        slots={"handback_outcome": "  we checked your  address", "handoff_ticket": "T-000123"},
        intent="EXTERNAL_handback",
    )
    await ActionHandback().run(dispatcher, tracker, {})
    assert dispatcher.messages[0]["outcome"] == "We checked your address."

    await ActionHandback().run(dispatcher, make_tracker(slots={"handback_outcome": "  "}), {})
    assert dispatcher.messages[1]["response"] == "utter_handback"


def slot(name: str, value: Any) -> dict[str, Any]:
    return {"event": "slot", "name": name, "value": value, "timestamp": 1_794_999_000.0}


async def test_handback_undoes_what_messages_to_the_person_filled(
    dispatcher: CollectingDispatcher,
) -> None:
    events = [
        slot("order_id", ORDER_NUMBER),
        slot("order_id", None),
        slot("requested_slot", "order_id"),
        {"event": "pause", "timestamp": 1_794_999_010.0},
        user_event("hello? is anyone there?", "greet", 1_794_999_011.0),
        slot("order_id", "hello? is anyone there?"),
        user_event("my email is someone@example.com", "inform", 1_794_999_012.0),
        slot("order_email", "someone@example.com"),
        {"event": "resume", "timestamp": 1_794_999_020.0},
        slot("handback_outcome", "Sorted."),
        slot("requested_slot", None),
    ]
    tracker = make_tracker(
        slots={"order_id": "hello? is anyone there?", "handback_outcome": "Sorted."},
        events=events,
    )
    assert slots_filled_while_paused(tracker) == {"order_id": None, "order_email": None}
    result = await ActionHandback().run(dispatcher, tracker, {})
    assert slot_events(result) == {
        "order_id": None,
        "order_email": None,
        "handoff_ticket": None,
        "handback_outcome": None,
    }
    assert responses(dispatcher) == ["utter_handback_with_outcome"]


def test_only_the_last_pause_counts() -> None:
    events = [
        {"event": "pause"},
        slot("promo_code", "old"),
        {"event": "resume"},
        slot("order_id", ORDER_NUMBER),
        {"event": "pause"},
        slot("order_id", "typed to the agent"),
        {"event": "resume"},
    ]
    assert slots_filled_while_paused(make_tracker(events=events)) == {"order_id": ORDER_NUMBER}
    assert slots_filled_while_paused(make_tracker(events=[slot("order_id", "x")])) == {}
