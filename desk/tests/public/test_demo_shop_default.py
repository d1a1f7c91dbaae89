"""The demo shop (sign in as anyone) is off unless turned on, and loud when it is on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.utils.shop import sign_in
from tierline_desk.settings import REPO_ROOT, Settings, get_settings


def test_the_demo_shop_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEMO_SHOP_ENABLED", raising=False)
    assert Settings().demo_shop_enabled is False


def test_a_desk_without_the_setting_serves_no_demo_sign_in(
    db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DEMO_SHOP_ENABLED", raising=False)
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    with caplog.at_level(logging.WARNING), TestClient(create_app()) as web:
        assert web.get("/").status_code == 404
        resp = sign_in(web, "C-1001")
        assert resp.status_code == 404
    assert "DEMO_SHOP_ENABLED" not in caplog.text


def test_the_desk_warns_at_start_up_when_the_demo_shop_is_on(
    db: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DEMO_SHOP_ENABLED", "true")
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    with caplog.at_level(logging.WARNING):
        create_app()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("DEMO_SHOP_ENABLED is on" in r.getMessage() for r in warnings)


@pytest.mark.parametrize("target", ["run:", "run-scaled:"])
def test_make_run_turns_it_on_explicitly(target: str) -> None:
    makefile = (REPO_ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(makefile) if line.startswith(target))
    recipe = []
    for line in makefile[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line)
    assert any("DEMO_SHOP_ENABLED=true" in line for line in recipe), recipe


def test_the_procfile_does_not_turn_it_on() -> None:
    assert "DEMO_SHOP_ENABLED" not in Path(REPO_ROOT / "Procfile").read_text()
