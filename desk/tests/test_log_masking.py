"""Log masking: emails, phones and order numbers never reach a log line in the clear."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.utils.desk import API_TOKEN
from tierline_desk import log_masking
from tierline_desk.log_masking import MaskingFilter, mask


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("maya.chen@example.com", "m***@example.com"),
        ("?email=maya.chen%40example.com", "?email=m***%40example.com"),
        ("112-4839201-5573910", "***-*******-***3910"),
        ("11248392015573910", "*************3910"),
        ("/orders/%20112-4839201-5573910/cancel", "/orders/%20***-*******-***3910/cancel"),
        ("+14155550123", "+*********23"),
        ("call (415) 555-0199 now", "call (***) ***-**99 now"),
        ("+44 20 7946 0958", "+** ** **** **58"),
    ],
)
def test_personal_data_is_masked(raw: str, masked: str) -> None:
    assert mask(raw) == masked


def test_other_numbers_are_left_alone() -> None:
    text = "refund 1928.99 at 2026-11-24 12:00:01 on ticket T-1234, 3 items, HTTP/1.1 200"
    assert mask(text) == text


def test_the_filter_masks_message_args_and_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("tierline_desk.test_masking")
    log.addFilter(MaskingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tierline_desk.test_masking"):
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


def test_the_app_masks_every_record_including_uvicorns_access_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """create_app installs the masking record factory: any logger, any handler."""
    assert getattr(logging.getLogRecordFactory(), "_tierline_masked", False)
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "POST",
            "/api/v1/orders/112-4839201-5573910/cancel?email=maya.chen%40example.com",
            "1.1",
            200,
        )
        resp = client.post(
            "/api/v1/orders/lookup",
            json={"order_number": "999-9999999-9999999", "email": "nobody@example.com"},
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
    assert resp.status_code == 404
    assert "5573910" not in caplog.text and "maya.chen" not in caplog.text
    assert "/api/v1/orders/***-*******-***3910/cancel?email=m***%40example.com" in caplog.text
    assert '" 200' in caplog.text  # the access log's %d still formats
    log_masking.install()  # idempotent
    assert getattr(logging.getLogRecordFactory(), "_tierline_masked", False)
