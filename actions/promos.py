"""Promo codes: how they work, and whether a given code can be used."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import desk_client
from actions.formatting import day, money

VALIDATE_PROMO_FORM = "validate_promo_form"
ACTION_CHECK_PROMO_CODE = "action_check_promo_code"

_CODE = re.compile(r"\b[A-Za-z]{3,15}\d{0,3}\b")
_NOT_CODES = {
    "THE",
    "AND",
    "CODE",
    "PROMO",
    "IS",
    "THIS",
    "VALID",
    "CHECK",
    "MY",
    "DOES",
    "WORK",
    "CAN",
    "USE",
    "COUPON",
    "DISCOUNT",
    "PLEASE",
    "PLS",
    "HAVE",
    "WHAT",
    "ABOUT",
    "TRY",
}
_AMOUNT = re.compile(r"\$?\s*(\d{1,6}(?:,\d{3})*(?:\.\d{1,2})?)")


def find_code(text: str) -> str | None:
    """The promo code in ``text``: a word with digits, else an all-caps word, else a lone word."""
    words: list[str] = [w for w in _CODE.findall(text) if w.upper() not in _NOT_CODES]
    with_digits = [w for w in words if any(ch.isdigit() for ch in w)]
    capitals = [w for w in words if w.isupper() and len(w) >= 4]
    if with_digits:
        return with_digits[0].upper()
    if capitals:
        return capitals[0]
    stripped = text.strip()
    if len(words) == 1 and words[0] == stripped:
        return stripped.upper()
    return None


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
        if code is None:
            dispatcher.utter_message(response="utter_promo_code_not_understood")
            return {"promo_code": None}
        return {"promo_code": code}


class ActionCheckPromoCode(Action):
    def name(self) -> str:
        return ACTION_CHECK_PROMO_CODE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        code = str(tracker.get_slot("promo_code") or "")
        subtotal = parse_amount(tracker.get_slot("promo_subtotal"))
        reset: list[EventType] = [SlotSet("promo_code", None), SlotSet("promo_subtotal", None)]
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
