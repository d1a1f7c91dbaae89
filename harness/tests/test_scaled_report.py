"""The verdict's last lines name the conversations that broke, with when their turns went
unanswered (CI shows only the end of the output)."""

from __future__ import annotations

import calendar
import time

from tierline_harness.scaled import (
    Agent,
    Apology,
    FaultReport,
    associates_line,
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


def test_an_unanswered_turn_names_the_conversation_what_was_said_and_what_came_after() -> None:
    broken = {
        "script": "return",
        "conversation_id": "web-2",
        "lost": 0,
        "empty": 1,
        "unanswered_turns": [
            {
                "at": at("11:35:31"),
                "text": "thanks, that helps",
                "seq": 7,
                "stored_after": ["system 11:36:40 'Sam handed you back to the assistant.'"],
            }
        ],
        "reconnects": 1,
        "error_frames": [],
    }
    head, turn = conversation_problems([broken])
    assert "return web-2: empty 1" in head and "1 reconnect(s)" in head
    assert "'thanks, that helps' (seq 7) sent at 11:35:31 UTC" in turn
    assert "stored after it: system 11:36:40 'Sam handed you back" in turn


def test_an_answer_that_never_came_says_nothing_was_stored() -> None:
    broken = {
        "script": "s",
        "conversation_id": "web-3",
        "empty": 1,
        "unanswered_turns": [{"at": at("11:35:31"), "text": "hello", "seq": 1, "stored_after": []}],
    }
    assert conversation_problems([broken])[1].endswith("stored after it: nothing")


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


def test_the_shift_line_counts_what_the_associates_did_and_groups_failures() -> None:
    sam, kim = Agent("http://x", "sam", "pw"), Agent("http://x", "kim", "pw")
    sam.assigned, sam.handed_back, sam.resolved = 3, 2, 1
    sam.failures = [f"handback of T-1 (try {n}): 502" for n in (1, 2, 3)]
    kim.assigned, kim.stuck = 1, ["T-2"]
    kim.failures = ["handback of T-2 (try 1): 503", "resolve of T-2 (try 1): 503"]
    line = associates_line([sam, kim])
    assert "assigned 4, handed back 2, resolved instead 1, stuck 1 ['T-2']" in line
    assert "5 failed calls {'handback 502': 3, 'handback 503': 1, 'resolve 503': 1}" in line
