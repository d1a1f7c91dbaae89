"""The real desk, action server and Rasa on this machine's ports, as the end-to-end tests run them.

`running_stack` seeds the desk's database, starts them with honcho (Procfile), waits until every
one answers and stops them after; `Stack` is what a test uses to talk to the desk and Rasa behind
the shopper's back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from dotenv import dotenv_values
from tierline_common.ports import port_open
from tierline_common.signing import sign_command, sign_customer_id

ROOT = Path(__file__).resolve().parents[2]
DESK = "http://127.0.0.1:8000"
ACTIONS = "http://127.0.0.1:5055"
RASA = "http://127.0.0.1:5005"
STACK_PORTS = (8000, 5055, 5005, 8025)
STARTUP_SECONDS = 240
DESK_PYTHON = str(ROOT / "desk" / ".venv" / "bin" / "python")


def read_env_file(path: Path) -> dict[str, str]:
    """The KEY=value pairs of a .env file (the secrets `make install` writes), by python-dotenv."""
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def refuse_busy_ports() -> None:
    """Fails the session when `make run` (or another stack) holds the stack's ports."""
    for port in STACK_PORTS:
        if port_open(port):
            pytest.fail(f"port {port} is busy: stop `make run` before the end-to-end tests")


def wait_until_up(
    check: Callable[[], bool],
    runner: subprocess.Popen[bytes],
    log: Path,
    seconds: float = STARTUP_SECONDS,
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if runner.poll() is not None:
            pytest.fail(f"the stack exited early:\n{log.read_text()[-4000:]}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"the stack did not come up in {seconds}s:\n{log.read_text()[-4000:]}")


def desk_cli(env: dict[str, str], *command: str) -> None:
    """Runs ``python -m tierline_desk.cli <command>`` in the desk's environment."""
    subprocess.run(
        [DESK_PYTHON, "-m", "tierline_desk.cli", *command], cwd=ROOT / "desk", env=env, check=True
    )


def everything_up(env: dict[str, str]) -> bool:
    """The desk, the action server and Rasa (with its model loaded) all answer."""
    desk_ok = httpx.get(f"{DESK}/healthz", timeout=2).status_code == 200
    actions_ok = httpx.get(f"{ACTIONS}/health", timeout=2).status_code == 200
    status = httpx.get(f"{RASA}/status", params={"token": env["RASA_TOKEN"]}, timeout=2)
    return (
        desk_ok
        and actions_ok
        and status.status_code == 200
        and bool(status.json().get("model_file"))
    )


@contextmanager
def running_stack(
    env: dict[str, str],
    workdir: Path,
    desk_commands: Sequence[Sequence[str]],
    env_file: Path | None = None,
) -> Iterator[None]:
    """Desk, actions and Rasa from the Procfile, up until the block ends.

    The desk's CLI ``desk_commands`` (migrate, seed) run first, on its fresh database; the stack
    logs to ``workdir/stack.log``. honcho loads an env file over the environment it is given
    (``.env`` unless ``env_file`` names another), so a stack with other settings than ``.env``'s
    passes its own file.
    """
    for command in desk_commands:
        desk_cli(env, *command)
    log = workdir / "stack.log"
    args = [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile"]
    if env_file is not None:
        args += ["-e", str(env_file)]
    with log.open("wb") as sink:
        runner = subprocess.Popen(
            [*args, "--no-prefix"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_up(lambda: everything_up(env), runner, log)
        yield
    finally:
        os.killpg(runner.pid, signal.SIGTERM)
        try:
            runner.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(runner.pid, signal.SIGKILL)


@dataclass
class Stack:
    env: dict[str, str]

    def desk(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.env['DESK_API_TOKEN']}"}
        return httpx.request(method, f"{DESK}{path}", headers=headers, timeout=10, **kwargs)

    def rasa_tracker(self, sender: str) -> dict[str, Any]:
        params = {"token": self.env["RASA_TOKEN"]}
        response = httpx.get(f"{RASA}/conversations/{sender}/tracker", params=params, timeout=10)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def button_press(self, sender: str, payload: str) -> dict[str, str]:
        """The metadata the desk sends with a button the bot offered: its signed payload (a
        typed "/intent" without it reaches Rasa as words)."""
        secret = self.env["TIERLINE_IDENTITY_SECRET"]
        return {"command_signature": sign_command(sender, payload, secret)}

    def signed_metadata(self, customer_id: str) -> dict[str, str]:
        secret = self.env["TIERLINE_IDENTITY_SECRET"]
        return {
            "customer_id": customer_id,
            "customer_signature": sign_customer_id(customer_id, secret),
        }


def waiting_tickets(stack: Stack, tier: int = 1) -> list[dict[str, object]]:
    tickets = stack.desk("GET", "/api/v1/handoffs", params={"status": "waiting"}).json()
    return [t for t in tickets if t["tier"] == tier]


def resume(stack: Stack, ticket_number: str) -> None:
    """Hands a ticket back to the bot (it leaves the queue); an already resolved one is fine."""
    response = stack.desk(
        "POST", f"/api/v1/handoffs/{ticket_number}/resume", json={"outcome": "Sorted."}
    )
    assert response.status_code in (200, 409), response.text


def hand_back_open_tickets(stack: Stack) -> None:
    """Every ticket still waiting or claimed goes back to the bot.

    A ticket a test leaves claimed returns to the queue once its agent's console has been closed
    long enough to count as offline (the desk's sweep), so how long the queue is for a later test
    would depend on timing: a queue of 5 makes the next shopper's wait "long" (docs/routing.md).
    """
    for status in ("waiting", "claimed"):
        tickets = stack.desk("GET", "/api/v1/handoffs", params={"status": status}).json()
        for ticket in tickets:
            resume(stack, str(ticket["ticket_number"]))
