"""The satisfaction survey in real chromium: the shopper rates the chat an associate handed
back, the supervisor sees it in the console's analytics (and downloads them as CSV); then a
month of seed-history data, as docs/screenshots/console-analytics.png shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.utils.browser import PRIYA, Agent, NewContext, Shopper, conversation_id, shoot, ticket_of
from tests.utils.stack import Stack, desk_cli

pytestmark = pytest.mark.e2e


def test_the_shopper_rates_the_chat_and_the_score_shows_in_analytics(
    stack: Stack, new_context: NewContext, tmp_path: Path
) -> None:
    alex = Agent(new_context(width=1440, height=900), "alex")
    shopper = Shopper(new_context(width=1100, height=820), PRIYA)
    shopper.say("I want to talk to a representative")
    shopper.expect_line("bot", r"ticket T-\d+")
    alex.claim(ticket_of(stack, conversation_id(shopper)))
    shopper.expect_line("system", "joined the chat")
    alex.say("Hi Priya, I've re-sent your tracking details by email.")
    alex.page.get_by_test_id("handback-outcome").fill("we re-sent the tracking details")
    alex.page.get_by_test_id("handback-submit").click()
    shopper.expect_line("system", "handed you back to the assistant")

    survey = shopper.page.get_by_test_id("tierline-csat")
    expect(survey).to_be_visible()
    shopper.page.get_by_test_id("tierline-csat-score-5").click()
    shopper.page.get_by_test_id("tierline-csat-comment").fill("Alex was quick <b>and</b> kind")
    shopper.page.get_by_test_id("tierline-csat-send").click()
    expect(shopper.page.get_by_test_id("tierline-csat-thanks")).to_be_visible()
    # A reload shows the conversation again, not the survey: it was answered.
    shopper.page.reload()
    shopper.page.get_by_test_id("tierline-launcher").click()
    shopper.expect_line("system", "handed you back to the assistant")
    expect(shopper.page.get_by_test_id("tierline-csat-score-5")).to_have_count(0)

    sam = Agent(new_context(width=1440, height=900), "sam.lead")
    sam.page.get_by_test_id("nav-analytics").click()
    sam.page.get_by_test_id("analytics-tier").select_option("1")
    expect(sam.page.get_by_test_id("analytics-csat-value")).to_have_text(re.compile(r"^\d\.\d\d$"))
    expect(sam.page.get_by_test_id("chart-csat-agent-table")).to_contain_text("Alex Rivera")
    expect(sam.page.get_by_test_id("chart-csat-tier-canvas")).to_be_visible()
    with sam.page.expect_download() as download:
        sam.page.get_by_test_id("analytics-download").click()
    assert re.fullmatch(r"tierline-analytics-.*-tier-1\.csv", download.value.suggested_filename)
    saved = tmp_path / "analytics.csv"
    download.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("section,item,metric,value") and "csat_by_agent,Alex Rivera" in text


def test_a_month_of_seed_history_in_the_analytics(
    stack: Stack, new_context: NewContext, screenshots: Path
) -> None:
    desk_cli(stack.env, "seed-history", "--force", "--seed", "1")
    sam = Agent(new_context(width=1440, height=2650), "sam.lead")  # every section on one page
    sam.page.get_by_test_id("nav-analytics").click()
    conversations = sam.page.get_by_test_id("analytics-conversations-value")
    expect(conversations).to_have_text(re.compile(r"^\d{3,}$"))
    expect(sam.page.get_by_test_id("chart-funnel-canvas")).to_be_visible()
    expect(sam.page.get_by_test_id("chart-csat-daily-canvas")).to_be_visible()
    expect(sam.page.get_by_test_id("chart-csat-agent-table")).to_contain_text("Riley Chen")
    shoot(sam.page, screenshots, "console-analytics")
    desk_cli(stack.env, "seed-history", "--remove")
