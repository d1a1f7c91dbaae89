"""The verdict's last lines name the conversations that broke, with when their turns went
unanswered (CI shows only the end of the output)."""

from __future__ import annotations

import calendar
import time

from test_scaled import FaultReport, attribute_apologies, conversation_problems


def at(clock: str) -> float:
    return float(calendar.timegm(time.strptime(f"2026-11-24 {clock}", "%Y-%m-%d %H:%M:%S")))


def test_a_clean_conversation_is_not_listed() -> None:
    clean = {"script": "track", "conversation_id": "web-1", "lost": 0, "empty": 0}
    assert conversation_problems([clean]) == []


def test_an_unanswered_turn_names_the_conversation_and_when_it_was_sent() -> None:
    broken = {
        "script": "return",
        "conversation_id": "web-2",
        "lost": 0,
        "empty": 1,
        "unanswered_at": [at("11:35:31")],
        "reconnects": 1,
        "error_frames": [],
    }
    [line] = conversation_problems([broken])
    assert "return web-2: empty 1" in line
    assert "unanswered turn(s) sent at 11:35:31 UTC" in line
    assert "1 reconnect(s)" in line


def test_many_broken_conversations_are_cut_to_the_limit() -> None:
    broken = [{"script": "s", "conversation_id": f"web-{n}", "lost": 1} for n in range(12)]
    lines = conversation_problems(broken, limit=10)
    assert len(lines) == 11 and lines[-1] == "  ... and 2 more conversation(s)"


def test_an_apology_belongs_to_the_latest_fault_that_started_before_it() -> None:
    desk = FaultReport("desk", started=at("12:19:42"), ended=at("12:19:52"))
    crash = FaultReport("desk-crash", started=at("12:20:17"), ended=at("12:21:02"))
    # Sent just before desk2 was killed (inside the restart's grace window), apologised for
    # 34 s later by desk1: the crash's, not the restart's.
    lost = (at("12:20:15"), 34.0, "web-lost")
    # Sent during the restart, apologised for 1 s later: the restart's.
    restart = (at("12:19:45"), 1.0, "web-restart")
    # Long after every window: nobody's.
    late = (at("12:40:00"), 1.0, "web-late")
    attributed = attribute_apologies([lost, restart, late], [desk, crash])
    assert attributed == {0: [(1.0, "web-restart")], 1: [(32.0, "web-lost")]}
