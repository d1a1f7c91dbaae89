"""Emailing the shopper a copy of the chat: the paper trail."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import desk_client
from actions.emails import prefill_email_slot, validated_email_slot

VALIDATE_TRANSCRIPT_FORM = "validate_transcript_form"
ACTION_REQUEST_TRANSCRIPT = "action_request_transcript"


class ValidateTranscriptForm(FormValidationAction):
    def name(self) -> str:
        return VALIDATE_TRANSCRIPT_FORM

    async def extract_transcript_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return prefill_email_slot(tracker, "transcript_email")

    async def validate_transcript_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        return validated_email_slot("transcript_email", slot_value, dispatcher)


# The desk's refusals (services/transcript_requests.py) whose message is for the shopper.
REFUSALS_TO_TELL = frozenset({"rate_limited", "confirm_address"})


class ActionRequestTranscript(Action):
    def name(self) -> str:
        return ACTION_REQUEST_TRANSCRIPT

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        email = str(tracker.get_slot("transcript_email") or "")
        try:
            request = await desk_client.create_transcript_request(tracker.sender_id, email)
        except desk_client.DeskError as error:
            if error.code in REFUSALS_TO_TELL:  # too many asked, or not the account's email
                dispatcher.utter_message(text=error.message)
            else:
                dispatcher.utter_message(response="utter_desk_unavailable")
            return [SlotSet("transcript_email", None)]
        except desk_client.DeskUnavailable:
            dispatcher.utter_message(response="utter_desk_unavailable")
            return [SlotSet("transcript_email", None)]
        dispatcher.utter_message(
            response="utter_transcript_requested", email=email, request_id=request["request_id"]
        )
        return [SlotSet("transcript_email", None)]
