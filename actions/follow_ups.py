"""Email me instead: an associate answers by email when nobody can chat right now."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import desk_client
from actions.conversation import bot_log, log_attempt
from actions.emails import EmailFormValidation
from actions.handoff import PENDING_SLOT, HandoffRequest, customer_card, verified_order

VALIDATE_FOLLOW_UP_FORM = "validate_follow_up_form"
ACTION_REQUEST_EMAIL_FOLLOW_UP = "action_request_email_follow_up"
EMAIL_SLOT = "follow_up_email"
CASE_KIND = "email_follow_up"


class ValidateFollowUpForm(EmailFormValidation):
    email_slot = EMAIL_SLOT
    extract_follow_up_email = EmailFormValidation.prefill_email
    validate_follow_up_email = EmailFormValidation.check_email

    def name(self) -> str:
        return VALIDATE_FOLLOW_UP_FORM


def _description(tracker: Tracker) -> str:
    """What the shopper needs: the handoff nobody could take, else what the bot last did."""
    pending = HandoffRequest.from_slot(tracker.get_slot(PENDING_SLOT))
    if pending is not None:
        return pending.reason
    recent = bot_log(tracker)[-3:]
    return "; ".join(recent) if recent else "Shopper asked to be answered by email"


class ActionRequestEmailFollowUp(Action):
    """Opens an ``email_follow_up`` case: an associate answers the shopper by email."""

    def name(self) -> str:
        return ACTION_REQUEST_EMAIL_FOLLOW_UP

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        email = str(tracker.get_slot(EMAIL_SLOT) or "")
        done: list[EventType] = [SlotSet(EMAIL_SLOT, None), SlotSet("handoff_offered", False)]
        payload = {
            "kind": CASE_KIND,
            "conversation_id": tracker.sender_id,
            "order_number": verified_order(tracker),
            "customer": {**customer_card(tracker), "email": email},
            "description": _description(tracker),
        }
        case = await desk_client.answer_or_none(
            desk_client.create_case(payload), "open an email follow-up"
        )
        if case is None:
            dispatcher.utter_message(response="utter_handoff_failed")
            return done
        number = case["case_number"]
        dispatcher.utter_message(
            response="utter_email_follow_up_opened", case_number=number, email=email
        )
        return [
            *done,
            SlotSet(PENDING_SLOT, None),
            log_attempt(tracker, f"Email follow-up case {number} for {email}"),
        ]
