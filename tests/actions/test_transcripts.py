from __future__ import annotations

from typing import Any

import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher

from actions.transcripts import ActionRequestTranscript, ValidateTranscriptForm
from tests.utils.desk import DESK_TOKEN, sent_json
from tests.utils.orders import EMAIL, make_order, verified_slots
from tests.utils.trackers import make_tracker, responses, slot_events

form = ValidateTranscriptForm()


async def test_verified_email_is_used_without_asking(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker(slots=verified_slots(make_order("delivered")), intent="email_transcript")
    assert await form.extract_transcript_email(dispatcher, tracker, {}) == {
        "transcript_email": EMAIL
    }


@pytest.mark.parametrize(
    "slots",
    [
        {},
        {"order_email": "typed@example.com"},  # typed, but never verified
        {**verified_slots(make_order("delivered")), "transcript_email": "other@example.com"},
        {**verified_slots(make_order("delivered")), "order_email": None},
    ],
)
async def test_no_email_is_guessed(dispatcher: CollectingDispatcher, slots: dict[str, Any]) -> None:
    tracker = make_tracker(slots=slots, intent="email_transcript")
    assert await form.extract_transcript_email(dispatcher, tracker, {}) == {}


async def test_form_run_fills_the_verified_email(
    dispatcher: CollectingDispatcher, domain: dict[str, Any]
) -> None:
    tracker = make_tracker(
        slots=verified_slots(make_order("delivered")),
        intent="email_transcript",
        text="email me this chat",
        active_loop="transcript_form",
    )
    events = await form.run(dispatcher, tracker, domain)
    assert slot_events(events)["transcript_email"] == EMAIL


async def test_validate_email(dispatcher: CollectingDispatcher) -> None:
    tracker = make_tracker()
    assert await form.validate_transcript_email(
        "send it to Maya.Chen@Example.com.", dispatcher, tracker, {}
    ) == {"transcript_email": EMAIL}
    assert await form.validate_transcript_email("maya at example", dispatcher, tracker, {}) == {
        "transcript_email": None
    }
    assert responses(dispatcher) == ["utter_email_malformed"]


async def test_request_transcript(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    route = desk.post("/api/v1/transcript-requests").respond(
        201, json={"request_id": "TR-000031", "status": "pending", "email": EMAIL}
    )
    tracker = make_tracker(slots={"transcript_email": EMAIL}, sender_id="conv-7")
    events = await ActionRequestTranscript().run(dispatcher, tracker, {})
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert sent_json(route) == {"conversation_id": "conv-7", "email": EMAIL}
    message = dispatcher.messages[0]
    assert message["response"] == "utter_transcript_requested"
    assert message["email"] == EMAIL
    assert message["request_id"] == "TR-000031"
    assert slot_events(events) == {"transcript_email": None}


async def test_request_transcript_desk_down(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post("/api/v1/transcript-requests").respond(503)
    events = await ActionRequestTranscript().run(
        dispatcher, make_tracker(slots={"transcript_email": EMAIL}), {}
    )
    assert responses(dispatcher) == ["utter_desk_unavailable"]
    assert slot_events(events) == {"transcript_email": None}


@pytest.mark.parametrize(("status", "code"), [(429, "rate_limited"), (409, "confirm_address")])
async def test_the_desks_refusal_is_told_to_the_shopper(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, status: int, code: str
) -> None:
    said = "We've already emailed this chat a few times."
    desk.post("/api/v1/transcript-requests").respond(
        status, json={"detail": {"code": code, "message": said}}
    )
    events = await ActionRequestTranscript().run(
        dispatcher, make_tracker(slots={"transcript_email": EMAIL}), {}
    )
    assert dispatcher.messages[0]["text"] == said
    assert slot_events(events) == {"transcript_email": None}
