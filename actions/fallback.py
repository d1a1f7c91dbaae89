"""Low-confidence messages: ask to rephrase once, then offer a person."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import desk_client

ACTION_HANDLE_FALLBACK = "action_handle_fallback"
ACTION_EXPLAIN_RETURN_POLICY = "action_explain_return_policy"
FALLBACK_INTENT = "nlu_fallback"


def _user_intents(tracker: Tracker) -> list[str]:
    return [
        str((event.get("parse_data") or {}).get("intent", {}).get("name"))
        for event in tracker.events
        if event.get("event") == "user"
    ]


class ActionHandleFallback(Action):
    def name(self) -> str:
        return ACTION_HANDLE_FALLBACK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intents = _user_intents(tracker)
        if len(intents) >= 2 and intents[-2] == FALLBACK_INTENT:
            dispatcher.utter_message(response="utter_offer_associate")
            return [
                SlotSet("handoff_offered", True),
                SlotSet("handoff_reason", "The bot could not understand the shopper twice"),
            ]
        dispatcher.utter_message(response="utter_ask_rephrase")
        return []


class ActionExplainReturnPolicy(Action):
    """The return policy, with the window the desk actually applies."""

    def name(self) -> str:
        return ACTION_EXPLAIN_RETURN_POLICY

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        try:
            policy = await desk_client.return_policy()
        except (desk_client.DeskUnavailable, desk_client.DeskError):
            dispatcher.utter_message(response="utter_desk_unavailable")
            return []
        dispatcher.utter_message(response="utter_return_policy", window_days=policy["window_days"])
        return []
