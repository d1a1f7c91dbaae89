"""The verdict's last lines name the conversations that broke, with when their turns went
unanswered (CI shows only the end of the output)."""

from __future__ import annotations

import calendar
import time

from tierline_harness.scaled import (
    Apology,
    FaultReport,
    conversation_problems,
    judge_apologies,
    percentile,
    seconds_past_promise,
)


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
    actions = FaultReport("actions", started=at("12:19:42"), ended=at("12:20:10"))
    crash = FaultReport("desk-crash", started=at("12:20:17"), ended=at("12:21:02"))
    # In flight when desk2 was killed, apologised for 34 s later by desk1: the crash's.
    lost = Apology(at("12:20:15"), 34.0, "web-lost")
    # In flight on the killed action server, apologised for at once: the action fault's.
    in_flight = Apology(at("12:19:41"), 1.5, "web-actions")
    explained, unexplained = judge_apologies([lost, in_flight], [actions, crash])
    assert explained == {0: [in_flight], 1: [lost]}
    assert unexplained == []
    assert seconds_past_promise(in_flight, actions) == -2.5
    assert seconds_past_promise(lost, crash) == -13.0


def test_a_message_sent_after_a_replica_died_must_not_be_apologised_for() -> None:
    rasa = FaultReport("rasa", started=at("12:00:00"), ended=at("12:01:30"))
    after_the_kill = Apology(at("12:00:05"), 0.4, "web-after")
    assert judge_apologies([after_the_kill], [rasa]) == ({}, [after_the_kill])


def test_a_reply_timeout_is_never_a_fault_s_fair_cost() -> None:
    # A stalled bot (the desk waited its whole 20 s) is not what a dead replica may cost, even
    # if the message was in flight when it died ...
    rasa = FaultReport("rasa", started=at("12:00:00"), ended=at("12:01:30"))
    stalled = Apology(at("11:59:50"), 20.02, "web-stalled")
    assert judge_apologies([stalled], [rasa]) == ({}, [stalled])
    # ... but an answer owed by a crashed desk is apologised for only after that timeout.
    crash = FaultReport("desk-crash", started=at("12:00:00"), ended=at("12:00:50"))
    owed = Apology(at("11:59:59"), 33.0, "web-owed")
    assert judge_apologies([owed], [crash]) == ({0: [owed]}, [])


def test_an_outage_explains_refusals_until_its_service_is_back() -> None:
    postgres = FaultReport(
        "postgres", started=at("12:00:00"), ended=at("12:00:20"), refusing_until=at("12:00:12")
    )
    refused = Apology(at("12:00:08"), 5.0, "web-refused")  # came 1 s after the return: on time
    late = Apology(at("12:00:10"), 9.0, "web-late")  # 7 s after the return: late
    after = Apology(at("12:00:15"), 0.5, "web-after")  # sent once it was back: unexplained
    explained, unexplained = judge_apologies([refused, late, after], [postgres])
    assert explained == {0: [refused, late]} and unexplained == [after]
    assert seconds_past_promise(refused, postgres) == -2.0
    assert seconds_past_promise(late, postgres) == 4.0


def test_a_graceful_desk_restart_may_cost_no_apology() -> None:
    desk = FaultReport("desk", started=at("12:00:00"), ended=at("12:00:10"))
    during = Apology(at("12:00:02"), 1.0, "web-during")
    assert judge_apologies([during], [desk]) == ({}, [during])


def test_percentiles_by_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.95) == 95.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([3.0], 0.99) == 3.0
