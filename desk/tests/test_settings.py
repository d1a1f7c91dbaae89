from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.desk import unset_env
from tierline_desk import settings as settings_mod
from tierline_desk.settings import REPO_ROOT, Settings, SettingsError, get_settings, require_secret


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    unset_env(
        monkeypatch,
        ("DATABASE_URL", "RASA_URL", "RASA_TOKEN", "RETURN_WINDOW_DAYS", "AVG_HANDLE_MINUTES"),
    )
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


STORE_VARS = (
    "STORE",
    "MEDUSA_URL",
    "MEDUSA_ADMIN_EMAIL",
    "MEDUSA_ADMIN_PASSWORD",
    "MEDUSA_API_KEY",
    "MEDUSA_TIMEOUT_SECONDS",
    "STORE_CACHE_SECONDS",
    "STORE_POLL_SECONDS",
    "TIERLINE_EVENTS_SECRET",
    "TIERLINE_EVENTS_URL",
    "MEDUSA_WORKDIR",
    "MEDUSA_PG_PORT",
    "MEDUSA_JWT_SECRET",
    "MEDUSA_COOKIE_SECRET",
)


@pytest.fixture
def no_store_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    unset_env(monkeypatch, STORE_VARS)
    return monkeypatch


def test_store_defaults_to_the_builtin_tables(no_store_env: pytest.MonkeyPatch) -> None:
    s = Settings()
    assert s.store == "builtin"
    assert s.medusa_url == "http://127.0.0.1:9000"
    assert s.medusa_admin_email is None
    assert s.medusa_admin_password is None and s.medusa_api_key is None
    assert s.medusa_timeout_seconds == 5
    assert s.store_cache_seconds == 15 and s.store_poll_seconds == 30
    assert s.events_secret is None and s.events_url is None
    assert s.medusa_port() == 9000 and s.medusa_pg_port == 5434
    assert s.medusa_workdir == REPO_ROOT / "var" / "medusa"


def test_medusa_store_with_an_api_key(no_store_env: pytest.MonkeyPatch) -> None:
    no_store_env.setenv("STORE", "medusa")
    no_store_env.setenv("MEDUSA_URL", "http://medusa.test:9000")
    no_store_env.setenv("MEDUSA_API_KEY", "sk_0123")
    no_store_env.setenv("MEDUSA_TIMEOUT_SECONDS", "2.5")
    no_store_env.setenv("STORE_CACHE_SECONDS", "0")
    no_store_env.setenv("TIERLINE_EVENTS_SECRET", "whsec")
    s = Settings()
    assert s.store == "medusa" and s.medusa_url == "http://medusa.test:9000"
    assert s.medusa_api_key is not None and s.medusa_api_key.get_secret_value() == "sk_0123"
    assert s.medusa_timeout_seconds == 2.5 and s.store_cache_seconds == 0
    assert s.events_secret is not None
    assert s.medusa_base_url() == "http://medusa.test:9000" and s.medusa_port() == 9000
    assert "sk_0123" not in repr(s) and "whsec" not in repr(s)


def test_medusa_store_with_an_admin_login(no_store_env: pytest.MonkeyPatch) -> None:
    no_store_env.setenv("STORE", "medusa")
    no_store_env.setenv("MEDUSA_ADMIN_EMAIL", "admin@tierline.example")
    no_store_env.setenv("MEDUSA_ADMIN_PASSWORD", "pw")
    s = Settings()
    assert s.medusa_admin_email == "admin@tierline.example"
    assert s.medusa_admin_password is not None


@pytest.mark.parametrize(
    "given",
    [
        {},
        {"MEDUSA_ADMIN_EMAIL": "admin@tierline.example"},
        {"MEDUSA_ADMIN_PASSWORD": "pw"},
        {"MEDUSA_API_KEY": " "},
        {"MEDUSA_ADMIN_EMAIL": " ", "MEDUSA_ADMIN_PASSWORD": "pw"},
    ],
)
def test_medusa_store_without_credentials_is_a_clear_error(
    no_store_env: pytest.MonkeyPatch, given: dict[str, str]
) -> None:
    no_store_env.setenv("STORE", "medusa")
    for var, value in given.items():
        no_store_env.setenv(var, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=r"MEDUSA_API_KEY.*MEDUSA_ADMIN_EMAIL"):
            get_settings()
    finally:
        get_settings.cache_clear()


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("STORE", "shopify"),
        ("MEDUSA_TIMEOUT_SECONDS", "0"),
        ("STORE_CACHE_SECONDS", "-1"),
        ("STORE_POLL_SECONDS", "-1"),
        ("MEDUSA_PG_PORT", "70000"),
    ],
)
def test_invalid_store_setting_is_a_clear_error(
    no_store_env: pytest.MonkeyPatch, var: str, value: str
) -> None:
    no_store_env.setenv(var, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError, match=var):
            get_settings()
    finally:
        get_settings.cache_clear()


def test_the_local_medusas_secrets_are_named_when_missing(
    no_store_env: pytest.MonkeyPatch,
) -> None:
    no_store_env.setenv("MEDUSA_JWT_SECRET", " ")
    s = Settings()
    with pytest.raises(SettingsError, match="MEDUSA_JWT_SECRET is not set"):
        require_secret(s.medusa_jwt_secret, "MEDUSA_JWT_SECRET")
    with pytest.raises(SettingsError, match="MEDUSA_COOKIE_SECRET is not set"):
        require_secret(s.medusa_cookie_secret, "MEDUSA_COOKIE_SECRET")
    with pytest.raises(SettingsError, match="MEDUSA_ADMIN_EMAIL is not set"):
        s.medusa_admin_credentials()
    no_store_env.setenv("MEDUSA_ADMIN_EMAIL", "admin@tierline.example")
    no_store_env.setenv("MEDUSA_ADMIN_PASSWORD", "pw")
    assert Settings().medusa_admin_credentials() == ("admin@tierline.example", "pw")
