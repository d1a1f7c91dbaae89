"""Engine and session factory, created lazily on first use (no work at import time)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from .settings import get_settings

log = logging.getLogger("tierline_desk.db")
STORE_RETRY_SECONDS = 60.0  # how long run_until_stored waits for the database to come back

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


def _pool_options(url: str) -> dict[str, int]:
    """A server database's pool size (settings); SQLite keeps SQLAlchemy's own pooling."""
    if make_url(url).get_backend_name() == "sqlite":
        return {}
    settings = get_settings()
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
    }


def get_engine(url: str | None = None) -> Engine:
    """The engine for ``url`` (default: the configured DATABASE_URL), one per URL."""
    url = url or get_settings().resolved_database_url()
    engine = _engines.get(url)
    if engine is None:
        engine = create_engine(url, pool_pre_ping=True, **_pool_options(url))
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


def _run[T](work: Callable[[Session], T]) -> T:
    with get_session_factory()() as session:
        return work(session)


async def run_in_session[T](work: Callable[[Session], T]) -> T:
    """Run ``work`` with its own session in the thread pool (the database driver blocks)."""
    return await run_in_threadpool(_run, work)


async def run_until_stored[T](work: Callable[[Session], T]) -> T:
    """:func:`run_in_session`, retried while the database can't be reached (e.g. it is
    restarting). For writes that must not be dropped, such as the bot's answer to a message
    already stored. Gives up after ``STORE_RETRY_SECONDS``."""
    delay = 0.2
    deadline = time.monotonic() + STORE_RETRY_SECONDS
    while True:
        try:
            return await run_in_session(work)
        except OperationalError as exc:
            if time.monotonic() >= deadline:
                raise
            log.warning("database unavailable; retrying the store: %s", str(exc).splitlines()[0])
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def reset_engines() -> None:
    """Dispose and forget every engine (tests, or after DATABASE_URL changes)."""
    for engine in _engines.values():
        engine.dispose()
    _engines.clear()
    _factories.clear()
