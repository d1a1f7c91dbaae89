"""Each desk keeps a pool of server-database connections large enough for its database work:
beyond the pool, every use opened (and closed) a PostgreSQL connection."""

from __future__ import annotations

import pytest

from tierline_desk.db import get_engine, reset_engines
from tierline_desk.settings import get_settings


def test_a_server_database_gets_the_configured_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_POOL_SIZE", "25")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "7")
    get_settings.cache_clear()
    try:
        engine = get_engine("postgresql+psycopg://u:p@127.0.0.1:1/pool_test")  # no connection
        assert engine.pool.size() == 25  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 7  # type: ignore[attr-defined]
    finally:
        reset_engines()
        get_settings.cache_clear()


def test_the_default_pool_covers_the_database_threads() -> None:
    settings = get_settings()
    assert settings.database_pool_size >= 30
