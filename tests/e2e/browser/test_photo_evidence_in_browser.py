"""A shopper attaches a photo of a damaged laptop in the widget; the specialist sees it on the
case card with the order line it shows. Real chromium, the whole stack (nothing faked)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.utils.browser import LAPTOP_ORDER, PRIYA, Agent, NewContext, Shopper, shoot
from tests.utils.stack import Stack

pytestmark = pytest.mark.e2e
LAPTOP_SKU = "SKU-LT-9100"


def cracked_screen_photo() -> bytes:
    """A JPEG like a phone's: with EXIF naming the camera (the desk strips it)."""
    image = Image.new("RGB", (1200, 900), (90, 110, 140))  # the laptop's screen
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 1140, 840), outline=(20, 20, 30), width=40)  # its bezel
    crack = [(300, 120), (520, 380), (470, 520), (760, 700), (900, 820)]
    draw.line(crack, fill=(245, 245, 245), width=9)  # the crack
    exif = Image.Exif()
    exif[0x010F] = "TierPhone"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def test_a_photo_of_a_damaged_item_reaches_the_specialists_case_card(
    stack: Stack, new_context: NewContext, screenshots: Path
) -> None:
    shopper = Shopper(new_context(width=1100, height=820), PRIYA)
    shopper.say(f"my laptop from order {LAPTOP_ORDER} arrived damaged, the screen is cracked")
    case_line = shopper.expect_line("bot", r"CASE-\d+")
    case = re.search(r"CASE-\d+", case_line.inner_text())
    assert case is not None
    shopper.expect_line("bot", "attach one here")  # the bot asks for a photo, or skip

    page = shopper.page
    page.get_by_test_id("tierline-attach-input").set_input_files(
        {"name": "cracked-screen.jpg", "mimeType": "image/jpeg", "buffer": cracked_screen_photo()}
    )
    preview = page.get_by_test_id("tierline-attachment-preview")
    expect(preview).to_have_count(1)
    expect(preview).to_contain_text("cracked-screen.jpg")
    shoot(page, screenshots, "widget-photo-preview")
    page.get_by_test_id("tierline-send").click()

    sent = shopper.messages("shopper").filter(has=page.get_by_test_id("tierline-message-file"))
    expect(sent).to_have_count(1)
    thumb = sent.locator("img")
    expect(thumb).to_have_attribute("src", re.compile(r"/attachments/att-[0-9a-f]{24}/thumb\?"))
    expect(thumb).to_have_js_property("complete", True)
    assert thumb.evaluate("img => img.naturalWidth") == 320  # the desk's thumbnail, loaded
    expect(preview).to_have_count(0)
    shopper.expect_line("bot", "added your photo")
    shoot(page, screenshots, "widget-photo-sent")

    jordan = Agent(new_context(width=1440, height=900), "jordan.ecr")
    jordan.open_case(case.group(0))
    item = jordan.page.get_by_test_id("file-item")
    expect(item).to_have_count(1)
    expect(item.get_by_test_id("file-order-line")).to_contain_text(
        f"Order {LAPTOP_ORDER} · item {LAPTOP_SKU}"
    )
    card_thumb = item.get_by_test_id("file-thumb")
    expect(card_thumb).to_have_js_property("complete", True)
    assert card_thumb.evaluate("img => img.naturalWidth") == 320
    shoot(jordan.page, screenshots, "console-case-photo")

    # The full photo opens from the thumbnail, cleaned of its EXIF.
    full = jordan.page.request.get(item.get_by_test_id("file-link").evaluate("a => a.href"))
    assert full.status == 200 and full.headers["content-type"] == "image/jpeg"
    assert full.headers["x-content-type-options"] == "nosniff"
    assert b"TierPhone" not in full.body()
