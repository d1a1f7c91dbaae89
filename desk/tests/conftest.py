from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.databases import DeskDatabases, Template
from tests.utils.desk import API_TOKEN, RASA_TOKEN, RASA_URL, unset_env
from tierline_desk.db import get_session_factory, reset_engines
from tierline_desk.importer import seed_demo
from tierline_desk.migrate import upgrade_head
from tierline_desk.services.agents import seed_demo_agents
from tierline_desk.settings import get_settings
from tierline_desk.store import reset_store

# The settings a test starts from at their defaults (unless it sets them itself).
AT_THEIR_DEFAULTS = (
    "RETURN_WINDOW_DAYS",
    "AVG_HANDLE_MINUTES",
    "AUTHORITY_FILE",
    "CONSOLE_COOKIE_SECURE",
    "CONSOLE_SESSION_MINUTES",
    # Assignment and SLAs (docs/routing.md, docs/sla.md).
    "AUTO_ASSIGN_TIERS",
    "AGENT_CAPACITY",
    "REASSIGN_SILENT_MINUTES",
    "REASSIGN_OFFLINE",
    "SLA_FILE",
    # The builtin store (the demo tables) unless a test chooses another (tests/store).
    "STORE",
    "MEDUSA_URL",
    "MEDUSA_API_KEY",
    "MEDUSA_ADMIN_EMAIL",
    "MEDUSA_ADMIN_PASSWORD",
    "MEDUSA_TIMEOUT_SECONDS",
    "STORE_CACHE_SECONDS",
    "STORE_POLL_SECONDS",
    "TIERLINE_EVENTS_SECRET",
    # Attachments in the local store (the test's own directory, below).
    "ATTACHMENT_STORE",
    # Email cases (docs/email.md): no webhook secret, no IMAP poller.
    "INBOUND_MAIL_SECRET",
    "IMAP_HOST",
    "INBOUND_MAIL_MAX_BYTES",
)


def _configure(monkeypatch: pytest.MonkeyPatch, url: str, workdir: Path) -> str:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("DESK_API_TOKEN", API_TOKEN)
    monkeypatch.setenv("RASA_URL", RASA_URL)
    monkeypatch.setenv("RASA_TOKEN", RASA_TOKEN)
    unset_env(monkeypatch, AT_THEIR_DEFAULTS)
    # No background sweeps: the tests of services/assignment.py and sla.py sweep when they mean to.
    monkeypatch.setenv("DESK_SWEEP_SECONDS", "0")
    # No mail unless a test starts a catcher (tests/utils/mail_catcher.py); never the
    # Maildir or a developer's running catcher on :8025.
    monkeypatch.setenv("MAIL_ENABLED", "false")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", "9")  # discard: nothing listens
    monkeypatch.setenv("MAILDIR", str(workdir / "mail"))
    # Attachments in the test's own directory (the local store) unless a test chooses another.
    monkeypatch.setenv("ATTACHMENT_DIR", str(workdir / "attachments"))
    # Email cases (docs/email.md): per-case reply tokens on.
    monkeypatch.setenv("MAIL_TOKEN_SECRET", "test-mail-token-secret")
    monkeypatch.setenv("CASE_REPLY_ADDRESS", "cases@tierline.example")
    get_settings.cache_clear()
    reset_engines()
    reset_store()
    return url


def _in_use(
    databases: DeskDatabases, url: str, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The settings point at ``url`` for one test; then the database is released."""
    yield _configure(monkeypatch, url, workdir)
    databases.settle(url)
    reset_engines()
    get_settings.cache_clear()
    databases.release(url)


@pytest.fixture(scope="session")
def databases() -> Iterator[DeskDatabases]:
    """SQLite files, or PostgreSQL databases when DESK_TEST_POSTGRES_URL is set (utils/)."""
    provider = DeskDatabases.from_environment()
    yield provider
    provider.close()


def _migrate_and_seed(url: str) -> None:
    upgrade_head(url)
    with get_session_factory(url)() as session:
        seed_demo(session)
        seed_demo_agents(session)  # alex, sam.lead, jordan.ecr, admin (tests/console)
    reset_engines()  # nothing may stay connected to a PostgreSQL template


@pytest.fixture(scope="session")
def seeded_template(
    tmp_path_factory: pytest.TempPathFactory, databases: DeskDatabases
) -> Iterator[Template]:
    """A migrated, demo-seeded database built once; each test gets its own copy."""
    with databases.template(tmp_path_factory.mktemp("template"), _migrate_and_seed) as template:
        yield template


@pytest.fixture
def empty_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, databases: DeskDatabases
) -> Iterator[str]:
    """Settings pointing at an empty (not even migrated) database."""
    yield from _in_use(databases, databases.empty(tmp_path), tmp_path, monkeypatch)


@pytest.fixture
def db(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    databases: DeskDatabases,
    seeded_template: Template,
) -> Iterator[str]:
    url = databases.copy_of(seeded_template, tmp_path)
    yield from _in_use(databases, url, tmp_path, monkeypatch)


@pytest.fixture
def session(db: str) -> Iterator[Session]:
    with get_session_factory()() as s:
        yield s


@pytest.fixture
def client(db: str) -> Iterator[TestClient]:
    from tierline_desk.main import create_app

    with TestClient(create_app(), headers={"Authorization": f"Bearer {API_TOKEN}"}) as c:
        yield c
