from __future__ import annotations

import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher

from actions.transcripts import ActionRequestTranscript
from tests.utils.desk import DESK_TOKEN, sent_json
from tests.utils.orders import EMAIL
from tests.utils.trackers import assert_first_message, make_tracker, responses, slot_events


async def test_request_transcript(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    route = desk.post("/api/v1/transcript-requests").respond(
        201, json={"request_id": "TR-000031", "status": "pending", "email": EMAIL}
    )
    tracker = make_tracker(slots={"transcript_email": EMAIL}, sender_id="conv-7")
    events = await ActionRequestTranscript().run(dispatcher, tracker, {})
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert sent_json(route) == {"conversation_id": "conv-7", "email": EMAIL}
    assert_first_message(
        dispatcher, "utter_transcript_requested", email=EMAIL, request_id="TR-000031"
    )
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
