"""Automatic assignment and SLAs in real chromium: the desk gives a waiting ticket to the
associate online, a missed first reply reaches the supervisor's console, and when the associate
goes offline the supervisor takes over; the shopper's widget says so at each step.

The stack runs with tier 1 claimed by hand (tests/e2e/conftest.py); this test switches its
automatic assignment on through the admin's console API and off again afterwards.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.utils.browser import (
    LAPTOP_ORDER,
    PRIYA,
    Agent,
    NewContext,
    Shopper,
    conversation_id,
    shoot,
    ticket_of,
)
from tests.utils.console import Console, console_login
from tests.utils.stack import Stack

pytestmark = pytest.mark.e2e


@pytest.fixture
def admin(stack: Stack) -> Iterator[Console]:
    """Tier 1 claimed by hand and nobody online at first; capacity for the test's agents so
    tickets earlier tests left behind cannot fill them; all of it put back afterwards."""
    for username in ("alex", "sam.lead"):
        console_login(username).logout()  # offline
    console = console_login("admin")
    for username in ("alex", "sam.lead"):
        answer = console.post(
            f"/console/api/assignment/agents/{username}/capacity", {"capacity": 50}
        )
        assert answer.status_code == 200, answer.text
    assert (
        console.post("/console/api/assignment/tiers/1", {"auto_assign": False}).status_code == 200
    )
    yield console
    console.post("/console/api/assignment/tiers/1", {"auto_assign": False})
    for username in ("alex", "sam.lead"):
        console.post(f"/console/api/assignment/agents/{username}/capacity", {"capacity": None})
    console.logout()


def backdate(stack: Stack, ticket: str, minutes: int) -> None:
    """The shopper asked for a person ``minutes`` earlier than they did (the stack's SQLite)."""
    path = stack.env["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE handoff_tickets SET created_at = datetime(created_at, ?) "
            "WHERE ticket_number = ?",
            (f"-{minutes} minutes", ticket),
        )


def test_auto_assignment_sla_breach_and_takeover(
    stack: Stack, admin: Console, new_context: NewContext, screenshots: Path
) -> None:
    alex_context = new_context(width=1440, height=900)
    alex = Agent(alex_context, "alex")
    shopper = Shopper(new_context(width=1100, height=820), PRIYA)
    shopper.say(f"where is my order {LAPTOP_ORDER}")
    shopper.expect_line("bot", LAPTOP_ORDER)
    shopper.say("I want to talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    ticket = ticket_of(stack, conversation_id(shopper))

    # Waiting (tier 1 is claimed by hand for now): the queue counts down the first-reply target.
    alex.page.get_by_test_id("nav-queues").click()
    row = alex.page.locator(f"[data-testid=queue-row][data-ticket='{ticket}']")
    expect(row.get_by_test_id("queue-sla")).to_contain_text(re.compile(r"SLA \d+m \d+s left"))
    shoot(alex.page, screenshots, "console-queue-sla")

    # Automatic assignment on: the desk gives the ticket to the one associate online.
    assert admin.post("/console/api/assignment/tiers/1", {"auto_assign": True}).status_code == 200
    shopper.expect_line("system", "Alex Rivera .*joined the chat")
    mine = alex.page.locator(f"[data-testid=my-ticket-row][data-ticket='{ticket}']")
    expect(mine).to_be_visible(timeout=15_000)

    # Nobody wrote to the shopper within the first-reply target: the supervisor is told.
    backdate(stack, ticket, minutes=10)
    sam = Agent(new_context(width=1440, height=900), "sam.lead")
    sam.page.get_by_test_id("nav-queues").click()
    breach = sam.page.locator(f"[data-testid=sla-breach][data-ticket='{ticket}']")
    expect(breach).to_contain_text("Tier 1: first reply missed", timeout=15_000)
    others = sam.page.locator(f"[data-testid=claimed-row][data-ticket='{ticket}']")
    expect(others.get_by_test_id("queue-sla")).to_contain_text("first reply missed")
    shoot(sam.page, screenshots, "console-sla-breach")

    # Sam watches the assignment floor in a second tab; it changes when tickets change hands
    # (pushed over the live socket, far sooner than its 30 s look for agents going offline).
    floor = sam.page.context.new_page()
    floor.goto(f"{sam.page.url.split('#')[0]}#/floor")
    sams_load = floor.locator("[data-testid=floor-agent][data-agent='sam.lead']").get_by_test_id(
        "floor-agent-load"
    )
    expect(sams_load).to_have_text(re.compile(r"^\d+$"))
    before = int(sams_load.inner_text())

    # Alex closes the console and signs out: the supervisor, online with room, takes over.
    alex_context.close()
    console_login("alex").logout()
    shopper.expect_line("system", "Sam Okafor \\(Supervisor\\) took over from Alex Rivera")
    expect(sams_load).to_have_text(str(before + 1), timeout=10_000)
    floor.close()
    expect(sam.page.locator(f"[data-testid=my-ticket-row][data-ticket='{ticket}']")).to_be_visible(
        timeout=15_000
    )
    sam.page.locator(f"[data-testid=sla-breach][data-ticket='{ticket}']").get_by_test_id(
        "sla-acknowledge"
    ).click()
    expect(breach).to_be_hidden()

    answer = console_login("sam.lead").post(
        f"/console/api/tickets/{ticket}/resolve", {"outcome": "the laptop is on its way"}
    )
    assert answer.status_code == 200, answer.text
