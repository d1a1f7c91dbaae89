"""The action server masks personal data in its logs (installed through rasa-sdk's plugin hook).

The masking itself is tested in common/tests/test_log_masking.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from tierline_common import log_masking

from actions.settings import get_settings


@pytest.fixture
def restore_factory() -> Iterator[None]:
    before = logging.getLogRecordFactory()
    yield
    logging.setLogRecordFactory(before)


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
    log_masking.install()  # idempotent
    assert getattr(logging.getLogRecordFactory(), "_tierline_masked", False)
