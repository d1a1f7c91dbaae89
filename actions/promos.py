"""Promo codes: how they work, and whether a given code can be used (and if not, why)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import desk_client
from actions.conversation import understood_slot
from actions.formatting import day, money
from rasa_extensions.nlp.promo_codes import find_promo_code

VALIDATE_PROMO_FORM = "validate_promo_form"
ACTION_CHECK_PROMO_CODE = "action_check_promo_code"

_AMOUNT = re.compile(r"\$?\s*(\d{1,6}(?:,\d{3})*(?:\.\d{1,2})?)")


def find_code(text: str) -> str | None:
    """The promo code in an answer to "what's the code?" (a single word counts)."""
    found = find_promo_code(text, expecting_code=True)
    return found.code if found else None


def parse_amount(text: str | None) -> str | None:
    if not text:
        return None
    found = _AMOUNT.search(text)
    if found is None:
        return None
    try:
        return str(Decimal(found.group(1).replace(",", "")))
    except InvalidOperation:
        return None


class ValidatePromoForm(FormValidationAction):
    def name(self) -> str:
        return VALIDATE_PROMO_FORM

    async def validate_promo_code(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        code = find_code(str(slot_value))
        return understood_slot("promo_code", code, dispatcher, "utter_promo_code_not_understood")


class ActionCheckPromoCode(Action):
    def name(self) -> str:
        return ACTION_CHECK_PROMO_CODE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        code = str(tracker.get_slot("promo_code") or "")
        subtotal = parse_amount(tracker.get_slot("promo_subtotal"))
        reset: list[EventType] = [SlotSet("promo_code", None), SlotSet("promo_subtotal", None)]
        if not code:
            # A question about promo codes in the middle of another task, naming none.
            dispatcher.utter_message(response="utter_promo_codes_explained")
            return reset
        try:
            promo = await desk_client.check_promo_code(code, subtotal)
        except desk_client.DeskUnavailable:
            dispatcher.utter_message(response="utter_desk_unavailable")
            return reset
        except desk_client.DeskError:
            dispatcher.utter_message(response="utter_promo_unknown", code=code)
            return reset
        details = {
            "code": promo["code"],
            "description": promo.get("description") or "a discount",
            "min_spend": money(promo.get("min_spend") or 0),
            "expires": day(promo.get("expires_at")) if promo.get("expires_at") else "no end date",
        }
        if promo.get("valid"):
            dispatcher.utter_message(response="utter_promo_valid", **details)
        else:
            reason = promo.get("reason") or "expired"
            dispatcher.utter_message(response=f"utter_promo_{reason}", **details)
        return reset
