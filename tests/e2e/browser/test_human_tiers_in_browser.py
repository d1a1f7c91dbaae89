"""A shopper in the widget, an associate and a supervisor in the console, all in real chromium.

The whole stack runs (tests/e2e/conftest.py: desk, actions, Rasa, mail catcher); nothing is
faked. The screenshots they take are what README shows (`make screenshots`).
"""

from __future__ import annotations

import re
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
    subjects_to,
    ticket_of,
)
from tests.utils.stack import Stack

pytestmark = pytest.mark.e2e


def test_handoff_refund_refusal_escalation_and_supervisor_approval(
    stack: Stack, new_context: NewContext, screenshots: Path
) -> None:
    alex = Agent(new_context(width=1440, height=900), "alex")  # online before the shopper asks
    shopper = Shopper(new_context(width=1100, height=820), PRIYA)

    shopper.say(f"where is my order {LAPTOP_ORDER}")
    shopper.expect_line("bot", LAPTOP_ORDER)
    shopper.say("I want to talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    expect(shopper.page.get_by_test_id("tierline-queue")).to_be_visible()
    shoot(shopper.page, screenshots, "widget-queued")
    ticket = ticket_of(stack, conversation_id(shopper))

    alex.claim(ticket)
    shopper.expect_line("system", "Alex Rivera .*joined the chat")
    expect(shopper.page.get_by_test_id("tierline-agent")).to_contain_text("Alex")
    expect(shopper.page.get_by_test_id("tierline-queue")).to_be_hidden()

    alex.say("Hi Priya, I'm sorry about the laptop. Let me sort this out.")
    shopper.expect_line("agent", "sorry about the laptop")
    shopper.page.get_by_test_id("tierline-input").fill("Thank you, the screen is cracked.")
    shopper.page.get_by_test_id("tierline-input").press("Enter")
    expect(
        alex.page.locator("[data-testid=chat-message][data-sender=shopper]").filter(
            has_text="the screen is cracked"
        )
    ).to_be_visible()

    result = alex.money("refund", "50.00", "inconvenience")
    expect(result).to_contain_text(re.compile(r"RF-\w+"))
    shopper.expect_line("system", r"refund of \$50\.00")

    alex.money("refund", "500.00", "cracked screen")
    expect(alex.page.get_by_test_id("refund-error")).to_contain_text("authority")
    shoot(alex.page, screenshots, "console-above-authority")
    alex.page.get_by_test_id("refund-escalate").click()
    alex.page.get_by_test_id("escalate-note").fill("Refund of $500 for a cracked screen")
    alex.page.get_by_test_id("escalate-submit").click()
    shopper.expect_line("system", "asked a supervisor to join: Refund of \\$500")

    sam = Agent(new_context(width=1440, height=900), "sam.lead")
    sam.claim(ticket)
    shopper.expect_line("system", "Sam .*Supervisor.*joined the chat")
    expect(
        sam.page.locator("[data-testid=chat-message][data-sender=shopper]").filter(
            has_text="the screen is cracked"
        )
    ).to_be_visible()  # the supervisor sees the whole conversation
    expect(sam.money("refund", "500.00", "cracked screen")).to_contain_text(re.compile(r"RF-\w+"))
    shopper.expect_line("system", r"refund of \$500\.00")
    shoot(sam.page, screenshots, "console-ticket")
    shoot(shopper.page, screenshots, "widget-with-people")

    seqs = shopper.seqs()
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs)), seqs
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "no message is missing"

    subjects = subjects_to(stack, "priya.n@example.com", expected=2)
    assert any("$50.00" in s for s in subjects), subjects
    assert any("$500.00" in s for s in subjects), subjects

    sam.page.get_by_test_id("nav-queues").click()
    expect(sam.page.get_by_test_id("queue-tier-2")).to_be_visible()
    shoot(sam.page, screenshots, "console-queues")
    sam.page.get_by_test_id("nav-analytics").click()
    expect(sam.page.get_by_test_id("analytics-conversations-value")).to_have_text(re.compile(r"\d"))
    expect(sam.page.get_by_test_id("chart-handoffs-tier-canvas")).to_be_visible()
    # console-analytics.png is taken over a month of seed-history (test_csat_in_browser.py).


def test_hand_back_to_the_bot_and_the_bot_continues(
    stack: Stack, new_context: NewContext, screenshots: Path
) -> None:
    alex = Agent(new_context(), "alex")
    shopper = Shopper(new_context(width=390, height=780), None)  # a phone, a guest
    shopper.say("can I talk to a person please")
    shopper.expect_line("bot", r"ticket T-\d+")
    ticket = ticket_of(stack, conversation_id(shopper))
    alex.claim(ticket)
    shopper.expect_line("system", "joined the chat")

    alex.page.get_by_test_id("handback-outcome").fill("we checked your delivery address")
    alex.page.get_by_test_id("handback-submit").click()
    shopper.expect_line("system", "handed you back to the assistant")
    shopper.expect_line("bot", "[Ww]e checked your delivery address")
    expect(shopper.page.get_by_test_id("tierline-agent")).not_to_contain_text("Alex")

    shopper.say("what is your return policy")
    shopper.expect_line("bot", r"30 days|[Rr]eturn")
    shoot(shopper.page, screenshots, "widget-phone")


def test_call_me_instead_books_a_callback_the_console_follows_up(
    stack: Stack, new_context: NewContext, screenshots: Path
) -> None:
    alex = Agent(new_context(width=1440, height=900), "alex")
    shopper = Shopper(new_context(width=1100, height=820), "C-1001")  # Maya
    shopper.say("I need to talk to someone about order 113-5550192-7781234")
    if not shopper.messages("bot").filter(has_text=re.compile(r"ticket T-\d+")).count():
        shopper.say("talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    expect(shopper.page.get_by_test_id("tierline-queue")).to_be_visible()
    ticket = ticket_of(stack, conversation_id(shopper))

    shopper.page.get_by_test_id("tierline-call-me").click()
    shopper.expect_line("bot", "What phone number")
    shopper.say("415-555-0123")
    shopper.expect_line("bot", "When should we call")
    shopper.page.locator("[data-testid=tierline-quick-reply]:not([disabled])").first.click()
    booked = shopper.expect_line("bot", r"callback CB-\w+")
    callback_id = re.search(r"CB-\w+", booked.inner_text())
    assert callback_id is not None
    expect(shopper.page.get_by_test_id("tierline-queue")).to_be_hidden()  # no longer waiting
    assert stack.desk("GET", f"/api/v1/handoffs/{ticket}").json()["status"] == "resolved"

    alex.page.get_by_test_id("nav-callbacks").click()
    alex.page.get_by_test_id("callbacks-view-all").click()
    row = alex.page.locator(f"[data-testid=callback-row][data-callback='{callback_id.group(0)}']")
    expect(row).to_be_visible()
    expect(row.get_by_test_id("callback-phone")).to_contain_text("555")
    shoot(alex.page, screenshots, "console-callbacks")
    row.get_by_test_id("callback-no-answer").click()
    expect(row.get_by_test_id("callback-attempts")).to_contain_text("1")


def test_a_trade_in_problem_goes_to_the_specialists_who_answer_by_email(
    stack: Stack, new_context: NewContext, screenshots: Path
) -> None:
    shopper = Shopper(new_context(width=1100, height=820), "C-1004")  # Sam O'Connor
    shopper.say(
        "the trade-in credit for my old phone on order 118-2718281-8284590 is wrong, "
        "I was quoted more"
    )
    line = shopper.expect_line("bot", r"CASE-\d+")
    case = re.search(r"CASE-\d+", line.inner_text())
    assert case is not None
    assert shopper.messages("bot").filter(has_text=re.compile(r"ticket T-\d+")).count() == 0

    jordan = Agent(new_context(width=1440, height=900), "jordan.ecr")
    jordan.open_case(case.group(0))
    jordan.page.get_by_test_id("case-reply-body").fill(
        "We've checked the trade-in: you'll receive the quoted $320 credit within 3 days."
    )
    jordan.page.get_by_test_id("case-reply-submit").click()
    expect(jordan.page.get_by_test_id("case-reply-result")).to_be_visible()
    shoot(jordan.page, screenshots, "console-specialist-case")
    subjects = subjects_to(stack, "sam.oconnor@example.com", expected=2)
    assert any(case.group(0) in s and s.startswith("Re:") for s in subjects), subjects


def test_the_widget_reconnects_after_a_network_drop_without_losing_or_doubling(
    stack: Stack, new_context: NewContext
) -> None:
    alex = Agent(new_context(width=1440, height=900), "alex")
    shopper_context = new_context(width=1100, height=820)
    shopper = Shopper(shopper_context, None)
    shopper.say("talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    alex.claim(ticket_of(stack, conversation_id(shopper)))
    shopper.expect_line("system", "joined the chat")

    shopper_context.set_offline(True)
    shopper.page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    expect(shopper.page.get_by_test_id("tierline-status")).to_be_visible()  # the socket dropped
    for n in range(1, 4):
        alex.say(f"While you were away, note {n}.")
    shopper_context.set_offline(False)
    shopper.page.evaluate("() => window.dispatchEvent(new Event('online'))")
    for n in range(1, 4):
        shopper.expect_line("agent", f"note {n}\\.")
    seqs = shopper.seqs()
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), seqs
    assert shopper.messages("agent").count() == 3
