"""Call me instead: collect a phone number and a time window, and book the callback."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import phonenumbers
from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import desk_client
from actions.callback_windows import WindowError, business_now, offer_windows, parse_window
from actions.conversation import ask_with_buttons, bot_log, signed_in_customer
from actions.settings import get_settings

VALIDATE_CALLBACK_FORM = "validate_callback_form"
ACTION_ASK_CALLBACK_WINDOW = "action_ask_callback_window"
ACTION_SCHEDULE_CALLBACK = "action_schedule_callback"


def normalise_phone(text: str, region: str) -> str | None:
    """The first valid phone number in ``text`` in E.164 form, or None."""
    for match in phonenumbers.PhoneNumberMatcher(text, region):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def _now() -> datetime:
    return business_now(get_settings().business_timezone)


class ValidateCallbackForm(FormValidationAction):
    def name(self) -> str:
        return VALIDATE_CALLBACK_FORM

    async def validate_callback_phone(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        phone = normalise_phone(str(slot_value), get_settings().default_phone_region)
        if phone is None:
            dispatcher.utter_message(response="utter_phone_invalid")
            return {"callback_phone": None}
        return {"callback_phone": phone}

    async def validate_callback_window(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        now = _now()
        try:
            window = parse_window(str(slot_value), now)
        except WindowError as error:
            dispatcher.utter_message(text=str(error))
            return {"callback_window": None}
        return {"callback_window": f"{window.start.isoformat()}/{window.end.isoformat()}"}


class ActionAskCallbackWindow(Action):
    def name(self) -> str:
        return ACTION_ASK_CALLBACK_WINDOW

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        now = _now()
        labels = [window.label(now) for window in offer_windows(now)]
        return ask_with_buttons(
            dispatcher, "utter_ask_callback_window", [(label, label) for label in labels]
        )


class ActionScheduleCallback(Action):
    def name(self) -> str:
        return ACTION_SCHEDULE_CALLBACK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        start, _, end = str(tracker.get_slot("callback_window") or "").partition("/")
        phone = str(tracker.get_slot("callback_phone") or "")
        reset: list[EventType] = [SlotSet("callback_phone", None), SlotSet("callback_window", None)]
        payload = {
            "conversation_id": tracker.sender_id,
            "phone": phone,
            "window_start": start,
            "window_end": end,
            "reason": "; ".join(bot_log(tracker)[-3:]) or "Shopper asked for a call back",
            "customer_id": signed_in_customer(tracker),
            "email": tracker.get_slot("order_email"),
            "order_number": tracker.get_slot("verified_order"),
        }
        try:
            callback = await desk_client.create_callback(payload)
        except (desk_client.DeskUnavailable, desk_client.DeskError):
            dispatcher.utter_message(response="utter_desk_unavailable")
            return reset
        window = parse_window_label(start, end)
        dispatcher.utter_message(
            response="utter_callback_booked",
            callback_id=callback["callback_id"],
            phone=phone,
            window=window,
        )
        return reset


def parse_window_label(start: str, end: str) -> str:
    try:
        begin, finish = datetime.fromisoformat(start), datetime.fromisoformat(end)
    except ValueError:
        return f"{start} to {end}"
    return f"{begin:%A, %B} {begin.day}, {begin:%H:%M}–{finish:%H:%M} ({begin.tzname()})"
