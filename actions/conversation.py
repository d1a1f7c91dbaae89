"""Reading a conversation: who the shopper is, what was said, and what the bot already tried."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

BOT_LOG_SLOT = "bot_log"
RECENT_MESSAGE_LIMIT = 12


def latest_user_metadata(tracker: Tracker) -> dict[str, Any]:
    """Metadata the channel attached to the shopper's latest message."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            return metadata if isinstance(metadata, dict) else {}
    return {}


def signed_in_customer(tracker: Tracker) -> str | None:
    """The customer id the channel verified (signed metadata), if the shopper is signed in.

    Only the channel may set it: ``rasa_extensions.channels.signed_rest`` drops ids whose
    signature fails, so an id in metadata here has been checked.
    """
    customer_id = latest_user_metadata(tracker).get("customer_id")
    if isinstance(customer_id, str) and customer_id:
        return customer_id
    slot_value = tracker.get_slot("customer_id")
    return slot_value if isinstance(slot_value, str) and slot_value else None


def _timestamp(event: dict[str, Any]) -> str | None:
    stamp = event.get("timestamp")
    if isinstance(stamp, (int, float)):
        return datetime.fromtimestamp(stamp, tz=timezone.utc).isoformat()
    return None


def recent_messages(tracker: Tracker, limit: int = RECENT_MESSAGE_LIMIT) -> list[dict[str, Any]]:
    """The last ``limit`` shopper and bot messages, oldest first, for an agent's case card."""
    messages: list[dict[str, Any]] = []
    for event in tracker.events:
        kind = event.get("event")
        text = event.get("text")
        if kind in ("user", "bot") and text:
            sender = "user" if kind == "user" else "bot"
            messages.append({"sender": sender, "text": text, "at": _timestamp(event)})
    return messages[-limit:]


def bot_log(tracker: Tracker) -> list[str]:
    value = tracker.get_slot(BOT_LOG_SLOT)
    return list(value) if isinstance(value, list) else []


def log_attempt(tracker: Tracker, entry: str) -> SlotSet:
    """Records what the bot did, so a person taking over knows what was already tried."""
    return SlotSet(BOT_LOG_SLOT, [*bot_log(tracker), entry][-20:])


def verified_email(tracker: Tracker) -> str | None:
    """The email address the shopper proved an order with, so they are not asked twice."""
    email = tracker.get_slot("order_email")
    if tracker.get_slot("verified_order") and isinstance(email, str) and email:
        return email
    return None


def understood_slot(
    slot: str, value: str | None, dispatcher: CollectingDispatcher, not_understood: str
) -> dict[str, Any]:
    """A form validator's answer: ``value`` for ``slot``, or the slot cleared and asked again.

    ``value`` is None when what the shopper typed could not be read; then the ``not_understood``
    response tells them so.
    """
    if value is None:
        dispatcher.utter_message(response=not_understood)
        return {slot: None}
    return {slot: value}


def ask_with_buttons(
    dispatcher: CollectingDispatcher, response: str, choices: Iterable[tuple[str, str]]
) -> list[EventType]:
    """Asks with ``response`` and a button for each (title, payload) choice; no events."""
    buttons = [{"title": title, "payload": payload} for title, payload in choices]
    dispatcher.utter_message(response=response, buttons=buttons)
    return []
