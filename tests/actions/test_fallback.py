from __future__ import annotations

from typing import Any

import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionExplainReturnPolicy, ActionHandleFallback
from tests.utils.trackers import bot_event, make_tracker, responses, slot_events, user_event

action = ActionHandleFallback()


@pytest.mark.parametrize(
    "earlier",
    [
        pytest.param([user_event("hi", "greet"), bot_event("Hi there!")], id="first_fallback"),
        pytest.param([], id="first_message_of_the_conversation"),
        pytest.param(
            [user_event("blorp", "nlu_fallback"), user_event("where is my order", "track_package")],
            id="fallbacks_separated_by_an_understood_message_start_over",
        ),
    ],
)
async def test_a_fallback_not_right_after_another_asks_to_rephrase(
    dispatcher: CollectingDispatcher, earlier: list[dict[str, Any]]
) -> None:
    tracker = make_tracker(events=earlier, intent="nlu_fallback", text="blorp the frobnicator")
    events = await action.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_ask_rephrase"]
    assert events == []


async def test_second_consecutive_fallback_offers_an_associate(
    dispatcher: CollectingDispatcher,
) -> None:
    tracker = make_tracker(
        events=[
            user_event("blorp", "nlu_fallback"),
            bot_event("Sorry, I didn't quite get that."),
        ],
        intent="nlu_fallback",
        text="zzzt",
    )
    events = await action.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_offer_associate"]
    slots = slot_events(events)
    assert slots["handoff_offered"] is True
    assert slots["handoff_reason"] == "The bot could not understand the shopper twice"


async def test_return_policy_uses_the_desk_window(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.get("/api/v1/policies/returns").respond(200, json={"window_days": 45})
    await ActionExplainReturnPolicy().run(dispatcher, make_tracker(intent="return_policy"), {})
    assert route.called
    assert responses(dispatcher) == ["utter_return_policy"]
    assert dispatcher.messages[0]["window_days"] == 45


async def test_return_policy_when_the_desk_is_down(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.get("/api/v1/policies/returns").respond(503)
    await ActionExplainReturnPolicy().run(dispatcher, make_tracker(intent="return_policy"), {})
    assert responses(dispatcher) == ["utter_desk_unavailable"]
