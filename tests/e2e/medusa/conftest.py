"""The real stack on a real Medusa store: Medusa (own PostgreSQL), then desk, actions and Rasa.

Medusa runs as its own process (``cli medusa-up``), not inside honcho, so a test can stop it
mid-conversation and start it again (a process leaving honcho would stop the whole stack). The
desk runs with ``STORE=medusa`` on a fresh index database, seeded with the demo agents, and the
Medusa store is seeded through its API with the same demo data as the builtin store.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from tierline_common.ports import free_port

from tests.utils.medusa_stack import MedusaProcess, MedusaStack
from tests.utils.stack import (
    DESK,
    ROOT,
    read_env_file,
    refuse_busy_ports,
    running_stack,
)


@pytest.fixture(scope="session")
def medusa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MedusaStack]:
    refuse_busy_ports()
    if not (ROOT / "desk" / "medusa" / "node_modules").is_dir():
        pytest.fail("Medusa's packages are missing: run `make medusa-deps`")
    workdir = tmp_path_factory.mktemp("medusa-stack")
    medusa_url = f"http://127.0.0.1:{free_port()}"
    overrides = dict(
        STORE="medusa",
        MEDUSA_URL=medusa_url,
        MEDUSA_WORKDIR=str(workdir / "medusa"),
        MEDUSA_PG_PORT=str(free_port()),
        TIERLINE_EVENTS_URL=f"{DESK}/store/events/medusa",
        DATABASE_URL=f"sqlite:///{workdir / 'desk-index.sqlite3'}",
        MAILDIR=str(workdir / "mail"),
    )
    dotenv = read_env_file(ROOT / ".env")
    env = {**os.environ, **dotenv, **overrides}
    # honcho loads an env file over the environment it is given (.env by default, which holds
    # MEDUSA_URL for `make run`), so the stack gets one with this fixture's settings.
    stack_env = workdir / "stack.env"
    stack_env.write_text(
        "".join(f"{key}={value}\n" for key, value in {**dotenv, **overrides}.items())
    )
    medusa = MedusaProcess(env=env, url=medusa_url, log=workdir / "medusa.log")
    medusa.start()
    try:
        commands = [["migrate"], ["seed-agents"], ["seed-medusa"]]
        with running_stack(env, workdir, commands, env_file=stack_env):
            yield MedusaStack(env=env, medusa=medusa)
    finally:
        medusa.stop()
