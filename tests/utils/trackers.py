"""Trackers built in code, the events in them, and what a dispatcher or an action gave back."""

from __future__ import annotations

import copy
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher


def make_tracker(
    slots: dict[str, Any] | None = None,
    intent: str | None = None,
    text: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "conv-1",
    metadata: dict[str, Any] | None = None,
    new_slots: dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A rasa_sdk Tracker as the action server would receive it.

    ``events`` come first; when an intent, text or metadata is given, a ``user`` event with
    that ``parse_data`` and ``metadata`` follows. ``new_slots`` are slots the shopper's message
    just filled: they are in the slots and are the trailing ``SlotSet`` events, which is what
    a form's validation action looks at.
    """
    parse_data: dict[str, Any] = {
        "intent": {"name": intent, "confidence": 0.98} if intent else {},
        "intent_ranking": [{"name": intent, "confidence": 0.98}] if intent else [],
        "entities": entities or [],
        "text": text,
    }
    all_events = [copy.deepcopy(event) for event in events or []]
    if intent or text or metadata:
        all_events.append(
            {
                "event": "user",
                "timestamp": 1_795_000_000.0 + len(all_events),
                "text": text,
                "parse_data": parse_data,
                "metadata": metadata or {},
                "input_channel": "rest",
            }
        )
    all_slots = {**(slots or {}), **(new_slots or {})}
    all_events += [SlotSet(name, value) for name, value in (new_slots or {}).items()]
    return Tracker(
        sender_id,
        all_slots,
        parse_data,
        all_events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def form_answer(
    form: str, slot: str, value: Any, slots: dict[str, Any], intent: str, **extra: Any
) -> Tracker:
    """The shopper's message answering ``form``'s question for ``slot`` with ``value``.

    ``value`` is what they typed and what filled the slot; ``extra`` are more of make_tracker's
    arguments (``events``, ``metadata``).
    """
    return make_tracker(
        slots={**slots, "requested_slot": slot},
        intent=intent,
        text=str(value),
        new_slots={slot: value},
        active_loop=form,
        **extra,
    )


def user_event(text: str, intent: str, timestamp: float = 1_794_999_000.0) -> dict[str, Any]:
    return {
        "event": "user",
        "timestamp": timestamp,
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []},
        "metadata": {},
    }


def bot_event(text: str, timestamp: float = 1_794_999_001.0) -> dict[str, Any]:
    return {"event": "bot", "timestamp": timestamp, "text": text, "data": {}, "metadata": {}}


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    """The last value each returned SlotSet gives, by slot name."""
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def has_pause(events: list[dict[str, Any]]) -> bool:
    return any(event.get("event") == "pause" for event in events)


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    return [message.get("response") for message in dispatcher.messages]


def assert_first_message(
    dispatcher: CollectingDispatcher, response: str, **fields: Any
) -> dict[str, Any]:
    """Asserts the bot's first message is ``response`` with these fields; returns the message."""
    message = dispatcher.messages[0]
    assert message["response"] == response
    assert {name: message[name] for name in fields} == fields
    return message
