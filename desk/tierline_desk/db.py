"""Engine and session factory, created lazily on first use (no work at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from .settings import get_settings

_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web chat read while another request writes; busy_timeout makes a writer
    # wait for the lock instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the configured DATABASE_URL), one per URL."""
    url = url or get_settings().resolved_database_url()
    engine = _engines.get(url)
    if engine is None:
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _configure_sqlite)
        _engines[url] = engine
    return engine


def get_session_factory(url: str | None = None) -> sessionmaker[Session]:
    url = url or get_settings().resolved_database_url()
    factory = _factories.get(url)
    if factory is None:
        factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
        _factories[url] = factory
    return factory


def get_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request; uncommitted work is rolled back on close."""
    session = get_session_factory()()
    try:
        yield session
    finally:
        session.close()


def reset_engines() -> None:
    """Dispose and forget every engine (tests, or after DATABASE_URL changes)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()


SessionDep = Annotated[Session, Depends(get_session)]
