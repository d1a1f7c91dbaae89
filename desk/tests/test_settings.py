from __future__ import annotations

from pathlib import Path

import pytest

from tierline_desk import settings as settings_mod
from tierline_desk.settings import Settings, SettingsError, get_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "DATABASE_URL",
        "RASA_URL",
        "RASA_TOKEN",
        "RETURN_WINDOW_DAYS",
        "AVG_HANDLE_MINUTES",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DESK_API_TOKEN", "x")
    s = Settings()
    assert s.rasa_url == "http://127.0.0.1:5005"
    assert s.rasa_token.get_secret_value() == ""
    assert s.return_window_days == 30
    assert s.avg_handle_minutes == 4


def test_default_database_is_repo_var_sqlite(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The real default is <repo>/var/desk.sqlite3, repo = parent of desk/.
    expected = settings_mod.DESK_DIR.parent / "var" / "desk.sqlite3"
    assert expected == settings_mod.DEFAULT_SQLITE_PATH
    assert (settings_mod.DESK_DIR / "pyproject.toml").is_file()
    monkeypatch.delenv("DATABASE_URL", raising=False)
    fake = tmp_path / "repo" / "var" / "desk.sqlite3"
    monkeypatch.setattr(settings_mod, "DEFAULT_SQLITE_PATH", fake)
    url = Settings().resolved_database_url()
    assert url == f"sqlite:///{fake}"
    assert fake.parent.is_dir()


def test_missing_api_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESK_API_TOKEN", raising=False)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="DESK_API_TOKEN is not set"):
            get_settings().api_token()
        from tierline_desk.main import create_app

        with pytest.raises(SettingsError, match="DESK_API_TOKEN"):
            create_app()
    finally:
        get_settings.cache_clear()


def test_invalid_setting_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "thirty")
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match="RETURN_WINDOW_DAYS"):
            get_settings()
    finally:
        get_settings.cache_clear()
