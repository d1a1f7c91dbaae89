"""Callback time windows: offering free slots and reading what the shopper typed.

Understands "today 2-4pm", "tomorrow between 10 and 12", "Friday morning", "after 5",
"asap" and the titles of the buttons the bot offers. Windows must lie within business hours
and start in the future; times are in the business's time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

OPEN_HOUR = 9
CLOSE_HOUR = 18
WINDOW_HOURS = 2

_WEEKDAYS = [
    r"mon(?:day)?",
    r"tue(?:s|sday)?",
    r"wed(?:s|nesday)?",
    r"thu(?:r|rs|rsday)?",
    r"fri(?:day)?",
    r"sat(?:urday)?",
    r"sun(?:day)?",
]
_PARTS_OF_DAY = {"morning": (9, 12), "afternoon": (12, 17), "evening": (16, 18), "noon": (12, 14)}
_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?"
_RANGE = re.compile(rf"{_TIME}\s*(?:-|–|to|and|until|till)\s*{_TIME}")
_AFTER = re.compile(rf"(?:after|from|at|around)\s+{_TIME}")
_ASAP = re.compile(r"\b(asap|as soon as possible|now|right away|soon|any ?time)\b")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def label(self, now: datetime) -> str:
        days = (self.start.date() - now.date()).days
        name = {0: "Today", 1: "Tomorrow"}.get(days, f"{self.start:%A}")
        return f"{name} {_clock(self.start)}–{_clock(self.end)}"


class WindowError(ValueError):
    """The text is not a usable window; ``str(error)`` tells the shopper why."""


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes} {'AM' if moment.hour < 12 else 'PM'}"


def _hour(hour: str, minute: str | None, meridiem: str | None, other: str | None) -> time:
    value = int(hour)
    marker = (meridiem or other or "").replace(".", "")
    if marker == "pm" and value < 12:
        value += 12
    elif marker == "am" and value == 12:
        value = 0
    elif not marker and 1 <= value <= 7:
        value += 12  # "between 2 and 4" during business hours means the afternoon
    if not 0 <= value <= 23:
        raise WindowError('I didn\'t catch that time. Could you give it like "2-4 pm"?')
    return time(value, int(minute or 0))


def offer_windows(now: datetime, count: int = 3) -> list[Window]:
    """The next ``count`` two-hour windows within business hours."""
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    windows: list[Window] = []
    while len(windows) < count:
        if start.hour < OPEN_HOUR:
            start = start.replace(hour=OPEN_HOUR)
        if start.hour + WINDOW_HOURS > CLOSE_HOUR:
            start = (start + timedelta(days=1)).replace(hour=OPEN_HOUR)
            continue
        windows.append(Window(start, start + timedelta(hours=WINDOW_HOURS)))
        start += timedelta(hours=WINDOW_HOURS)
    return windows


def _named_day(text: str, now: datetime) -> datetime | None:
    if "tomorrow" in text:
        return now + timedelta(days=1)
    if "today" in text:
        return now
    for index, pattern in enumerate(_WEEKDAYS):
        if re.search(rf"\b{pattern}\b", text):
            ahead = (index - now.weekday()) % 7
            return now + timedelta(days=ahead)
    return None


def parse_window(text: str, now: datetime) -> Window:
    """The window ``text`` asks for, or :class:`WindowError` explaining what to change."""
    lowered = text.lower().strip()
    named = _named_day(lowered, now)
    if _ASAP.search(lowered) and named is None:
        return offer_windows(now, 1)[0]
    on = named or now
    zone = now.tzinfo
    if match := _RANGE.search(lowered):
        h1, m1, a1, h2, m2, a2 = match.groups()
        end_time = _hour(h2, m2, a2, None)
        start_time = _hour(h1, m1, a1, a2)
        if a1 is None and start_time >= end_time:
            # "11-1pm": the pm belongs to the end only.
            start_time = _hour(h1, m1, None, None)
            if start_time >= end_time:
                start_time = _hour(h1, m1, "am", None)
    elif _ASAP.search(lowered):
        start_time, end_time = time(OPEN_HOUR), time(CLOSE_HOUR)
    elif match := _AFTER.search(lowered):
        hour, minute, meridiem = match.groups()
        start_time = _hour(hour, minute, meridiem, None)
        end_time = time(min(start_time.hour + WINDOW_HOURS, CLOSE_HOUR), start_time.minute)
    elif part := next((p for p in _PARTS_OF_DAY if p in lowered), None):
        first, last = _PARTS_OF_DAY[part]
        start_time, end_time = time(first), time(last)
    else:
        raise WindowError(
            "I didn't catch a time there. You can pick one of the times below or type "
            'something like "tomorrow 2-4 pm".'
        )
    start = datetime.combine(on.date(), start_time, tzinfo=zone)
    end = datetime.combine(on.date(), end_time, tzinfo=zone)
    if end <= start:
        raise WindowError("That window ends before it starts. Could you give it again?")
    if start_time.hour < OPEN_HOUR or (end_time.hour, end_time.minute) > (CLOSE_HOUR, 0):
        raise WindowError(
            f"Our team calls between {OPEN_HOUR} AM and {CLOSE_HOUR - 12} PM. "
            "Could you pick a time in those hours?"
        )
    if end <= now:
        raise WindowError("That time has already passed today. Could you pick a later one?")
    return Window(max(start, now), end)


def business_now(timezone_name: str) -> datetime:
    return datetime.now(ZoneInfo(timezone_name))
