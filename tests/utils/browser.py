"""A shopper in the widget and an agent in the console, in Debian's chromium (Playwright)."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, expect

from tests.utils.stack import DESK, Stack

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]


def chromium_path() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail("Debian's chromium is missing: `make browser-deps` installs it")
    return found


NewContext = Callable[..., BrowserContext]


def open_page(context: BrowserContext, url: str) -> Page:
    page = context.new_page()
    page.goto(url)
    return page


PRIYA = "C-1003"
LAPTOP_ORDER = "117-3141592-6535897"  # Priya's, delivered, $1,928.99
TRADE_IN_ORDER = "118-2718281-8284590"  # Sam's (C-1004), with a trade-in credit


class Shopper:
    """The demo shop with the chat widget open."""

    def __init__(self, context: BrowserContext, customer_id: str | None) -> None:
        self.page = context.new_page()
        self.page.goto(f"{DESK}/")
        if customer_id:
            self.page.locator(
                f"[data-testid=shop-customer][data-customer-id='{customer_id}']"
            ).click()
            expect(self.page.get_by_test_id("shop-signed-in")).to_be_visible()
        self.page.get_by_test_id("tierline-launcher").click()
        expect(self.page.get_by_test_id("tierline-panel")).to_be_visible()

    def messages(self, sender: str | None = None) -> Locator:
        selector = "[data-testid=tierline-message][data-seq]"
        if sender:
            selector += f"[data-sender={sender}]"
        return self.page.locator(selector)

    def say(self, text: str) -> None:
        before = self.messages("bot").count()
        self.page.get_by_test_id("tierline-input").fill(text)
        self.page.get_by_test_id("tierline-input").press("Enter")
        expect(self.messages("shopper").filter(has_text=text).last).to_be_visible()
        expect(self.messages("bot")).not_to_have_count(before, timeout=30_000)

    def expect_line(self, sender: str, pattern: str) -> Locator:
        line = self.messages(sender).filter(has_text=re.compile(pattern)).last
        expect(line).to_be_visible(timeout=30_000)
        return line

    def seqs(self) -> list[int]:
        return [int(s) for s in self.messages().evaluate_all("ns => ns.map(n => n.dataset.seq)")]


class Agent:
    """An agent logged into the console at /desk."""

    def __init__(self, context: BrowserContext, username: str) -> None:
        self.page = context.new_page()
        self.page.goto(f"{DESK}/desk")
        self.page.get_by_test_id("login-username").fill(username)
        self.page.get_by_test_id("login-password").fill(f"{username}-demo-pass")
        self.page.get_by_test_id("login-submit").click()
        expect(self.page.get_by_test_id("user-name")).to_be_visible()

    def claim(self, ticket: str) -> None:
        self.page.get_by_test_id("nav-queues").click()
        self.page.locator(f"[data-testid=claim-button][data-ticket='{ticket}']").click()
        expect(self.page.get_by_test_id("ticket-title")).to_contain_text(ticket)
        expect(self.page.get_by_test_id("ticket-status")).to_contain_text(
            re.compile("claimed", re.IGNORECASE)
        )

    def open_case(self, case_number: str) -> None:
        self.page.get_by_test_id("nav-cases").click()
        self.page.locator(f"[data-testid=case-row][data-case='{case_number}']").get_by_test_id(
            "case-link"
        ).click()
        expect(self.page.get_by_test_id("case-title")).to_contain_text(case_number)

    def go_to_case(self, case_number: str) -> None:
        """Straight to the case's page by its address, as a link in a mail leads there."""
        self.page.goto(f"{self.page.url.split('#')[0]}#/cases/{case_number}")
        expect(self.page.get_by_test_id("case-title")).to_contain_text(case_number)

    def say(self, text: str) -> None:
        self.page.get_by_test_id("chat-input").fill(text)
        self.page.get_by_test_id("chat-send").click()
        expect(
            self.page.locator("[data-testid=chat-message][data-sender=agent]").filter(has_text=text)
        ).to_be_visible()

    def money(self, action: str, amount: str, reason: str) -> Locator:
        self.page.get_by_test_id(f"{action}-amount").fill(amount)
        self.page.get_by_test_id(f"{action}-reason").fill(reason)
        self.page.get_by_test_id(f"{action}-submit").click()
        return self.page.get_by_test_id(f"{action}-result")


def open_trade_in_case(
    stack: Stack, conversation_id: str, customer: dict[str, str], description: str
) -> str:
    """A trade-in credit case on Sam's order, opened through the bot's API; its number."""
    opened = stack.desk(
        "POST",
        "/api/v1/cases",
        json={
            "kind": "trade_in_credit",
            "conversation_id": conversation_id,
            "order_number": TRADE_IN_ORDER,
            "customer": customer,
            "description": description,
        },
    )
    assert opened.status_code == 201, opened.text
    return str(opened.json()["case_number"])


def ticket_of(stack: Stack, conversation_id: str) -> str:
    tickets = stack.desk("GET", "/api/v1/handoffs").json()
    mine = [t for t in tickets if t["conversation_id"] == conversation_id]
    assert mine, f"no ticket for {conversation_id}"
    return str(mine[-1]["ticket_number"])


def conversation_id(shopper: Shopper) -> str:
    stored = shopper.page.evaluate("() => localStorage.getItem('tierline-chat')")
    assert stored, "the widget keeps its conversation in localStorage"
    return str(json.loads(stored)["conversation_id"])


def subjects_to(stack: Stack, address: str, expected: int) -> list[str]:
    """Subjects of the mails the catcher received for ``address`` (sent after the response)."""
    deadline = time.monotonic() + 15
    while True:
        items = stack.desk("GET", "/api/v1/outbox").json()
        subjects = [str(m["subject"]) for m in items if address in str(m.get("to", ""))]
        if len(subjects) >= expected or time.monotonic() > deadline:
            return subjects
        time.sleep(0.5)


def shoot(page: Page, folder: Path, name: str) -> None:
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(folder / f"{name}.png"))
