"""Helpers the end-to-end test modules share (the stack itself is in conftest.py)."""

from __future__ import annotations

from tests.e2e.conftest import Stack


def joined(replies: list[str]) -> str:
    """The bot's replies as one text; the bot must have answered something."""
    assert replies, "the bot answered nothing"
    return "\n".join(replies)


def waiting_tickets(stack: Stack, tier: int = 1) -> list[dict[str, object]]:
    tickets = stack.desk("GET", "/api/v1/handoffs", params={"status": "waiting"}).json()
    return [t for t in tickets if t["tier"] == tier]


def resume(stack: Stack, ticket_number: str) -> None:
    """Hands a ticket back to the bot (it leaves the queue); an already resolved one is fine."""
    response = stack.desk(
        "POST", f"/api/v1/handoffs/{ticket_number}/resume", json={"outcome": "Sorted."}
    )
    assert response.status_code in (200, 409), response.text
