"""Starts the real desk, action server and Rasa (honcho, Procfile) on a fresh demo database.

The stack's helpers (ports, start-up, talking to it) are in tests/utils.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from tests.utils.console import Console, console_login
from tests.utils.stack import (
    ROOT,
    Stack,
    hand_back_open_tickets,
    read_env_file,
    refuse_busy_ports,
    running_stack,
)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    refuse_busy_ports()
    workdir = tmp_path_factory.mktemp("stack")
    env = {**os.environ, **read_env_file(ROOT / ".env")}
    env["DATABASE_URL"] = f"sqlite:///{workdir / 'desk.sqlite3'}"
    env["MAILDIR"] = str(workdir / "mail")
    env["ATTACHMENT_DIR"] = str(workdir / "attachments")
    env["DEMO_SHOP_ENABLED"] = "true"  # the browser tests use the demo shop, as `make run` does
    # The flows claim tickets by hand; test_assignment_in_browser.py switches tier 1's automatic
    # assignment on itself. Sweeps every second, so it need not wait.
    env["AUTO_ASSIGN_TIERS"] = ""
    env["DESK_SWEEP_SECONDS"] = "1"
    with running_stack(env, workdir, [["migrate"], ["seed-demo"]]):
        yield Stack(env=env)


@pytest.fixture
def online_agent(stack: Stack) -> Iterator[Console]:
    """Alex, a tier-1 associate, has the console open for the test, then logs out (offline)."""
    console = console_login("alex")
    console.heartbeat()
    try:
        yield console
    finally:
        console.logout()


@pytest.fixture
def empty_queue(stack: Stack) -> None:
    """No one waiting or with an agent: what earlier tests left open is handed back to the bot."""
    hand_back_open_tickets(stack)


@pytest.fixture
def nobody_online(stack: Stack) -> None:
    """No agent for tier 1 counts as online: logging out marks an agent offline."""
    for username in ("alex", "sam.lead"):
        console_login(username).logout()


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}"
