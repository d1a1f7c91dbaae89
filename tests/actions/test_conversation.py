from __future__ import annotations

import pytest

from actions.conversation import (
    bot_log,
    latest_user_metadata,
    log_attempt,
    signed_in_customer,
    verified_email,
)
from actions.formatting import day, join_words, moment, moment_in, money
from tests.utils.orders import EMAIL, make_order, verified_slots
from tests.utils.trackers import make_tracker, user_event


def test_metadata_comes_from_the_latest_user_message() -> None:
    older = {**user_event("hi", "greet"), "metadata": {"customer_id": "C-OLD"}}
    tracker = make_tracker(
        events=[older], intent="inform", text="x", metadata={"customer_id": "C-1"}
    )
    assert latest_user_metadata(tracker) == {"customer_id": "C-1"}
    assert signed_in_customer(tracker) == "C-1"


def test_signed_in_customer_falls_back_to_the_slot() -> None:
    tracker = make_tracker(slots={"customer_id": "C-9"}, intent="inform", text="x")
    assert signed_in_customer(tracker) == "C-9"
    assert signed_in_customer(make_tracker(slots={"customer_id": ""})) is None
    assert signed_in_customer(make_tracker()) is None


def test_non_dict_metadata_is_ignored() -> None:
    event = {**user_event("hi", "greet"), "metadata": "C-1"}
    assert latest_user_metadata(make_tracker(events=[event])) == {}


def test_bot_log_is_capped_at_twenty() -> None:
    tracker = make_tracker(slots={"bot_log": [f"step {i}" for i in range(20)]})
    event = log_attempt(tracker, "step 20")
    assert event["name"] == "bot_log"
    assert len(event["value"]) == 20
    assert event["value"][0] == "step 1" and event["value"][-1] == "step 20"
    assert bot_log(make_tracker(slots={"bot_log": None})) == []


@pytest.mark.parametrize(
    ("value", "text"),
    [("129.99", "$129.99"), ("1259.9", "$1,259.90"), (0, "$0.00"), (None, "None")],
)
def test_money(value: object, text: str) -> None:
    assert money(value) == text  # type: ignore[arg-type]


def test_days_and_moments() -> None:
    assert day("2026-11-27") == "Friday, November 27"
    assert day("2026-11-23T18:40:00Z") == "Monday, November 23"
    assert day(None) == "unknown"
    assert day("soon") == "soon"
    assert moment("2026-11-23T18:40:00Z") == "Monday, November 23 at 6:40 PM UTC"
    assert moment("2026-11-23") == "Monday, November 23"
    assert join_words(["a", "b", "c"]) == "a, b and c"
    assert join_words(["a"]) == "a"


@pytest.mark.parametrize(
    ("value", "zone", "text"),
    [
        ("2026-11-30T14:00:00Z", "America/New_York", "Monday, November 30 at 9:00 AM EST"),
        ("2026-07-30T14:00:00+00:00", "America/New_York", "Thursday, July 30 at 10:00 AM EDT"),
        ("2026-07-30T14:00:00", "America/New_York", "Thursday, July 30 at 10:00 AM EDT"),
        ("2026-11-30T14:00:00Z", "Europe/Berlin", "Monday, November 30 at 3:00 PM CET"),
        ("2026-11-30T14:00:00Z", "Nowhere/Atlantis", "Monday, November 30 at 2:00 PM UTC"),
        ("2026-11-30", "America/New_York", "Monday, November 30"),
        ("soon", "America/New_York", "soon"),
    ],
)
def test_moments_on_the_business_clock(value: str, zone: str, text: str) -> None:
    assert moment_in(value, zone) == text


def test_verified_email_is_only_a_proven_one() -> None:
    assert verified_email(make_tracker(slots=verified_slots(make_order()))) == EMAIL
    assert verified_email(make_tracker(slots={"order_email": "typed@example.com"})) is None
    unproven = {**verified_slots(make_order()), "order_email": None}
    assert verified_email(make_tracker(slots=unproven)) is None
