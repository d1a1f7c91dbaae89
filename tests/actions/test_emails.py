from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rasa_sdk import FormValidationAction
from rasa_sdk.executor import CollectingDispatcher

from actions.emails import find_email
from actions.follow_ups import ValidateFollowUpForm
from actions.transcripts import ValidateTranscriptForm
from tests.utils.orders import EMAIL, make_order, verified_slots
from tests.utils.trackers import make_tracker, responses, slot_events


@dataclass(frozen=True)
class EmailForm:
    """A form that asks for one email address, and the intent that starts it."""

    validation: FormValidationAction
    name: str
    slot: str
    intent: str

    async def extract(self, dispatcher: CollectingDispatcher, slots: dict[str, Any]) -> Any:
        tracker = make_tracker(slots=slots, intent=self.intent)
        return await getattr(self.validation, f"extract_{self.slot}")(dispatcher, tracker, {})

    async def validate(self, dispatcher: CollectingDispatcher, text: str) -> Any:
        validate = getattr(self.validation, f"validate_{self.slot}")
        return await validate(text, dispatcher, make_tracker(), {})


FOLLOW_UP = EmailForm(
    ValidateFollowUpForm(), "follow_up_form", "follow_up_email", "request_email_follow_up"
)
TRANSCRIPT = EmailForm(
    ValidateTranscriptForm(), "transcript_form", "transcript_email", "email_transcript"
)
EMAIL_FORMS = [pytest.param(FOLLOW_UP, id="follow_up"), pytest.param(TRANSCRIPT, id="transcript")]


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("maya.chen@example.com", "maya.chen@example.com"),
        ("it's under Maya.Chen@Example.COM.", "maya.chen@example.com"),
        ("email: <jdoe88@gmail.com>", "jdoe88@gmail.com"),
    ],
)
def test_finds_the_address(text: str, email: str) -> None:
    assert find_email(text) == email


@pytest.mark.parametrize("text", ["maya at example dot com", "maya@example", "no idea"])
def test_no_address(text: str) -> None:
    assert find_email(text) is None


# ------------------------------------------------------------------ the email forms


@pytest.mark.parametrize("form", EMAIL_FORMS)
async def test_the_verified_email_is_used_without_asking(
    dispatcher: CollectingDispatcher, form: EmailForm
) -> None:
    slots = verified_slots(make_order("delivered"))
    assert await form.extract(dispatcher, slots) == {form.slot: EMAIL}


@pytest.mark.parametrize("form", EMAIL_FORMS)
@pytest.mark.parametrize(
    "slots",
    [
        {},
        {"order_email": "typed@example.com"},  # typed, but never verified
        {**verified_slots(make_order("delivered")), "order_email": None},  # signed in
    ],
)
async def test_no_email_is_guessed(
    dispatcher: CollectingDispatcher, form: EmailForm, slots: dict[str, Any]
) -> None:
    assert await form.extract(dispatcher, slots) == {}


@pytest.mark.parametrize("form", EMAIL_FORMS)
async def test_an_email_already_given_is_kept(
    dispatcher: CollectingDispatcher, form: EmailForm
) -> None:
    slots = {**verified_slots(make_order("delivered")), form.slot: "other@example.com"}
    assert await form.extract(dispatcher, slots) == {}


@pytest.mark.parametrize("form", EMAIL_FORMS)
async def test_the_form_asks_only_when_it_does_not_know(
    dispatcher: CollectingDispatcher, domain: dict[str, Any], form: EmailForm
) -> None:
    known = make_tracker(
        slots=verified_slots(make_order("delivered")),
        intent=form.intent,
        text="email me",
        active_loop=form.name,
    )
    events = await form.validation.run(dispatcher, known, domain)
    assert slot_events(events)[form.slot] == EMAIL

    unknown = make_tracker(intent=form.intent, text="email me", active_loop=form.name)
    events = await form.validation.run(dispatcher, unknown, domain)
    assert slot_events(events).get(form.slot) is None


@pytest.mark.parametrize("form", EMAIL_FORMS)
async def test_validate_email(dispatcher: CollectingDispatcher, form: EmailForm) -> None:
    assert await form.validate(dispatcher, "write to Maya.Chen@Example.com please") == {
        form.slot: EMAIL
    }
    assert await form.validate(dispatcher, "maya at example") == {form.slot: None}
    assert responses(dispatcher) == ["utter_email_malformed"]
