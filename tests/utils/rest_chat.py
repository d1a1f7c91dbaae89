"""Talking to the bot through Rasa's REST channel, as the end-to-end tests do."""

from __future__ import annotations

from typing import Any

import httpx

from tests.utils.stack import RASA

# The demo shopper whose orders the conversations use (the desk's demo data).
MAYA = "maya.chen@example.com"


def say_with_buttons(
    sender: str, text: str, metadata: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Sends a message through Rasa's REST channel and returns the bot's messages."""
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    response = httpx.post(f"{RASA}/webhooks/rest/webhook", json=body, timeout=30)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()
    return messages


def say(sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[str]:
    """Sends a message through Rasa's REST channel and returns the bot's texts."""
    return [str(message.get("text", "")) for message in say_with_buttons(sender, text, metadata)]


def button_payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [str(b["payload"]) for message in messages for b in message.get("buttons") or []]


def texts_of(messages: list[dict[str, Any]]) -> str:
    """The bot's texts in ``messages``, one per line."""
    return "\n".join(str(message.get("text", "")) for message in messages)


def joined(replies: list[str]) -> str:
    """The bot's replies as one text; the bot must have answered something."""
    assert replies, "the bot answered nothing"
    return "\n".join(replies)


def return_the_running_shoes(sender: str) -> str:
    """Maya returns the running shoes of order 113-5550192-7781234 as too small; the answer."""
    say(sender, "I'd like to return something")
    say(sender, "113-5550192-7781234")
    assert "Which item" in joined(say(sender, MAYA))
    assert "reason" in joined(say(sender, "the running shoes"))
    answer = joined(say(sender, "they're too small"))
    assert "return authorization is RMA-" in answer
    return answer
