"""A specialist's case answered both ways by email, with the whole stack and Debian's chromium.

The specialist replies in the console; the shopper answers that mail with a photo, sent over
SMTP to the running local catcher (which hands mail for the case address to the desk) with the
command docs/email.md gives newcomers; the answer and its photo show in the case; the
specialist's next reply, caught by the catcher, carries the thread's In-Reply-To and References.
"""

from __future__ import annotations

import io
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.utils.browser import Agent, NewContext, open_trade_in_case, shoot
from tests.utils.console import console_login
from tests.utils.stack import DESK, Stack, desk_cli

pytestmark = pytest.mark.e2e

SAM = {"id": "C-1004", "email": "sam.oconnor@example.com", "name": "Sam O'Connor"}


def _caught_to(stack: Stack, address: str, count: int) -> list[EmailMessage]:
    """The mails the catcher stored for ``address``, oldest first (waits for ``count``)."""
    maildir = Path(stack.env["MAILDIR"])
    deadline = time.monotonic() + 20
    while True:
        files = sorted(
            (
                p
                for sub in ("new", "cur")
                if (maildir / sub).is_dir()
                for p in (maildir / sub).iterdir()
            ),
            key=lambda p: p.stat().st_mtime_ns,
        )
        mails = []
        for path in files:
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            if address in str(msg.get("To", "")):
                mails.append(msg)
        if len(mails) >= count or time.monotonic() > deadline:
            return mails
        time.sleep(0.5)


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (180, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def test_a_shoppers_emailed_photo_lands_in_the_case_and_the_answer_stays_in_the_thread(
    stack: Stack, new_context: NewContext, screenshots: Path, tmp_path: Path
) -> None:
    number = open_trade_in_case(
        stack, "e2e-case-email", SAM, "The trade-in credit is lower than I was quoted"
    )

    jordan = Agent(new_context(width=1440, height=1250), "jordan.ecr")
    jordan.go_to_case(number)
    jordan.page.get_by_test_id("case-reply-body").fill("Could you send a photo of the quote?")
    jordan.page.get_by_test_id("case-reply-submit").click()
    expect(jordan.page.get_by_test_id("case-reply-result")).to_contain_text("emailed")

    first, asked = _caught_to(stack, SAM["email"], 2)[-2:]  # "case opened", then the reply
    assert first["X-Tierline-Mail"] == "specialist_case_opened"
    assert asked["In-Reply-To"] == first["Message-ID"]
    assert str(asked["Reply-To"]).startswith(f"cases+{number.lower()}.")

    # Sam answers with the newcomer's command (docs/email.md): over SMTP to the catcher on :8025.
    photo = tmp_path / "quote.jpg"
    photo.write_bytes(_photo())
    desk_cli(
        stack.env,
        "reply-as-shopper",
        number,
        "Here is the quote I was given.",
        "--attach",
        str(photo),
    )

    inbound = jordan.page.locator("[data-testid=case-message][data-direction=inbound]")
    for _ in range(20):  # the case view refreshes by itself every 30 s; reload sooner
        jordan.page.reload()
        expect(jordan.page.get_by_test_id("case-title")).to_contain_text(number)
        if inbound.count():
            break
        time.sleep(0.5)
    expect(inbound).to_have_count(1)
    expect(inbound.get_by_test_id("case-message-body")).to_have_text(
        "Here is the quote I was given."
    )
    image = inbound.get_by_test_id("case-photo")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 64
    directions = jordan.page.get_by_test_id("case-message").evaluate_all(
        "items => items.map(i => i.dataset.direction)"
    )
    assert directions == ["outbound", "inbound"]

    jordan.page.get_by_test_id("case-reply-body").fill("Thank you: the credit is corrected.")
    jordan.page.get_by_test_id("case-reply-submit").click()
    expect(jordan.page.get_by_test_id("case-reply-result")).to_contain_text("emailed")
    thread = jordan.page.get_by_test_id("case-message")
    expect(thread).to_have_count(3)  # both directions, in order
    assert thread.evaluate_all("items => items.map(i => i.dataset.direction)") == [
        "outbound",
        "inbound",
        "outbound",
    ]
    shoot(jordan.page, screenshots, "console-case-email-thread")

    answer = console_login("jordan.ecr").client.get(f"{DESK}/console/api/cases/{number}")
    sams = [m for m in answer.json()["messages"] if m["direction"] == "inbound"]
    assert len(sams) == 1 and sams[0]["from_email"] == SAM["email"]
    sams_id = f"<{sams[0]['message_id']}>"
    assert sams_id != str(asked["Message-ID"])
    last = _caught_to(stack, SAM["email"], 3)[-1]
    assert "the credit is corrected" in str(last.get_body(preferencelist=("plain",)))
    assert last["In-Reply-To"] == sams_id
    assert str(last["References"]).split() == [
        str(first["Message-ID"]),
        str(asked["Message-ID"]),
        sams_id,
    ]
