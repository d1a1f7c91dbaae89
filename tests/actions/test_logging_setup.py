"""The action server masks personal data in its logs (installed through rasa-sdk's plugin hook)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from actions import logging_setup
from actions.logging_setup import mask
from actions.settings import get_settings


@pytest.fixture
def restore_factory() -> Iterator[None]:
    before = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(before)


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("maya.chen@example.com", "m***@example.com"),
        ("112-4839201-5573910", "***-*******-***3910"),
        ("11248392015573910", "*************3910"),
        ("order 112.4839201.5573910.", "order ***.*******.***3910."),
        ("it's 112 4839201 5573910", "it's *** ******* ***3910"),
        ("/orders/%20112-4839201-5573910/cancel", "/orders/%20***-*******-***3910/cancel"),
        ("+14155550123", "+*********23"),
        ("call (415) 555-0199", "call (***) ***-**99"),
    ],
)
def test_personal_data_is_masked(raw: str, masked: str) -> None:
    assert mask(raw) == masked


def test_dates_amounts_and_ids_are_left_alone() -> None:
    text = "refund 1928.99 on 2026-11-24 for ticket T-1234 (3 items)"
    assert mask(text) == text


class FakeSanicApp:
    def __init__(self) -> None:
        self.middleware: list[tuple[Any, str]] = []

    def register_middleware(self, middleware: Any, attach_to: str) -> None:
        self.middleware.append((middleware, attach_to))


def test_the_plugin_hook_installs_masking_and_the_token_check(
    restore_factory: None, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rasa_sdk.plugin import plugin_manager

    monkeypatch.setenv("DESK_API_TOKEN", "desk-token")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "action-token")
    get_settings.cache_clear()
    app = FakeSanicApp()
    plugin_manager.cache_clear()
    plugin_manager().hook.attach_sanic_app_extensions(app=app)  # what rasa_sdk.endpoint.run does
    plugin_manager.cache_clear()
    get_settings.cache_clear()
    assert [attach for _, attach in app.middleware] == ["request"]  # actions/server_auth.py
    with caplog.at_level(logging.INFO):
        logging.getLogger("rasa_sdk.executor").info(
            "order %s for %s", "112-4839201-5573910", "sam.oconnor@example.com"
        )
        try:
            raise RuntimeError("phone +14155550123")
        except RuntimeError:
            logging.getLogger("sanic.access").exception("boom")
    assert "5573910" not in caplog.text and "sam.oconnor" not in caplog.text
    assert "4155550123" not in caplog.text
    assert "***-*******-***3910" in caplog.text and "s***@example.com" in caplog.text
    logging_setup.install()  # idempotent
    assert getattr(logging.getLogRecordFactory(), "_tierline_masked", False)
