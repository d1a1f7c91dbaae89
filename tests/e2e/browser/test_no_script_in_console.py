"""Shopper-sent HTML and script never runs in the agent console (nor in the widget).

A guest sends HTML/script payloads through the widget, before the handoff (so they are in the
ticket's case card and transcript) and after an associate has claimed it (live chat). The
associate's console must show them as literal text: no dialog, no injected element, and none
of the payloads' window markers set. The whole stack runs (tests/e2e/conftest.py).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.utils.browser import Agent, NewContext, Shopper, conversation_id, ticket_of
from tests.utils.stack import Stack

pytestmark = pytest.mark.e2e

# Each payload would set window.<marker> (or open a dialog) if the page ran it.
PAYLOADS = {
    "__xss_img": '<img src=x onerror="window.__xss_img=1">',
    "__xss_script": "<script>window.__xss_script=1</script>",
    "__xss_svg": '<svg onload="window.__xss_svg=1"><circle r="1"></circle></svg>',
    "__xss_iframe": '<iframe srcdoc="<script>parent.__xss_iframe=1</script>"></iframe>',
    "__xss_details": '<details open ontoggle="window.__xss_details=1">x</details>',
    "__xss_break": '"><img src=x onerror="alert(1);window.__xss_break=1">',
}
LATE = {
    "__xss_late_img": '<img src=y onerror="window.__xss_late_img=1">',
    "__xss_late_style": '<style onload="window.__xss_late_style=1"></style><b>bold?</b>',
}
INJECTED = "img[src=x], img[src=y], svg[onload], iframe[srcdoc], details[ontoggle], [onerror]"


def markers_set(page: Page, markers: list[str]) -> list[str]:
    found: list[str] = page.evaluate(
        "names => names.filter(n => typeof window[n] !== 'undefined')", markers
    )
    return found


def test_shopper_html_and_script_are_shown_as_text_and_never_run(
    stack: Stack, new_context: NewContext
) -> None:
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    alex = Agent(new_context(width=1440, height=900), "alex")
    alex.page.on("dialog", on_dialog)
    shopper = Shopper(new_context(width=1100, height=820), None)
    shopper.page.on("dialog", on_dialog)

    for payload in PAYLOADS.values():
        shopper.say(payload)  # stored and answered by the bot; shown literally in the widget
    shopper.say("I want to talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    ticket = ticket_of(stack, conversation_id(shopper))

    alex.claim(ticket)
    shopper.expect_line("system", "Alex Rivera .*joined the chat")
    for payload in LATE.values():
        # The desk takes a burst of 8 messages per connection, then one every 2 s
        # (CHAT_CONNECTION_BURST / _PER_MINUTE); this test already sent 7 in a second or two.
        shopper.page.wait_for_timeout(2_100)
        shopper.page.get_by_test_id("tierline-input").fill(payload)
        shopper.page.get_by_test_id("tierline-input").press("Enter")

    shopper_lines = alex.page.locator("[data-testid=chat-message][data-sender=shopper]")
    for payload in [*PAYLOADS.values(), *LATE.values()]:
        # The text is there, literally, in the console's live chat.
        expect(shopper_lines.filter(has_text=payload).first).to_be_visible(timeout=30_000)

    markers = [*PAYLOADS, *LATE]
    for page in (alex.page, shopper.page):
        page.wait_for_timeout(500)  # give any injected handler the chance to fire
        assert markers_set(page, markers) == []
        assert page.locator(INJECTED).count() == 0
        assert page.locator("b", has_text="bold?").count() == 0
    assert dialogs == []
    # The console still works after all that: the associate can write back.
    alex.say("I can see your messages as plain text.")
    shopper.expect_line("agent", "plain text")
