"""The real stack on a real Medusa store: Medusa (own PostgreSQL), then desk, actions and Rasa.

Medusa runs as its own process (``cli medusa-up``), not inside honcho, so a test can stop it
mid-conversation and start it again (a process leaving honcho would stop the whole stack). The
desk runs with ``STORE=medusa`` on a fresh index database, seeded with the demo agents, and the
Medusa store is seeded through its API with the same demo data as the builtin store.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tierline_common.ports import free_port, port_open

from tests.e2e.conftest import ACTIONS, DESK, RASA, ROOT, Stack, _read_env_file
from tests.e2e.conftest import _wait_until_up as wait_until_up

DESK_PYTHON = str(ROOT / "desk" / ".venv" / "bin" / "python")
MEDUSA_STARTUP_SECONDS = 600


@dataclass
class MedusaProcess:
    """``cli medusa-up`` in its own process group: stop() and start() simulate an outage."""

    env: dict[str, str]
    url: str
    log: Path
    process: subprocess.Popen[bytes] | None = None
    _token: str | None = field(default=None, repr=False)

    def start(self) -> None:
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                [DESK_PYTHON, "-m", "tierline_desk.cli", "medusa-up"],
                cwd=ROOT / "desk",
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process = self.process
        wait_until_up(
            lambda: httpx.get(f"{self.url}/health", timeout=2).status_code == 200,
            process,
            self.log,
            seconds=MEDUSA_STARTUP_SECONDS,
        )

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Medusa's own Admin API, to check what Tierline did there."""
        if self._token is None:
            login = httpx.post(
                f"{self.url}/auth/user/emailpass",
                json={
                    "email": self.env["MEDUSA_ADMIN_EMAIL"],
                    "password": self.env["MEDUSA_ADMIN_PASSWORD"],
                },
                timeout=30,
            )
            login.raise_for_status()
            self._token = str(login.json()["token"])
        headers = {"Authorization": f"Bearer {self._token}"}
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def order(self, number: str, fields: str = "id,status,metadata") -> dict[str, Any]:
        """The Medusa order carrying Tierline's number ``number`` in its metadata."""
        offset = 0
        while True:
            page = self.admin(
                "GET", "/admin/orders", params={"fields": fields, "limit": 100, "offset": offset}
            )
            page.raise_for_status()
            body = page.json()
            for order in body["orders"]:
                if (order.get("metadata") or {}).get("tierline_order_number") == number:
                    return dict(order)
            offset += len(body["orders"])
            if not body["orders"] or offset >= body["count"]:
                raise AssertionError(f"no Medusa order carries {number}")


@dataclass
class MedusaStack(Stack):
    medusa: MedusaProcess | None = None

    @property
    def store(self) -> MedusaProcess:
        assert self.medusa is not None
        return self.medusa


@pytest.fixture(scope="session")
def medusa_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MedusaStack]:
    for port in (8000, 5055, 5005, 8025):
        if port_open(port):
            pytest.fail(f"port {port} is busy: stop `make run` before the end-to-end tests")
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
    dotenv = _read_env_file(ROOT / ".env")
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
        for command in (["migrate"], ["seed-agents"], ["seed-medusa"]):
            subprocess.run(
                [DESK_PYTHON, "-m", "tierline_desk.cli", *command],
                cwd=ROOT / "desk",
                env=env,
                check=True,
            )
        log = workdir / "stack.log"
        with log.open("wb") as sink:
            runner = subprocess.Popen(
                [
                    str(ROOT / ".venv" / "bin" / "honcho"),
                    "start",
                    "-f",
                    "Procfile",
                    "-e",
                    str(stack_env),
                    "--no-prefix",
                ],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:

            def everything_up() -> bool:
                desk_ok = httpx.get(f"{DESK}/healthz", timeout=2).status_code == 200
                actions_ok = httpx.get(f"{ACTIONS}/health", timeout=2).status_code == 200
                status = httpx.get(f"{RASA}/status", params={"token": env["RASA_TOKEN"]}, timeout=2)
                return (
                    desk_ok
                    and actions_ok
                    and status.status_code == 200
                    and bool(status.json().get("model_file"))
                )

            wait_until_up(everything_up, runner, log)
            yield MedusaStack(env=env, medusa=medusa)
        finally:
            os.killpg(runner.pid, signal.SIGTERM)
            try:
                runner.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(runner.pid, signal.SIGKILL)
    finally:
        medusa.stop()
