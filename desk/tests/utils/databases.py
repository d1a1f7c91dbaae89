"""Where the tests' databases live: SQLite files (the default) or PostgreSQL databases.

Set ``DESK_TEST_POSTGRES_URL`` to an admin-capable URL (a role with CREATEDB), e.g.
``postgresql+psycopg://tierline:pw@127.0.0.1:5433/postgres``, and the fixtures in
tests/conftest.py build the migrated, demo-seeded template once per session as a PostgreSQL
database, then give every test its own ``CREATE DATABASE ... TEMPLATE`` copy (a file copy on the
server), dropped after the test. Unset, everything stays on SQLite files under pytest's tmp_path.

Names are unique per pytest process (xdist worker id, pid and a random suffix), so several runs
and workers can share one server. Engines must be disposed (``reset_engines()``) before a drop;
``WITH (FORCE)`` (PostgreSQL 13+) ends whatever connection is still left over.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool, QueuePool

from tierline_desk.db import get_engine, reset_engines

POSTGRES_ENV = "DESK_TEST_POSTGRES_URL"
Backend = Literal["sqlite", "postgresql"]
_DROP_ATTEMPTS = 20
_SETTLE_SECONDS = 5.0


def postgres_admin_url() -> str | None:
    """The admin URL from ``DESK_TEST_POSTGRES_URL``, or None (tests run on SQLite)."""
    return os.environ.get(POSTGRES_ENV) or None


def _run_tag() -> str:
    """Lower-case, identifier-safe and unique for this pytest process."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    tag = "".join(ch if ch.isalnum() else "_" for ch in worker.lower())
    return f"{tag}_{os.getpid()}_{secrets.token_hex(3)}"


def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum() or not name.islower():
        raise ValueError(f"unexpected database name {name!r}")
    return f'"{name}"'


@dataclass
class PostgresServer:
    """Creates and drops the tests' databases through one admin URL."""

    admin_url: str
    tag: str = field(default_factory=_run_tag)
    _counter: Iterator[int] = field(default_factory=itertools.count, repr=False)
    _engine: Engine | None = field(default=None, repr=False)

    def _admin(self) -> Engine:
        if self._engine is None:
            # CREATE/DROP DATABASE cannot run in a transaction; no pool, so no connection of
            # ours ever sits in a database we are about to copy or drop.
            self._engine = create_engine(
                self.admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
            )
        return self._engine

    def url_for(self, name: str) -> str:
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def new_name(self, kind: str) -> str:
        name = f"desk_{kind}_{self.tag}_{next(self._counter)}"
        assert len(name) <= 63, name  # PostgreSQL truncates longer identifiers
        return name

    def create(self, name: str, template: str = "template0") -> str:
        """A new database copied from ``template`` (default: an empty one); its URL."""
        with self._admin().connect() as conn:
            conn.execute(text(f"CREATE DATABASE {_quote(name)} TEMPLATE {_quote(template)}"))
        return self.url_for(name)

    def drop(self, name: str) -> None:
        """Drop ``name``, ending whatever is still connected to it.

        ``WITH (FORCE)`` refuses a non-superuser when one of those connections is not its own
        (an autovacuum worker tidying the fresh copy); then our own sessions are ended by hand
        and a plain DROP, which waits for autovacuum to step aside, is retried.
        """
        quoted = _quote(name)
        for attempt in itertools.count():
            try:
                with self._admin().connect() as conn:
                    if attempt == 0:
                        conn.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
                        return
                    conn.execute(
                        text(
                            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                            " WHERE datname = :name AND pid <> pg_backend_pid()"
                            " AND usename = current_user"
                        ),
                        {"name": name},
                    )
                    conn.execute(text(f"DROP DATABASE IF EXISTS {quoted}"))
                    return
            except DBAPIError:
                if attempt >= _DROP_ATTEMPTS:
                    raise
                time.sleep(0.1 * attempt)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


@dataclass
class Template:
    """The migrated, demo-seeded database every ``db`` test starts from."""

    backend: Backend
    path: Path | None = None  # sqlite: the file to copy
    name: str | None = None  # postgresql: the template database


class DeskDatabases:
    """Provisioning for conftest: a template per session, a fresh database per test."""

    def __init__(self, server: PostgresServer | None) -> None:
        self.server = server

    @classmethod
    def from_environment(cls) -> DeskDatabases:
        admin = postgres_admin_url()
        return cls(PostgresServer(admin) if admin else None)

    @property
    def backend(self) -> Backend:
        return "postgresql" if self.server else "sqlite"

    def build_template(self, workdir: Path, fill: Callable[[str], None]) -> Template:
        """Create the template and ``fill(url)`` it (migrate, seed; engines disposed after)."""
        if self.server is None:
            path = workdir / "desk.sqlite3"
            fill(f"sqlite:///{path}")
            return Template("sqlite", path=path)
        name = self.server.new_name("tmpl")
        try:
            fill(self.server.create(name))
        except BaseException:
            self.server.drop(name)
            raise
        return Template("postgresql", name=name)

    @contextmanager
    def template(self, workdir: Path, fill: Callable[[str], None]) -> Iterator[Template]:
        """A template built by ``fill`` while the block runs; then every engine is disposed
        (nothing may stay connected to a database being dropped) and the template dropped."""
        template = self.build_template(workdir, fill)
        try:
            yield template
        finally:
            reset_engines()
            self.drop_template(template)

    def drop_template(self, template: Template) -> None:
        if self.server is not None and template.name is not None:
            self.server.drop(template.name)

    def copy_of(self, template: Template, workdir: Path) -> str:
        """A fresh database with the template's contents; its URL."""
        if self.server is None:
            assert template.path is not None
            target = workdir / "desk.sqlite3"
            shutil.copyfile(template.path, target)
            return f"sqlite:///{target}"
        assert template.name is not None
        return self.server.create(self.server.new_name("test"), template=template.name)

    def empty(self, workdir: Path) -> str:
        """A database with nothing in it (not even migrated); its URL."""
        if self.server is None:
            return f"sqlite:///{workdir / 'empty.sqlite3'}"
        return self.server.create(self.server.new_name("empty"))

    def settle(self, url: str, timeout: float = _SETTLE_SECONDS) -> None:
        """Wait (PostgreSQL only) until the app's threads have given back ``url``'s connections.

        A request's worker thread can outlive the TestClient (a websocket closed while its
        thread still reads); disposing the engine under it would orphan that connection, and
        psycopg's ResourceWarning would then fail whichever later test the collector runs in.
        """
        if self.server is None:
            return
        pool = get_engine(url).pool
        if not isinstance(pool, QueuePool):
            return
        deadline = time.monotonic() + timeout
        while pool.checkedout() and time.monotonic() < deadline:
            time.sleep(0.02)

    def release(self, url: str) -> None:
        """Drop a database from :meth:`copy_of` or :meth:`empty` (SQLite: tmp_path cleans up)."""
        if self.server is not None:
            name = make_url(url).database
            assert name is not None
            self.server.drop(name)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
