"""Emailing the shopper a copy of the chat: the paper trail."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import desk_client
from actions.emails import EmailFormValidation

VALIDATE_TRANSCRIPT_FORM = "validate_transcript_form"
ACTION_REQUEST_TRANSCRIPT = "action_request_transcript"
EMAIL_SLOT = "transcript_email"


class ValidateTranscriptForm(EmailFormValidation):
    email_slot = EMAIL_SLOT
    extract_transcript_email = EmailFormValidation.prefill_email
    validate_transcript_email = EmailFormValidation.check_email

    def name(self) -> str:
        return VALIDATE_TRANSCRIPT_FORM


# The desk's refusals (services/transcript_requests.py) whose message is for the shopper.
REFUSALS_TO_TELL = frozenset({"rate_limited", "confirm_address"})


class ActionRequestTranscript(Action):
    def name(self) -> str:
        return ACTION_REQUEST_TRANSCRIPT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        email = str(tracker.get_slot(EMAIL_SLOT) or "")
        try:
            request = await desk_client.create_transcript_request(tracker.sender_id, email)
        except desk_client.DeskError as error:
            if error.code in REFUSALS_TO_TELL:  # too many asked, or not the account's email
                dispatcher.utter_message(text=error.message)
            else:
                dispatcher.utter_message(response="utter_desk_unavailable")
            return [SlotSet(EMAIL_SLOT, None)]
        except desk_client.DeskUnavailable:
            dispatcher.utter_message(response="utter_desk_unavailable")
            return [SlotSet(EMAIL_SLOT, None)]
        dispatcher.utter_message(
            response="utter_transcript_requested", email=email, request_id=request["request_id"]
        )
        return [SlotSet(EMAIL_SLOT, None)]
