"""The live console in a browser: no polling, a new ticket pushed into the queue over the
websocket, and two agents seeing each other on one ticket (viewing, typing, the claim banner).
The whole stack runs (tests/e2e/conftest.py)."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Request, WebSocket, expect

from tests.utils import browser
from tests.utils.browser import PRIYA, Agent, NewContext, Shopper
from tests.utils.stack import Stack

pytestmark = pytest.mark.e2e

QUIET_SECONDS = 10


def _viewer(username: str, typing: bool | None = None) -> str:
    selector = f"[data-testid=presence-who][data-username='{username}']"
    if typing is not None:
        selector += f"[data-typing='{str(typing).lower()}']"
    return selector


def test_the_queue_is_pushed_over_the_websocket_without_polling(
    stack: Stack, new_context: NewContext
) -> None:
    context = new_context()
    requests: list[tuple[float, str, str]] = []
    frames: list[str] = []

    def on_request(request: Request) -> None:
        requests.append((time.monotonic(), request.method, request.url))

    def on_websocket(ws: WebSocket) -> None:
        ws.on("framereceived", lambda payload: frames.append(str(payload)))

    context.on("request", on_request)
    context.on("page", lambda page: page.on("websocket", on_websocket))
    alex = Agent(context, "alex")
    expect(alex.page.get_by_test_id("queues")).to_be_visible()
    for _ in range(100):  # the live socket is up
        if any('"ready"' in f for f in frames):
            break
        alex.page.wait_for_timeout(100)
    assert any('"ready"' in f for f in frames), frames
    alex.page.wait_for_timeout(1000)  # the first loads settle

    quiet_from = len(requests)
    alex.page.wait_for_timeout(QUIET_SECONDS * 1000)
    assert requests[quiet_from:] == [], "the console made HTTP requests while nothing changed"

    pushed_from, frames_from = len(requests), len(frames)
    response = stack.desk(
        "POST",
        "/api/v1/handoffs",
        json={
            "conversation_id": f"e2e-live-{uuid.uuid4().hex[:8]}",
            "tier": 1,
            "reason": "Package arrived damaged",
            "customer": {"name": "Live Test"},
        },
    )
    assert response.status_code == 201, response.text
    number = str(response.json()["ticket_number"])
    try:
        row = alex.page.locator(f"[data-testid=queue-row][data-ticket='{number}']")
        expect(row).to_be_visible(timeout=5000)
        # The websocket said so; the console then read the queue once (no timer involved).
        assert any("ticket.created" in f and number in f for f in frames[frames_from:])
        fetched = [url for _, method, url in requests[pushed_from:] if method == "GET"]
        assert fetched and all(url.endswith("/console/api/queues") for url in fetched), fetched
    finally:
        stack.desk("POST", f"/api/v1/handoffs/{number}/resume", json={"outcome": "test over"})


def test_two_agents_see_each_other_viewing_and_typing_on_one_ticket(
    stack: Stack, new_context: NewContext, screenshots: Path
) -> None:
    alex = Agent(new_context(width=1440, height=900), "alex")
    sam = Agent(new_context(width=1440, height=900), "sam.lead")
    shopper = Shopper(new_context(width=1100, height=820), PRIYA)
    shopper.say("I want to talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    ticket = browser.ticket_of(stack, browser.conversation_id(shopper))
    alex.claim(ticket)

    # Sam opens the ticket Alex holds: a clear banner says who owns it.
    sam.page.goto(f"{sam.page.url.split('#')[0]}#/tickets/{ticket}")
    expect(sam.page.get_by_test_id("claimed-banner")).to_contain_text("Claimed by alex")
    expect(alex.page.get_by_test_id("claimed-banner")).to_be_hidden()
    # Each sees the other on the ticket.
    expect(alex.page.locator(_viewer("sam.lead", typing=False))).to_contain_text(
        "Sam Okafor (supervisor) is viewing"
    )
    expect(sam.page.locator(_viewer("alex", typing=False))).to_contain_text(
        "Alex Rivera (associate) is viewing"
    )
    # Sam types: Alex sees it (and the other way round).
    sam.page.get_by_test_id("chat-input").press_sequentially("Let me look at this", delay=50)
    expect(alex.page.locator(_viewer("sam.lead", typing=True))).to_contain_text(
        "Sam Okafor (supervisor) is typing"
    )
    browser.shoot(alex.page, screenshots, "console-presence")
    alex.page.get_by_test_id("chat-input").press_sequentially("Hello Priya", delay=50)
    expect(sam.page.locator(_viewer("alex", typing=True))).to_contain_text(
        "Alex Rivera (associate) is typing"
    )
    # Sam leaves the ticket: gone from Alex's page at once.
    sam.page.get_by_test_id("back-to-queues").click()
    expect(alex.page.locator(_viewer("sam.lead"))).to_have_count(0)
    expect(alex.page.get_by_test_id("presence")).to_be_hidden()


def test_the_console_catches_up_after_a_drop_without_losing_or_doubling(
    stack: Stack, new_context: NewContext
) -> None:
    alex_context = new_context(width=1440, height=900)
    alex = Agent(alex_context, "alex")
    shopper = Shopper(new_context(width=1100, height=820), PRIYA)
    shopper.say("I want to talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    alex.claim(browser.ticket_of(stack, browser.conversation_id(shopper)))
    shopper.expect_line("system", "joined the chat")
    lines = alex.page.locator("[data-testid=chat-message][data-seq]")
    # Count only once the console shows the chat so far (its own "joined" line is the last).
    expect(lines.filter(has_text="joined the chat")).to_have_count(1)
    before = lines.count()

    alex_context.set_offline(True)
    alex.page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    expect(alex.page.get_by_test_id("chat-status")).to_contain_text("reconnecting")
    for n in range(1, 4):  # the shopper writes while the agent's console is away
        shopper.page.get_by_test_id("tierline-input").fill(f"Are you there? ({n})")
        shopper.page.get_by_test_id("tierline-input").press("Enter")
        expect(shopper.messages("shopper").filter(has_text=f"({n})")).to_be_visible()
    alex_context.set_offline(False)
    alex.page.evaluate("() => window.dispatchEvent(new Event('online'))")

    shopper_lines = alex.page.locator("[data-testid=chat-message][data-sender=shopper]")
    for n in range(1, 4):
        expect(shopper_lines.filter(has_text=f"({n})")).to_have_count(1)
    expect(lines).to_have_count(before + 3)
    seqs = [int(s) for s in lines.evaluate_all("ns => ns.map(n => n.dataset.seq)")]
    assert seqs == sorted(set(seqs)), seqs  # each once, in order
    expect(alex.page.get_by_test_id("chat-status")).not_to_contain_text("reconnecting")
