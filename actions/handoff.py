"""Handing a conversation from the bot (tier 0) to people (tier 1 associates, tier 2 leads)."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import desk_client
from actions.conversation import bot_log, recent_messages, signed_in_customer

logger = logging.getLogger(__name__)

ACTION_HANDOFF = "action_handoff"
ACTION_DECLINE_HANDOFF = "action_decline_handoff"
ACTION_HANDBACK = "action_handback"

ASSOCIATE_TIER = 1
SUPERVISOR_TIER = 2

_REASON_BY_INTENT = {
    "talk_to_representative": "Shopper asked to talk to a person",
    "escalate_to_supervisor": "Shopper asked for a supervisor",
    "complaint": "Shopper wants to make a complaint",
    "affirm": "Shopper accepted the bot's offer of an associate",
}


def _customer(tracker: Tracker) -> dict[str, Any]:
    snapshot = tracker.get_slot("order_snapshot")
    customer: dict[str, Any] = {"id": signed_in_customer(tracker), "email": None, "name": None}
    if isinstance(snapshot, dict) and isinstance(snapshot.get("customer"), dict):
        known = snapshot["customer"]
        customer.update(
            {k: known.get(k) for k in ("id", "email", "name") if known.get(k) is not None}
        )
    elif tracker.get_slot("order_email"):
        customer["email"] = tracker.get_slot("order_email")
    return customer


def _verified_order(tracker: Tracker) -> str | None:
    order_id = tracker.get_slot("verified_order")
    return order_id if isinstance(order_id, str) else None


async def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    tier: int,
    reason: str,
    attempts: list[str] | None = None,
) -> list[EventType]:
    """Creates a handoff ticket with the case card, tells the shopper, and pauses the bot.

    ``attempts`` overrides the bot log when the caller has just done something itself.
    """
    payload = {
        "conversation_id": tracker.sender_id,
        "tier": tier,
        "reason": reason,
        "customer": _customer(tracker),
        "order_number": _verified_order(tracker),
        "bot_attempts": attempts if attempts is not None else bot_log(tracker),
        "recent_messages": recent_messages(tracker),
    }
    try:
        ticket = await desk_client.create_handoff(payload)
    except (desk_client.DeskUnavailable, desk_client.DeskError) as error:
        logger.warning("handoff failed for a conversation: %s", error)
        dispatcher.utter_message(response="utter_handoff_failed")
        return [SlotSet("handoff_offered", False)]
    who = "a supervisor" if tier == SUPERVISOR_TIER else "a customer-service associate"
    dispatcher.utter_message(
        response="utter_handoff_started",
        who=who,
        ticket_number=ticket["ticket_number"],
        queue_position=ticket["queue_position"],
        estimated_wait_minutes=ticket["estimated_wait_minutes"],
    )
    return [
        SlotSet("handoff_offered", False),
        SlotSet("handoff_ticket", ticket["ticket_number"]),
        ConversationPaused(),
    ]


class ActionHandoff(Action):
    """Hands off on request, on a complaint, or when the shopper accepts an offered associate."""

    def name(self) -> str:
        return ACTION_HANDOFF

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = tracker.get_intent_of_latest_message() or ""
        tier = SUPERVISOR_TIER if intent == "escalate_to_supervisor" else ASSOCIATE_TIER
        reason = _REASON_BY_INTENT.get(intent, "Shopper needs a person")
        events: list[EventType] = []
        if intent == "complaint":
            events += await _record_complaint(tracker)
        offered_for = tracker.get_slot("handoff_reason")
        if intent == "affirm" and isinstance(offered_for, str) and offered_for:
            reason = offered_for
        return events + await hand_off(dispatcher, tracker, tier, reason)


async def _record_complaint(tracker: Tracker) -> list[EventType]:
    text = tracker.latest_message.get("text") or ""
    payload = {
        "kind": "complaint",
        "conversation_id": tracker.sender_id,
        "order_number": _verified_order(tracker),
        "customer": _customer(tracker),
        "description": text,
    }
    try:
        case = await desk_client.create_case(payload)
    except (desk_client.DeskUnavailable, desk_client.DeskError) as error:
        logger.warning("could not record a complaint case: %s", error)
        return []
    entries = [*bot_log(tracker), f"Recorded complaint as case {case['case_number']}"]
    return [SlotSet("bot_log", entries[-20:])]


class ActionDeclineHandoff(Action):
    def name(self) -> str:
        return ACTION_DECLINE_HANDOFF

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff_declined")
        return [SlotSet("handoff_offered", False), SlotSet("handoff_reason", None)]


class ActionHandback(Action):
    """The person handed the conversation back to the bot (EXTERNAL_handback)."""

    def name(self) -> str:
        return ACTION_HANDBACK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        outcome = tracker.get_slot("handback_outcome")
        if isinstance(outcome, str) and outcome.strip():
            dispatcher.utter_message(response="utter_handback_with_outcome", outcome=outcome)
        else:
            dispatcher.utter_message(response="utter_handback")
        return [SlotSet("handoff_ticket", None), SlotSet("handback_outcome", None)]
