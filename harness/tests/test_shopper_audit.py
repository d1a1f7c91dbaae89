"""The audit that decides lost / reordered / duplicated / empty for each conversation."""

from __future__ import annotations

from typing import Any

from tierline_harness.scaled import conversation_problems
from tierline_harness.shopper import (
    APOLOGY_START,
    ChatLog,
    Turn,
    audit,
    audited,
    unanswered_turns,
)


def line(seq: int, sender: str = "bot", text: str = "ok", **extra: Any) -> dict[str, Any]:
    return {"type": "message", "seq": seq, "sender": sender, "text": text, "buttons": [], **extra}


def conversation() -> ChatLog:
    log = ChatLog("web-0123456789abcdef01234567", "promo")
    log.turns = [
        Turn("hi", "c1", 0.0, seq=1, replied_at=1.0),
        Turn("x", "c2", 2.0, seq=3, replied_at=3.0),
    ]
    stored = [
        line(1, "shopper", "hi", client_id="c1"),
        line(2),
        line(3, "shopper", "x", client_id="c2"),
        line(4),
    ]
    log.live = list(stored)
    log.replay = list(stored)
    return log


def test_a_clean_conversation_counts_nothing() -> None:
    result = audit(conversation())
    assert (result.lost, result.reordered, result.duplicated, result.empty) == (0, 0, 0, 0)


def test_a_line_that_never_arrived_is_lost() -> None:
    log = conversation()
    del log.live[1]
    assert audit(log).lost == 1


def test_a_message_the_desk_never_stored_is_lost() -> None:
    log = conversation()
    log.replay = [f for f in log.replay if f.get("client_id") != "c2"]
    assert audit(log).lost == 1


def test_out_of_order_and_doubled_lines_are_counted() -> None:
    log = conversation()
    log.live[1], log.live[2] = log.live[2], log.live[1]
    log.live.append(dict(log.live[0]))
    result = audit(log)
    assert result.reordered == 1
    assert result.duplicated == 1


def test_a_shopper_message_stored_twice_is_duplicated() -> None:
    log = conversation()
    log.replay.append(line(5, "shopper", "x", client_id="c2"))
    assert audit(log).duplicated == 1


def test_no_reply_and_blank_replies_are_empty_apologies_are_counted() -> None:
    log = conversation()
    log.turns[1].replied_at = None
    log.replay[1] = line(2, text="  ")
    log.replay[3] = line(4, text=APOLOGY_START + " just now.")
    result = audit(log)
    assert result.empty == 2
    assert result.unanswered == 1
    assert result.apologies == 1


def test_an_unanswered_turn_is_described_with_what_the_desk_stored_after_it() -> None:
    log = conversation()
    log.turns[1].replied_at = None
    log.replay[3] = line(4, text="Sam handed you back.", created_at="2026-12-07T20:30:41+00:00")
    [turn] = unanswered_turns(log)
    assert (turn["text"], turn["seq"]) == ("x", 3)
    assert turn["stored_after"] == ["bot 20:30:41 'Sam handed you back.'"]
    assert unanswered_turns(conversation()) == []


def test_the_record_of_a_broken_conversation_reports_its_unanswered_turn() -> None:
    """What the load records (``audited``) is what the verdict reads: the count and the turns."""
    log = conversation()
    log.turns[1].replied_at = None
    record = {"script": "promo", "conversation_id": log.conversation_id, **audited(log)}
    assert record["unanswered"] == 1 and record["empty"] == 1
    head, turn = conversation_problems([record])
    assert "promo web-0123456789abcdef01234567: empty 1" in head
    assert "unanswered 'x' (seq 3)" in turn
