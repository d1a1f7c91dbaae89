"""Log masking: emails, phones and order numbers never reach a log line in the clear."""

from __future__ import annotations

import logging

import pytest

from tierline_common.log_masking import MaskingFilter, mask


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("maya.chen@example.com", "m***@example.com"),
        ("?email=maya.chen%40example.com", "?email=m***%40example.com"),
        ("112-4839201-5573910", "***-*******-***3910"),
        ("11248392015573910", "*************3910"),
        ("order 112.4839201.5573910.", "order ***.*******.***3910."),
        ("it's 112 4839201 5573910", "it's *** ******* ***3910"),
        ("/orders/%20112-4839201-5573910/cancel", "/orders/%20***-*******-***3910/cancel"),
        ("+14155550123", "+*********23"),
        ("call (415) 555-0199", "call (***) ***-**99"),
        ("call (415) 555-0199 now", "call (***) ***-**99 now"),
        ("+44 20 7946 0958", "+** ** **** **58"),
    ],
)
def test_personal_data_is_masked(raw: str, masked: str) -> None:
    assert mask(raw) == masked


@pytest.mark.parametrize(
    "text",
    [
        "refund 1928.99 on 2026-11-24 for ticket T-1234 (3 items)",
        "refund 1928.99 at 2026-11-24 12:00:01 on ticket T-1234, 3 items, HTTP/1.1 200",
    ],
)
def test_dates_amounts_and_ids_are_left_alone(text: str) -> None:
    assert mask(text) == text


def test_the_filter_masks_message_args_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("tierline_common.test_masking")
    log.addFilter(MaskingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tierline_common.test_masking"):
            log.info("lookup %s for %s", "112-4839201-5573910", "maya.chen@example.com")
            log.info({"phone": "+14155550123"})
            try:
                raise ValueError("no order 112-4839201-5573910")
            except ValueError:
                log.exception("failed for sam.oconnor@example.com")
    finally:
        log.filters.clear()
    text = caplog.text
    assert "5573910" not in text and "maya.chen" not in text and "4155550123" not in text
    assert "***-*******-***3910" in text and "m***@example.com" in text and "s***@" in text
    assert "+*********23" in text
