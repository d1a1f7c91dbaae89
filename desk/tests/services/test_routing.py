"""Routing rules: business hours (parsing, DST, closed days, next opening), agents online."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.desk import unset_env
from tierline_desk.models import Agent
from tierline_desk.services import routing
from tierline_desk.services.cases import route
from tierline_desk.services.routing import BusinessHoursError, parse_business_hours
from tierline_desk.settings import SettingsError, get_settings

NY = "America/New_York"
WEEK = "Mon-Fri 09:00-18:00, Sat 10:00-14:00"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Settings are read again after each test's environment changes (and after it)."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# ------------------------------------------------------------------ parsing
def test_parsed_hours_are_described_canonically() -> None:
    hours = parse_business_hours("mon-FRI 9:00-18:00,Sat 10:00 - 14:00", NY)
    assert hours.describe() == "Mon-Fri 09:00-18:00, Sat 10:00-14:00 America/New_York"


def test_the_default_is_always_open(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_env(monkeypatch, ("BUSINESS_HOURS", "BUSINESS_TIMEZONE"))
    get_settings.cache_clear()
    hours = routing.get_business_hours()
    assert hours.describe() == "Mon-Sun 00:00-24:00 America/New_York"
    for moment in (utc(2026, 3, 8, 7, 0), utc(2026, 7, 19, 3, 59, 59), utc(2026, 12, 31, 4, 59)):
        assert hours.is_open(moment)
        assert hours.next_open(moment) == moment


def test_hours_come_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUSINESS_HOURS", "Tue 08:00-12:00")
    monkeypatch.setenv("BUSINESS_TIMEZONE", "Europe/Berlin")
    get_settings.cache_clear()
    assert routing.get_business_hours().describe() == "Tue 08:00-12:00 Europe/Berlin"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "BUSINESS_HOURS is empty"),
        ("   ", "BUSINESS_HOURS is empty"),
        ("Mon-Fri 9am-5pm", "'Mon-Fri 9am-5pm' is malformed"),
        ("Mon-Fri", "is malformed"),
        ("09:00-18:00", "is malformed"),
        ("Monday 09:00-18:00", "is malformed"),
        ("Mon-Fry 09:00-18:00", "unknown day 'Fry'"),
        ("Mon 09:00-25:00", "'25:00' is not a time of day"),
        ("Mon 09:60-10:00", "'09:60' is not a time of day"),
        ("Mon 09:00-24:30", "'24:30' is not a time of day"),
        ("Mon 18:00-09:00", "closing time must be after opening time"),
        ("Mon 09:00-09:00", "closing time must be after opening time"),
        ("Mon 09:00-10:00,", "has an empty entry"),
        ("Mon 09:00-10:00,, Tue 09:00-10:00", "has an empty entry"),
    ],
)
def test_malformed_hours_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(BusinessHoursError, match=message) as caught:
        parse_business_hours(text, NY)
    assert isinstance(caught.value, SettingsError)
    assert "BUSINESS_HOURS" in str(caught.value)


@pytest.mark.parametrize("zone", ["", "Mars/Olympus", "../etc/passwd", "EST5EDT/x"])
def test_unknown_time_zone_is_a_clear_error(zone: str) -> None:
    with pytest.raises(BusinessHoursError, match=r"BUSINESS_TIMEZONE .* not a known time zone"):
        parse_business_hours(WEEK, zone)


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        ("BUSINESS_HOURS", "Mon-Fri 9-5", "BUSINESS_HOURS entry 'Mon-Fri 9-5' is malformed"),
        ("BUSINESS_TIMEZONE", "Mars/Olympus", "BUSINESS_TIMEZONE 'Mars/Olympus'"),
    ],
)
def test_the_desk_refuses_to_start_with_bad_hours(
    db: str, monkeypatch: pytest.MonkeyPatch, var: str, value: str, message: str
) -> None:
    from tierline_desk.main import create_app

    monkeypatch.setenv(var, value)
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match=message):
        create_app()


# ------------------------------------------------------------------ open or closed
def test_opening_follows_local_time_across_daylight_saving() -> None:
    hours = parse_business_hours(WEEK, NY)
    # Wednesday in January: EST (UTC-5), 09:00 local is 14:00 UTC.
    assert not hours.is_open(utc(2026, 1, 14, 13, 59))
    assert hours.is_open(utc(2026, 1, 14, 14, 0))
    assert hours.is_open(utc(2026, 1, 14, 22, 59))
    assert not hours.is_open(utc(2026, 1, 14, 23, 0))
    # Wednesday in July: EDT (UTC-4), 09:00 local is 13:00 UTC.
    assert not hours.is_open(utc(2026, 7, 15, 12, 59))
    assert hours.is_open(utc(2026, 7, 15, 13, 0))
    assert hours.is_open(utc(2026, 7, 15, 21, 59, 59))
    assert not hours.is_open(utc(2026, 7, 15, 22, 0))
    # The same instant given in another zone is the same answer.
    berlin = utc(2026, 7, 15, 13, 0).astimezone(
        parse_business_hours(WEEK, "Europe/Berlin").timezone
    )
    assert hours.is_open(berlin)


def test_days_not_listed_are_closed() -> None:
    hours = parse_business_hours(WEEK, NY)
    saturday_11 = utc(2026, 7, 18, 15, 0)
    assert hours.is_open(saturday_11)
    assert not hours.is_open(utc(2026, 7, 18, 18, 0))  # Saturday 14:00: closed
    for hour in range(24):  # all Sunday, local time
        assert not hours.is_open(utc(2026, 7, 19, 4, 0) + timedelta(hours=hour))


def test_day_ranges_wrap_and_days_may_have_several_windows() -> None:
    hours = parse_business_hours("Sun-Thu 08:00-12:00, Sun-Thu 13:00-17:00", "Asia/Jerusalem")
    # 2026-07-19 is a Sunday; Jerusalem is UTC+3 in summer.
    assert hours.is_open(utc(2026, 7, 19, 5, 0))  # Sun 08:00
    assert not hours.is_open(utc(2026, 7, 19, 9, 30))  # lunch
    assert hours.next_open(utc(2026, 7, 19, 9, 30)) == utc(2026, 7, 19, 10, 0)
    assert hours.is_open(utc(2026, 7, 23, 13, 59))  # Thu 16:59
    assert not hours.is_open(utc(2026, 7, 24, 7, 0))  # Friday
    assert not hours.is_open(utc(2026, 7, 25, 7, 0))  # Saturday
    assert hours.next_open(utc(2026, 7, 24, 7, 0)) == utc(2026, 7, 26, 5, 0)  # Sunday 08:00


def test_midnight_closing_and_hours_past_midnight() -> None:
    hours = parse_business_hours("Fri 20:00-24:00, Sat 00:00-02:00", "UTC")
    assert hours.describe() == "Fri 20:00-24:00, Sat 00:00-02:00 UTC"
    assert hours.is_open(utc(2026, 7, 17, 23, 59, 59))
    assert hours.is_open(utc(2026, 7, 18, 0, 0))
    assert hours.is_open(utc(2026, 7, 18, 1, 59))
    assert not hours.is_open(utc(2026, 7, 18, 2, 0))


# ------------------------------------------------------------------ next opening
@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 7, 20, 11, 0), utc(2026, 7, 20, 13, 0)),  # Mon 07:00 -> Mon 09:00
        (utc(2026, 7, 17, 22, 30), utc(2026, 7, 18, 14, 0)),  # Fri 18:30 -> Sat 10:00
        (utc(2026, 7, 18, 18, 30), utc(2026, 7, 20, 13, 0)),  # Sat 14:30 -> Mon 09:00
        (utc(2026, 7, 19, 3, 59), utc(2026, 7, 20, 13, 0)),  # Sat 23:59 -> Mon 09:00
        # Across the spring change (Sun 8 March 2026): Monday opens at 09:00 EDT.
        (utc(2026, 3, 7, 20, 0), utc(2026, 3, 9, 13, 0)),
        # Across the autumn change (Sun 1 November 2026): Monday opens at 09:00 EST.
        (utc(2026, 10, 31, 19, 0), utc(2026, 11, 2, 14, 0)),
    ],
)
def test_next_open(now: datetime, expected: datetime) -> None:
    hours = parse_business_hours(WEEK, NY)
    assert not hours.is_open(now)
    assert hours.next_open(now) == expected
    assert hours.is_open(expected)


def test_next_open_while_open_is_now() -> None:
    hours = parse_business_hours(WEEK, NY)
    now = utc(2026, 7, 15, 15, 30)
    assert hours.next_open(now) == now


def test_an_opening_inside_the_daylight_saving_gap_is_skipped() -> None:
    # 02:00-03:00 does not exist on Sunday 8 March 2026 in New York: the next real opening is
    # a week later, 02:00 EDT.
    hours = parse_business_hours("Sun 02:00-03:00", NY)
    assert hours.next_open(utc(2026, 3, 7, 12, 0)) == utc(2026, 3, 15, 6, 0)


# ------------------------------------------------------------------ agents online
def _agent(session: Session, username: str) -> Agent:
    return session.scalars(select(Agent).where(Agent.username == username)).one()


def _seen(session: Session, now: datetime, **seconds_ago: int | None) -> None:
    for username, ago in seconds_ago.items():
        agent = _agent(session, username.replace("_", "."))
        agent.last_seen_at = None if ago is None else now - timedelta(seconds=ago)
    session.commit()


def test_nobody_is_online_until_seen(session: Session) -> None:
    assert routing.agents_online(session, 1) == 0
    assert routing.agents_online(session, 2) == 0


def test_agents_online_window_and_tiers(session: Session) -> None:
    now = datetime.now(UTC)
    _seen(session, now, alex=119)
    assert (routing.agents_online(session, 1, now), routing.agents_online(session, 2, now)) == (
        1,
        0,
    )
    _seen(session, now, alex=120)
    assert routing.agents_online(session, 1, now) == 1  # exactly AGENT_ONLINE_SECONDS ago
    _seen(session, now, alex=121)
    assert routing.agents_online(session, 1, now) == 0
    # A supervisor works both queues.
    _seen(session, now, alex=10, sam_lead=10)
    assert routing.agents_online(session, 1, now) == 2
    assert routing.agents_online(session, 2, now) == 1
    # Specialists and admins never take handoff tickets.
    _seen(session, now, alex=None, sam_lead=None, jordan_ecr=1, admin=1)
    assert routing.agents_online(session, 1, now) == 0
    assert routing.agents_online(session, 2, now) == 0


def test_a_deactivated_agent_is_not_online(session: Session) -> None:
    now = datetime.now(UTC)
    _seen(session, now, alex=1)
    _agent(session, "alex").active = False
    session.commit()
    assert routing.agents_online(session, 1, now) == 0


def test_online_window_is_configurable(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_ONLINE_SECONDS", "30")
    get_settings.cache_clear()
    now = datetime.now(UTC)
    _seen(session, now, alex=29)
    assert routing.agents_online(session, 1, now) == 1
    _seen(session, now, alex=31)
    assert routing.agents_online(session, 1, now) == 0


# ------------------------------------------------------------------ availability
def test_availability_reasons_in_order(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUSINESS_HOURS", WEEK)
    monkeypatch.setenv("BUSINESS_TIMEZONE", NY)
    monkeypatch.setenv("MAX_WAIT_MINUTES", "20")
    get_settings.cache_clear()
    sunday = utc(2026, 7, 19, 16, 0)
    monday = utc(2026, 7, 20, 16, 0)
    # Closed, and nobody online either: closed is the reason, with the next opening.
    closed = routing.availability(session, 1, 4, sunday)
    assert (closed.reason, closed.next_open_at) == ("outside_hours", utc(2026, 7, 20, 13, 0))
    assert not closed.available
    nobody = routing.availability(session, 1, 4, monday)
    assert (nobody.reason, nobody.next_open_at, nobody.agents_online) == (
        "no_agents_online",
        None,
        0,
    )
    _seen(session, monday, alex=5)
    assert routing.availability(session, 1, 20, monday).available  # 20 is not above 20
    slow = routing.availability(session, 1, 21, monday)
    assert (slow.reason, slow.estimated_wait_minutes, slow.agents_online) == ("long_wait", 21, 1)


# ------------------------------------------------------------------ case kinds
@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("major_shipping_error", ("executive_customer_relations", "email")),
        ("recurring_delivery_route", ("executive_customer_relations", "email")),
        ("recurring_delivery_problem", ("executive_customer_relations", "email")),
        ("trade_in_credit", ("executive_customer_relations", "email")),
        ("email_follow_up", ("associates", "email")),
        ("damaged_item", ("associates", "chat")),
        ("complaint", ("associates", "chat")),
    ],
)
def test_routing_case_kinds(kind: str, expected: tuple[str, str]) -> None:
    assert route(kind) == expected
