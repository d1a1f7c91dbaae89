"""Finding the email address in what a shopper typed."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import understood_slot, verified_email

_EMAIL = re.compile(r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[A-Za-z]{2,}")


def find_email(text: str) -> str | None:
    """The first email address in ``text``, lower-cased, or None."""
    found = _EMAIL.search(text)
    return found.group(0).strip(".").lower() if found else None


def prefill_email_slot(tracker: Tracker, slot: str) -> dict[str, Any]:
    """A form's email slot from the email already verified for an order (not asked twice)."""
    known = verified_email(tracker)
    if tracker.get_slot(slot) is None and known:
        return {slot: known}
    return {}


def validated_email_slot(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    """The email in what the shopper typed, or the slot cleared with a "doesn't look right"."""
    return understood_slot(slot, find_email(str(value)), dispatcher, "utter_email_malformed")
