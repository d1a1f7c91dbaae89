"""Finding the email address in what a shopper typed, and validating the forms that ask for one."""

from __future__ import annotations

import re
from abc import abstractmethod
from typing import Any, ClassVar

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.conversation import understood_slot, verified_email

_EMAIL = re.compile(r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[A-Za-z]{2,}")


def find_email(text: str) -> str | None:
    """The first email address in ``text``, lower-cased, or None."""
    found = _EMAIL.search(text)
    return found.group(0).strip(".").lower() if found else None


class EmailFormValidation(FormValidationAction):
    """The validation of a form that asks for one email address, the slot ``email_slot``.

    rasa-sdk finds a slot's ``extract_<slot>`` and ``validate_<slot>`` methods by name, so each
    form binds them: ``extract_<slot> = EmailFormValidation.prefill_email`` and
    ``validate_<slot> = EmailFormValidation.check_email``.
    """

    email_slot: ClassVar[str]

    @abstractmethod
    def name(self) -> str:
        """Abstract, so that the action server does not register this class as an action."""

    async def prefill_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The slot from the email already verified for an order (not asked twice)."""
        known = verified_email(tracker)
        if tracker.get_slot(self.email_slot) is None and known:
            return {self.email_slot: known}
        return {}

    async def check_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """The email in what the shopper typed, or the slot cleared with a "doesn't look right"."""
        return understood_slot(
            self.email_slot, find_email(str(slot_value)), dispatcher, "utter_email_malformed"
        )
