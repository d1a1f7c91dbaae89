"""Macros and internal notes in real chromium, with the whole stack running (nothing faked).

An associate inserts a demo macro from the composer ("/", search, Enter), edits it and sends
it: the shopper's widget shows the filled text. The associate writes an internal note that
@mentions the supervisor: the supervisor's bell counts it and leads to the ticket, where the
note shows; the shopper's widget never shows it. A supervisor keeps macros on #/macros, where
a bad placeholder is refused by name and HTML in a title stays text.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import Page, expect

from tests.utils import browser
from tests.utils.browser import LAPTOP_ORDER, Agent, Shopper
from tests.utils.stack import Stack

pytestmark = pytest.mark.e2e

FILLED = (
    f"Thanks, Priya. I'm checking order {LAPTOP_ORDER} with our warehouse now; "
    "this takes a minute or two."
)
NOTE = "@sam.lead she was refunded twice last month, please check before we refund again"
XSS_MARKER = "__macro_note_xss"
XSS = f'<img src=x onerror="window.{XSS_MARKER}=1">'


def handed_off(stack: Stack, shopper: Shopper, alex: Agent) -> str:
    """Priya asks about her laptop order, then for a person; Alex claims the ticket."""
    shopper.say(f"where is my order {LAPTOP_ORDER}")
    shopper.expect_line("bot", LAPTOP_ORDER)
    shopper.say("I want to talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    ticket = browser.ticket_of(stack, browser.conversation_id(shopper))
    alex.claim(ticket)
    shopper.expect_line("system", "Alex Rivera .*joined the chat")
    return ticket


def no_injection(page: Page) -> None:
    page.wait_for_timeout(300)  # give an injected handler the chance to fire
    assert page.evaluate(f"() => typeof window.{XSS_MARKER}") == "undefined"
    assert page.locator("img[src=x], [onerror]").count() == 0


def test_an_associate_inserts_a_macro_edits_it_and_the_shopper_gets_the_filled_text(
    stack: Stack, new_context: browser.NewContext, screenshots: Path
) -> None:
    alex = Agent(new_context(width=1440, height=900), "alex")
    shopper = Shopper(new_context(width=1100, height=820), browser.PRIYA)
    handed_off(stack, shopper, alex)

    composer = alex.page.get_by_test_id("chat-input")
    expect(composer).to_be_enabled()
    composer.press("/")
    picker = alex.page.get_by_test_id("macro-picker")
    expect(picker).to_be_visible()
    options = alex.page.get_by_test_id("macro-option")
    expect(options.first).to_be_visible()
    assert options.count() >= 3  # the demo macros shown to associates
    alex.page.get_by_test_id("macro-search").press_sequentially("warehouse")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Order is being checked")
    expect(options.first).to_contain_text(FILLED)  # filled from the case card, as it will be sent
    browser.shoot(alex.page, screenshots, "console-macro-picker")

    alex.page.get_by_test_id("macro-search").press("Enter")
    expect(picker).to_be_hidden()
    expect(composer).to_have_value(FILLED)
    expect(composer).to_be_focused()
    composer.press("End")
    composer.press_sequentially(" Thanks for waiting!")
    alex.page.get_by_test_id("chat-send").click()

    line = shopper.expect_line("agent", "checking order")
    expect(line).to_contain_text(f"{FILLED} Thanks for waiting!")
    expect(shopper.page.get_by_test_id("tierline-panel")).not_to_contain_text("{")

    # Ctrl-K opens the list too; Escape closes it and leaves the composer as it was.
    composer.press("Control+k")
    expect(picker).to_be_visible()
    alex.page.get_by_test_id("macro-search").press("Escape")
    expect(picker).to_be_hidden()
    expect(composer).to_have_value("")


def test_an_internal_note_notifies_the_mentioned_agent_and_never_reaches_the_shopper(
    stack: Stack, new_context: browser.NewContext, screenshots: Path
) -> None:
    alex = Agent(new_context(width=1440, height=900), "alex")
    shopper = Shopper(new_context(width=1100, height=820), browser.PRIYA)
    ticket = handed_off(stack, shopper, alex)
    sam = Agent(new_context(width=1440, height=900), "sam.lead")
    expect(sam.page.get_by_test_id("notifications-count")).to_be_hidden()

    alex.page.get_by_test_id("note-input").fill(f"{NOTE} {XSS}")
    alex.page.get_by_test_id("note-submit").click()
    expect(alex.page.get_by_test_id("note-result")).to_contain_text("Notified @sam.lead")
    note = alex.page.locator("[data-testid=chat-log] [data-testid=internal-note]")
    expect(note).to_have_count(1)
    expect(note).to_contain_text("Internal note")
    expect(note.get_by_test_id("internal-note-text")).to_have_text(f"{NOTE} {XSS}")
    alex.say("Thanks Priya, I'm looking into your refunds now.")
    browser.shoot(alex.page, screenshots, "console-internal-note")

    # The supervisor's bell counts the mention and leads to the ticket, where the note shows.
    count = sam.page.get_by_test_id("notifications-count")
    expect(count).to_have_text("1", timeout=20_000)
    sam.page.get_by_test_id("notifications-button").click()
    mention = sam.page.get_by_test_id("notification").first
    expect(mention).to_contain_text(f"Alex Rivera mentioned you on ticket {ticket}")
    expect(mention).to_contain_text("refunded twice")
    expect(count).to_be_hidden()
    mention.get_by_test_id("notification-link").click()
    expect(sam.page.get_by_test_id("ticket-title")).to_contain_text(ticket)
    expect(sam.page.locator("[data-testid=chat-log] [data-testid=internal-note]")).to_contain_text(
        "refunded twice"
    )

    # The shopper saw Alex's message, and never the note.
    shopper.expect_line("agent", "looking into your refunds")
    panel = shopper.page.get_by_test_id("tierline-panel")
    expect(panel).not_to_contain_text("refunded twice")
    expect(panel).not_to_contain_text("Internal note")
    shopper.page.reload()  # a fresh widget replays the whole history: still no note
    shopper.page.get_by_test_id("tierline-launcher").click()
    shopper.expect_line("agent", "looking into your refunds")
    expect(shopper.page.get_by_test_id("tierline-panel")).not_to_contain_text("refunded twice")
    for page in (alex.page, sam.page, shopper.page):
        no_injection(page)


def test_a_supervisor_keeps_macros_and_html_in_them_stays_text(
    stack: Stack, new_context: browser.NewContext
) -> None:
    sam = Agent(new_context(width=1440, height=900), "sam.lead")
    sam.page.get_by_test_id("nav-macros").click()
    expect(sam.page.get_by_test_id("macro-row").first).to_be_visible()

    sam.page.get_by_test_id("macro-title").fill(f"Shipping delay {XSS}")
    sam.page.get_by_test_id("macro-body").fill("Sorry {first_name}, your parcel is late.")
    sam.page.get_by_test_id("macro-save").click()
    expect(sam.page.get_by_test_id("macro-error")).to_contain_text("{first_name}")

    sam.page.get_by_test_id("macro-body").fill("Sorry {customer_first_name}, <b>late</b>.")
    sam.page.get_by_test_id("macro-save").click()
    expect(sam.page.get_by_test_id("macros-notice")).to_contain_text("Saved")
    row = sam.page.get_by_test_id("macro-row").filter(has_text="Shipping delay")
    expect(row.get_by_test_id("macro-row-title")).to_have_text(f"Shipping delay {XSS}")
    expect(row.get_by_test_id("macro-row-body")).to_have_text(
        "Sorry {customer_first_name}, <b>late</b>."
    )
    no_injection(sam.page)

    row.get_by_test_id("macro-edit").click()
    sam.page.get_by_test_id("macro-title").fill("Shipping delay")
    sam.page.get_by_test_id("macro-save").click()
    renamed = sam.page.get_by_test_id("macro-row-title").filter(
        has_text=re.compile(r"^Shipping delay$")
    )
    expect(renamed).to_have_count(1)

    sam.page.once("dialog", lambda dialog: dialog.accept())
    sam.page.get_by_test_id("macro-row").filter(has_text="Shipping delay").get_by_test_id(
        "macro-delete"
    ).click()
    expect(sam.page.get_by_test_id("macros-notice")).to_contain_text("Deleted")
    expect(sam.page.get_by_test_id("macro-row").filter(has_text="Shipping delay")).to_have_count(0)


def test_a_specialist_signs_a_case_off_with_a_macro_and_the_note_stays_out_of_the_mail(
    stack: Stack, new_context: browser.NewContext
) -> None:
    case = browser.open_trade_in_case(
        stack,
        "e2e-macro-case",
        {"id": "C-1004", "email": "sam.oconnor@example.com"},
        "The trade-in credit never arrived",
    )
    jordan = Agent(new_context(width=1440, height=900), "jordan.ecr")
    jordan.go_to_case(case)

    jordan.page.get_by_test_id("note-input").fill("@sam.lead credit approved off-book, keep quiet")
    jordan.page.get_by_test_id("note-submit").click()
    expect(jordan.page.get_by_test_id("note-result")).to_contain_text("Notified @sam.lead")
    expect(jordan.page.get_by_test_id("internal-note")).to_contain_text("off-book")

    reply = jordan.page.get_by_test_id("case-reply-body")
    reply.fill("Your $320 credit is on its way.\n\n")
    reply.press("Control+k")
    jordan.page.get_by_test_id("macro-search").press_sequentially("sign-off")
    jordan.page.get_by_test_id("macro-search").press("Enter")
    expect(reply).to_have_value(
        "Your $320 credit is on its way.\n\nIf anything else comes up, reply to this email and "
        f"quote {case}.\n\nKind regards,\nJordan Lee\nExecutive Customer Relations"
    )
    jordan.page.get_by_test_id("case-reply-submit").click()
    expect(jordan.page.get_by_test_id("case-reply-result")).to_contain_text("Email sent")

    browser.subjects_to(stack, "sam.oconnor@example.com", expected=2)  # the case's mails are in
    mails = [
        stack.desk("GET", f"/api/v1/outbox/{quote(str(item['message_id']), safe='@')}").json()
        for item in stack.desk("GET", "/api/v1/outbox").json()
        if case in str(item["subject"])
    ]
    assert any(
        m["subject"].startswith("Re:") and "credit is on its way" in m["text"] for m in mails
    ), mails
    assert all("off-book" not in f"{m['text']} {m['html']}" for m in mails)
