"""Log masking: emails, phones and order numbers never reach a log line in the clear.

The masking itself is tested in common/tests/test_log_masking.py.
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from tierline_common import log_masking

from tests.conftest import API_TOKEN


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
