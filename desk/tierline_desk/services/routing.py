"""Routing rules: business hours, agents online, and whether a handoff can reach a person now.

``BUSINESS_HOURS`` is a comma-separated list of ``Day[-Day] HH:MM-HH:MM`` entries, in local time
of ``BUSINESS_TIMEZONE`` (an IANA name, so daylight saving time is handled by zoneinfo):
``"Mon-Fri 09:00-18:00, Sat 10:00-14:00"``. Days not listed are closed; a day may be listed more
than once (``"Mon 09:00-12:00, Mon 13:00-17:00"``); a day range may wrap (``"Sun-Thu ..."``);
``24:00`` closes at midnight. The default ``"Mon-Sun 00:00-24:00"`` is always open. A malformed
value raises :class:`BusinessHoursError` (a :class:`SettingsError`), and ``create_app`` calls
:func:`get_business_hours` so the desk refuses to start with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import Agent, utcnow
from ..schemas import UnavailableReason
from ..settings import SettingsError, get_settings

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 24 * 60
# Which agent roles work each tier's queue (supervisors also take tier 1).
ROLES_BY_TIER: dict[int, tuple[str, ...]] = {1: ("associate", "supervisor"), 2: ("supervisor",)}
# How far ahead next_open looks: two weeks covers any weekly schedule, even when one day's
# opening falls into a daylight-saving gap.
_LOOKAHEAD_DAYS = 15

_ENTRY_RE = re.compile(
    r"^(?P<first>[A-Za-z]{3})(?:\s*-\s*(?P<last>[A-Za-z]{3}))?\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)
_FORMAT_HINT = "use 'Day[-Day] HH:MM-HH:MM, ...', e.g. 'Mon-Fri 09:00-18:00, Sat 10:00-14:00'"


class BusinessHoursError(SettingsError):
    """BUSINESS_HOURS or BUSINESS_TIMEZONE cannot be understood (message is for people)."""


@dataclass(frozen=True)
class Window:
    """Open on ``day`` (0 = Monday) from ``start`` to ``end``, minutes after local midnight."""

    day: int
    start: int
    end: int


@dataclass(frozen=True)
class Entry:
    """One entry as written, for the human description: days ``first``..``last``."""

    first: int
    last: int
    start: int
    end: int

    def describe(self) -> str:
        days = (
            DAYS[self.first] if self.first == self.last else f"{DAYS[self.first]}-{DAYS[self.last]}"
        )
        return f"{days} {_hhmm(self.start)}-{_hhmm(self.end)}"


@dataclass(frozen=True)
class BusinessHours:
    entries: tuple[Entry, ...]
    windows: tuple[Window, ...]
    timezone: ZoneInfo

    def describe(self) -> str:
        """The hours for people: ``"Mon-Fri 09:00-18:00, Sat 10:00-14:00 America/New_York"``."""
        return f"{', '.join(e.describe() for e in self.entries)} {self.timezone.key}"

    def is_open(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) falls in an opening window, by local wall time."""
        local = now.astimezone(self.timezone)
        minute = local.hour * 60 + local.minute + local.second / 60
        return any(w.day == local.weekday() and w.start <= minute < w.end for w in self.windows)

    def next_open(self, now: datetime) -> datetime | None:
        """The first moment at or after ``now`` when the desk is open, in UTC (``now`` itself
        while open). None only if no opening exists in the next two weeks, which a valid
        schedule cannot produce."""
        if self.is_open(now):
            return now.astimezone(UTC)
        today = now.astimezone(self.timezone).date()
        candidates = []
        for offset in range(_LOOKAHEAD_DAYS):
            day = today + timedelta(days=offset)
            for window in self.windows:
                if window.day != day.weekday():
                    continue
                opens = _local_instant(day, window.start, self.timezone)
                # A local time inside a daylight-saving gap maps to the instant after the jump;
                # only count it if the desk really is open then.
                if opens > now and self.is_open(opens):
                    candidates.append(opens)
            if candidates:
                return min(candidates)
        return None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _local_instant(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    return local.astimezone(UTC)


def _parse_day(name: str, entry: str) -> int:
    for index, day in enumerate(DAYS):
        if name.casefold() == day.casefold():
            return index
    raise BusinessHoursError(
        f"BUSINESS_HOURS entry {entry!r}: unknown day {name!r} (use {', '.join(DAYS)})"
    )


def _parse_time(value: str, entry: str) -> int:
    hours, _, minutes = value.partition(":")
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m != 0):
        raise BusinessHoursError(
            f"BUSINESS_HOURS entry {entry!r}: {value!r} is not a time of day (00:00 to 24:00)"
        )
    return h * 60 + m


def parse_entry(entry: str) -> Entry:
    match = _ENTRY_RE.fullmatch(entry)
    if match is None:
        raise BusinessHoursError(f"BUSINESS_HOURS entry {entry!r} is malformed: {_FORMAT_HINT}")
    first = _parse_day(match["first"], entry)
    last = _parse_day(match["last"], entry) if match["last"] else first
    start = _parse_time(match["start"], entry)
    end = _parse_time(match["end"], entry)
    if end <= start:
        raise BusinessHoursError(
            f"BUSINESS_HOURS entry {entry!r}: closing time must be after opening time "
            "(for hours past midnight, list the next day separately, e.g. 'Fri 20:00-24:00, "
            "Sat 00:00-02:00')"
        )
    return Entry(first=first, last=last, start=start, end=end)


def _days_of(entry: Entry) -> list[int]:
    """The weekdays ``first``..``last``, wrapping past Sunday (``Sun-Thu``)."""
    span = (entry.last - entry.first) % 7
    return [(entry.first + i) % 7 for i in range(span + 1)]


@lru_cache(maxsize=16)
def parse_business_hours(text: str, timezone: str) -> BusinessHours:
    """Parse BUSINESS_HOURS in BUSINESS_TIMEZONE; :class:`BusinessHoursError` if malformed."""
    try:
        tz = ZoneInfo(timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise BusinessHoursError(
            f"BUSINESS_TIMEZONE {timezone!r} is not a known time zone: use an IANA name such "
            "as America/New_York or Europe/Berlin"
        ) from None
    parts = [part.strip() for part in text.split(",")]
    if not any(parts):
        raise BusinessHoursError(
            f"BUSINESS_HOURS is empty: {_FORMAT_HINT} ('Mon-Sun 00:00-24:00' is always open)"
        )
    if not all(parts):
        raise BusinessHoursError(f"BUSINESS_HOURS {text!r} has an empty entry: {_FORMAT_HINT}")
    entries = tuple(parse_entry(part) for part in parts)
    windows = tuple(
        Window(day=day, start=e.start, end=e.end) for e in entries for day in _days_of(e)
    )
    return BusinessHours(entries=entries, windows=windows, timezone=tz)


def get_business_hours() -> BusinessHours:
    """The configured hours (BUSINESS_HOURS in BUSINESS_TIMEZONE)."""
    settings = get_settings()
    return parse_business_hours(settings.business_hours, settings.business_timezone)


# ------------------------------------------------------------------ agents online
def online_since(now: datetime) -> datetime:
    """Agents seen at or after this moment count as online."""
    return now - timedelta(seconds=get_settings().agent_online_seconds)


def agents_online(session: Session, tier: int, now: datetime | None = None) -> int:
    """Active agents whose role works ``tier`` and whose console was seen recently."""
    now = now or utcnow()
    count = session.scalar(
        select(func.count())
        .select_from(Agent)
        .where(
            Agent.active.is_(True),
            Agent.role.in_(ROLES_BY_TIER[tier]),
            Agent.last_seen_at.is_not(None),
            Agent.last_seen_at >= online_since(now),
        )
    )
    return int(count or 0)


# ------------------------------------------------------------------ availability
@dataclass(frozen=True)
class Availability:
    """Whether a new handoff to ``tier`` can reach a person now, and why not."""

    reason: UnavailableReason | None
    agents_online: int
    estimated_wait_minutes: int
    next_open_at: datetime | None  # only when outside hours

    @property
    def available(self) -> bool:
        return self.reason is None


def availability(
    session: Session, tier: int, estimated_wait_minutes: int, now: datetime | None = None
) -> Availability:
    """Outside business hours, then nobody online for the tier, then a wait above
    MAX_WAIT_MINUTES (``estimated_wait_minutes`` is the wait a new ticket would have)."""
    now = now or utcnow()
    hours = get_business_hours()
    online = agents_online(session, tier, now)
    reason: UnavailableReason | None = None
    next_open_at = None
    if not hours.is_open(now):
        reason = "outside_hours"
        next_open_at = hours.next_open(now)
    elif online == 0:
        reason = "no_agents_online"
    elif estimated_wait_minutes > get_settings().max_wait_minutes:
        reason = "long_wait"
    return Availability(
        reason=reason,
        agents_online=online,
        estimated_wait_minutes=estimated_wait_minutes,
        next_open_at=next_open_at,
    )
