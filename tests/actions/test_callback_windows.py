from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from actions.callback_windows import Window, WindowError, offer_windows, parse_window

NY = ZoneInfo("America/New_York")
# Monday 23 November 2026, 10:30 in New York.
MONDAY_MORNING = datetime(2026, 11, 23, 10, 30, tzinfo=NY)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("today 2-4pm", at(23, 14), at(23, 16)),
        ("Today 2 - 4 PM", at(23, 14), at(23, 16)),
        ("today 2:30-4:30pm", at(23, 14, 30), at(23, 16, 30)),
        ("tomorrow between 10 and 12", at(24, 10), at(24, 12)),
        ("tomorrow 11am to 1pm", at(24, 11), at(24, 13)),
        ("tomorrow 2 until 4", at(24, 14), at(24, 16)),
        ("Friday morning", at(27, 9), at(27, 12)),
        ("fri afternoon", at(27, 12), at(27, 17)),
        ("wednesday evening", at(25, 16), at(25, 18)),
        ("after 5", at(23, 17), at(23, 18)),
        ("tomorrow at 3pm", at(24, 15), at(24, 17)),
        ("around 1", at(23, 13), at(23, 15)),
    ],
)
def test_windows_shoppers_type(text: str, start: datetime, end: datetime) -> None:
    window = parse_window(text, MONDAY_MORNING)
    assert window == Window(start, end)
    assert window.start.tzinfo is not None


def test_a_window_already_under_way_starts_now() -> None:
    window = parse_window("today between 10 and 12", MONDAY_MORNING)
    assert window == Window(MONDAY_MORNING, at(23, 12))


@pytest.mark.parametrize("text", ["asap", "as soon as possible", "call me right away"])
def test_asap_takes_the_next_offered_window(text: str) -> None:
    assert parse_window(text, MONDAY_MORNING) == Window(at(23, 11), at(23, 13))


@pytest.mark.parametrize("text", ["today 7-9pm", "today 8-10", "tomorrow 5-7pm", "tomorrow at 6am"])
def test_outside_business_hours(text: str) -> None:
    with pytest.raises(WindowError) as caught:
        parse_window(text, MONDAY_MORNING)
    assert "Our team calls between 9 AM and 6 PM" in str(caught.value)


def test_past_time_today() -> None:
    with pytest.raises(WindowError) as caught:
        parse_window("today 9-10am", MONDAY_MORNING)
    assert "already passed" in str(caught.value)


def test_backwards_window() -> None:
    with pytest.raises(WindowError) as caught:
        parse_window("tomorrow 4pm to 2pm", MONDAY_MORNING)
    assert "ends before it starts" in str(caught.value)


@pytest.mark.parametrize("text", ["whenever you like", "blue", ""])
def test_no_time(text: str) -> None:
    with pytest.raises(WindowError) as caught:
        parse_window(text, MONDAY_MORNING)
    assert "I didn't catch a time there" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("tomorrow 10-12pm", at(24, 10), at(24, 12)),
        ("tomorrow 11-1pm", at(24, 11), at(24, 13)),
    ],
)
def test_a_shared_pm_belongs_to_the_end_only_when_it_fits(
    text: str, start: datetime, end: datetime
) -> None:
    # "10-12pm" means 10 AM to noon, not 10 PM to noon.
    assert parse_window(text, MONDAY_MORNING) == Window(start, end)


@pytest.mark.parametrize(("text", "day"), [("thurs 2-4", 26), ("tues 2-4", 24), ("weds 2-4", 25)])
def test_common_weekday_abbreviations(text: str, day: int) -> None:
    # Not recognising the day must not silently book today instead.
    assert parse_window(text, MONDAY_MORNING) == Window(at(day, 14), at(day, 16))


def test_any_time_tomorrow_is_tomorrow() -> None:
    window = parse_window("any time tomorrow", MONDAY_MORNING)
    assert window.start.date() == at(24, 9).date()


def test_offer_windows_during_the_day() -> None:
    windows = offer_windows(MONDAY_MORNING)
    assert windows == [
        Window(at(23, 11), at(23, 13)),
        Window(at(23, 13), at(23, 15)),
        Window(at(23, 15), at(23, 17)),
    ]
    assert [w.label(MONDAY_MORNING) for w in windows] == [
        "Today 11 AM–1 PM",
        "Today 1 PM–3 PM",
        "Today 3 PM–5 PM",
    ]


def test_offer_windows_late_afternoon_rolls_to_tomorrow() -> None:
    now = at(23, 16, 30)
    windows = offer_windows(now)
    assert windows[0] == Window(at(24, 9), at(24, 11))
    assert windows[0].label(now) == "Tomorrow 9 AM–11 AM"


def test_offer_windows_before_opening_and_at_night() -> None:
    assert offer_windows(at(23, 6, 15), 1) == [Window(at(23, 9), at(23, 11))]
    assert offer_windows(at(23, 23, 30), 1) == [Window(at(24, 9), at(24, 11))]


def test_labels_further_out_name_the_weekday() -> None:
    window = Window(at(25, 9), at(25, 11))
    assert window.label(MONDAY_MORNING) == "Wednesday 9 AM–11 AM"


@pytest.mark.parametrize("now", [MONDAY_MORNING, at(23, 16, 30), at(23, 23, 30), at(23, 12, 5)])
def test_offered_buttons_parse_back_to_the_same_window(now: datetime) -> None:
    for window in offer_windows(now):
        assert parse_window(window.label(now), now) == window
