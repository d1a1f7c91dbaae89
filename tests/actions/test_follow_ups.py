from __future__ import annotations

from typing import Any

import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher

from actions.follow_ups import ActionRequestEmailFollowUp
from tests.utils.desk import CASES, DESK_FAILURES, DESK_TOKEN, failing, sent_json
from tests.utils.handoffs import PENDING
from tests.utils.orders import CUSTOMER_ID, EMAIL, ORDER_NUMBER, make_order, verified_slots
from tests.utils.trackers import assert_first_message, make_tracker, responses, slot_events

CASE = {
    "case_number": "CASE-100061",
    "kind": "email_follow_up",
    "team": "associates",
    "status": "open",
    "response_channel": "email",
}

action = ActionRequestEmailFollowUp()


# ------------------------------------------------------------------ the form (email: test_emails)


def test_the_form_and_its_question_are_in_the_domain(domain: dict[str, Any]) -> None:
    assert domain["forms"]["follow_up_form"]["required_slots"] == ["follow_up_email"]
    assert "utter_ask_follow_up_email" in domain["responses"]
    assert {"request_email_follow_up", "wait_in_queue"} <= set(domain["intents"])


# ------------------------------------------------------------------ the case


async def test_the_pending_handoff_becomes_an_email_follow_up_case(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(CASES).respond(201, json=CASE)
    tracker = make_tracker(
        slots=verified_slots(
            make_order("delivered"),
            follow_up_email="maya.home@example.com",
            handoff_request=PENDING,
            bot_log=["Tracked order"],
        ),
        sender_id="conv-8",
    )
    events = await action.run(dispatcher, tracker, {})

    assert route.calls.last.request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert sent_json(route) == {
        "kind": "email_follow_up",
        "conversation_id": "conv-8",
        "order_number": ORDER_NUMBER,
        "customer": {"id": CUSTOMER_ID, "name": "Maya Chen", "email": "maya.home@example.com"},
        "description": PENDING["reason"],
    }
    assert_first_message(
        dispatcher,
        "utter_email_follow_up_opened",
        case_number="CASE-100061",
        email="maya.home@example.com",
    )
    slots = slot_events(events)
    assert slots["follow_up_email"] is None
    assert slots["handoff_request"] is None
    assert slots["handoff_offered"] is False
    assert slots["bot_log"] == [
        "Tracked order",
        "Email follow-up case CASE-100061 for maya.home@example.com",
    ]


@pytest.mark.parametrize(
    ("log", "description"),
    [
        (["a", "b", "c", "d"], "b; c; d"),
        ([], "Shopper asked to be answered by email"),
    ],
)
async def test_without_a_pending_handoff_the_bot_log_explains(
    dispatcher: CollectingDispatcher,
    desk: respx.MockRouter,
    log: list[str],
    description: str,
) -> None:
    route = desk.post(CASES).respond(201, json=CASE)
    tracker = make_tracker(slots={"follow_up_email": EMAIL, "bot_log": log})
    await action.run(dispatcher, tracker, {})
    body = sent_json(route)
    assert body["description"] == description
    assert body["order_number"] is None
    assert body["customer"] == {"id": None, "email": EMAIL, "name": None}


@pytest.mark.parametrize("failure", DESK_FAILURES)
async def test_desk_failure_keeps_the_request(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, failure: dict[str, object]
) -> None:
    failing(desk.post(CASES), failure)
    tracker = make_tracker(slots={"follow_up_email": EMAIL, "handoff_request": PENDING})
    events = await action.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_handoff_failed"]
    # Still pending: the shopper can choose a call back or waiting instead.
    assert slot_events(events) == {"follow_up_email": None, "handoff_offered": False}
