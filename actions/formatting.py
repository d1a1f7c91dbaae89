"""Dates, money and lists the way the bot says them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def money(amount: str | float | int | None) -> str:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    return f"${value:,.2f}"


def _parse(value: str) -> date | datetime:
    if len(value) == 10:
        return date.fromisoformat(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _said(value: str | None, say: Callable[[date | datetime], str]) -> str:
    """An ISO date or datetime worded by ``say``: "unknown" when missing, as given when not ISO."""
    if not value:
        return "unknown"
    try:
        parsed = _parse(value)
    except ValueError:
        return value
    return say(parsed)


def _say_day(parsed: date | datetime) -> str:
    return f"{parsed:%A, %B} {parsed.day}"


def day(value: str | None) -> str:
    """'Thursday, November 26' for an ISO date or datetime."""
    return _said(value, _say_day)


def short_day(value: str | None) -> str:
    """'Nov 26' for an ISO date or datetime."""
    return _said(value, lambda parsed: f"{parsed:%b} {parsed.day}")


def moment(value: str | None) -> str:
    """'Monday, November 23 at 6:40 PM UTC' for an ISO datetime (a date: just the day)."""
    return _said(value, _say_moment)


def _say_moment(parsed: date | datetime) -> str:
    if not isinstance(parsed, datetime):
        return _say_day(parsed)
    clock = f"{parsed:%I:%M %p}".lstrip("0")
    zone = parsed.tzname() or ""
    return f"{_say_day(parsed)} at {clock} {zone}".rstrip()


def moment_in(value: str, timezone_name: str) -> str:
    """'Monday, November 30 at 9:00 AM EST': an ISO datetime as the clock in ``timezone_name``."""
    try:
        parsed = _parse(value)
        zone = ZoneInfo(timezone_name)
    except (ValueError, ZoneInfoNotFoundError):
        return moment(value)
    if not isinstance(parsed, datetime):
        return day(value)
    if parsed.tzinfo is None:  # the desk's times are UTC
        parsed = parsed.replace(tzinfo=timezone.utc)
    return _say_moment(parsed.astimezone(zone))


def join_words(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def as_sentence(text: str) -> str:
    """An agent's note as a sentence: capital first letter, final punctuation."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else f"{text}."
