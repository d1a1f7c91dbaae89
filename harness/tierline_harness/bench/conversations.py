"""The shoppers' conversations the load tests replay, and what counts as a sensible answer.

Every conversation is read-only for the desk (tracking, refund status, promo codes), so it can
be replayed thousands of times on one demo database and always get the same answers. Each turn
names words that a correct answer must contain: an HTTP 200 with the wrong answer, an empty
reply, the fallback or "the desk is unavailable" counts as an error.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

# Texts that mean the bot did not do its job, whatever the turn expected.
FAILURE_MARKERS: tuple[str, ...] = (
    "not sure how to help",  # utter_default (NLU fallback)
    "can't reach our order system",  # utter_desk_unavailable
    "couldn't come up with an answer",  # the desk's apology when Rasa failed
)


@dataclass(frozen=True)
class Turn:
    """One shopper message and the words a sensible bot answer contains (any of them)."""

    text: str
    expect_any: tuple[str, ...]


@dataclass(frozen=True)
class Conversation:
    """A scripted conversation; customer_id set means a signed-in shopper."""

    name: str
    turns: tuple[Turn, ...]
    customer_id: str | None = None


CONVERSATIONS: tuple[Conversation, ...] = (
    Conversation(
        name="track_with_email",
        turns=(
            Turn("hi", ("Tierline",)),
            Turn("where is my order 112-4839201-5573910", ("email address",)),
            Turn("maya.chen@example.com", ("on its way", "UPS")),
            Turn("thanks!", ("welcome", "anything else")),
            Turn("bye", ("Take care", "Thanks for stopping by")),
        ),
    ),
    Conversation(
        name="refund_status",
        turns=(
            Turn("hello", ("Tierline",)),
            Turn("did my refund for 120-4444444-5555555 go through", ("email address",)),
            Turn("lee.wong@example.com", ("refund",)),
            Turn("thank you", ("welcome", "anything else")),
        ),
    ),
    Conversation(
        name="signed_in_tracking",
        customer_id="C-1004",
        turns=(
            Turn("hey", ("Tierline",)),
            Turn("can you track 119-1010101-2020202", ("out for delivery",)),
            Turn("is the promo code WELCOME10 valid", ("WELCOME10",)),
            Turn("great, thanks", ("welcome", "anything else")),
        ),
    ),
)

# A long conversation repeats this loop (signed in, so no email step) up to 300 turns.
LONG_LOOP: tuple[Turn, ...] = (
    Turn("where is my order 112-4839201-5573910", ("on its way", "UPS")),
    Turn("thanks", ("welcome", "anything else")),
    Turn("is the promo code WELCOME10 valid", ("WELCOME10",)),
    Turn("ok thank you", ("welcome", "anything else")),
)
LONG_CUSTOMER_ID = "C-1001"
LONG_TURNS = int(os.environ.get("BENCH_LONG_TURNS", "300"))


def is_sensible(turn: Turn, texts: list[str]) -> tuple[bool, str]:
    """Whether the bot's texts answer the turn; the reason when they do not."""
    joined = " ".join(texts)
    if not joined.strip():
        return False, "empty reply"
    lowered = joined.lower()
    for marker in FAILURE_MARKERS:
        if marker in lowered:
            return False, f"failure reply: {marker}"
    if not any(word.lower() in lowered for word in turn.expect_any):
        return False, f"expected one of {turn.expect_any}"
    return True, ""
