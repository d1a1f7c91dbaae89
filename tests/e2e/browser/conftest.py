"""Playwright with Debian's chromium (no browser download) against the running stack."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, sync_playwright

from tests.utils.browser import CHROMIUM_FLAGS, NewContext, chromium_path
from tests.utils.stack import Stack, hand_back_open_tickets

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """Where the tests save what a person sees (`make screenshots` points it at docs/)."""
    path = Path(os.environ.get("TIERLINE_SCREENSHOTS") or ROOT / "var" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def new_context(browser: Browser) -> Iterator[NewContext]:
    contexts: list[BrowserContext] = []

    def _new(width: int = 1280, height: int = 860) -> BrowserContext:
        context = browser.new_context(viewport={"width": width, "height": height})
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context

    yield _new
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True)
def tickets_handed_back(stack: Stack) -> Iterator[None]:
    """After each browser test, the tickets it left open go back to the bot (see
    :func:`hand_back_open_tickets`), so the next test's queue does not depend on timing."""
    yield
    hand_back_open_tickets(stack)
