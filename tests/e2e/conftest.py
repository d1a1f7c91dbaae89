"""Starts the real desk, action server and Rasa (honcho, Procfile) on a fresh demo database."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tierline_common.ports import port_open
from tierline_common.signing import sign_command, sign_customer_id

ROOT = Path(__file__).resolve().parents[2]
DESK = "http://127.0.0.1:8000"
ACTIONS = "http://127.0.0.1:5055"
RASA = "http://127.0.0.1:5005"
STARTUP_SECONDS = 240


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def _wait_until_up(
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


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    for port in (8000, 5055, 5005, 8025):
        if port_open(port):
            pytest.fail(f"port {port} is busy: stop `make run` before the end-to-end tests")
    workdir = tmp_path_factory.mktemp("stack")
    env = {**os.environ, **_read_env_file(ROOT / ".env")}
    env["DATABASE_URL"] = f"sqlite:///{workdir / 'desk.sqlite3'}"
    env["MAILDIR"] = str(workdir / "mail")
    env["DEMO_SHOP_ENABLED"] = "true"  # the browser tests use the demo shop, as `make run` does
    desk_python = str(ROOT / "desk" / ".venv" / "bin" / "python")
    for command in ("migrate", "seed-demo"):
        subprocess.run(
            [desk_python, "-m", "tierline_desk.cli", command],
            cwd=ROOT / "desk",
            env=env,
            check=True,
        )
    log = workdir / "stack.log"
    with log.open("wb") as sink:
        runner = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile", "--no-prefix"],
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

        _wait_until_up(everything_up, runner, log)
        yield Stack(env=env)
    finally:
        os.killpg(runner.pid, signal.SIGTERM)
        try:
            runner.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(runner.pid, signal.SIGKILL)


@dataclass
class Console:
    """An agent logged into the desk console: the session cookie counts as online."""

    client: httpx.Client
    csrf_token: str

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        headers = {"X-CSRF-Token": self.csrf_token}
        return self.client.post(f"{DESK}{path}", json=body or {}, headers=headers)

    def heartbeat(self) -> None:
        """Marks the agent online now (every console call does; this one says so)."""
        response = self.post("/console/api/heartbeat")
        assert response.status_code == 200, response.text

    def logout(self) -> None:
        self.post("/console/api/logout")
        self.client.close()


def console_login(username: str) -> Console:
    client = httpx.Client(timeout=10)
    response = client.post(
        f"{DESK}/console/api/login",
        json={"username": username, "password": f"{username}-demo-pass"},
    )
    assert response.status_code == 200, response.text
    return Console(client=client, csrf_token=response.json()["csrf_token"])


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
def nobody_online(stack: Stack) -> None:
    """No agent for tier 1 counts as online: logging out marks an agent offline."""
    for username in ("alex", "sam.lead"):
        console_login(username).logout()


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}"


def say_with_buttons(
    sender: str, text: str, metadata: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Sends a message through Rasa's REST channel and returns the bot's messages."""
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata is not None:
        body["metadata"] = metadata
    response = httpx.post(f"{RASA}/webhooks/rest/webhook", json=body, timeout=30)
    response.raise_for_status()
    messages: list[dict[str, Any]] = response.json()
    return messages


def say(sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[str]:
    """Sends a message through Rasa's REST channel and returns the bot's texts."""
    return [str(message.get("text", "")) for message in say_with_buttons(sender, text, metadata)]


def button_payloads(messages: list[dict[str, Any]]) -> list[str]:
    return [str(b["payload"]) for message in messages for b in message.get("buttons") or []]


def texts_of(messages: list[dict[str, Any]]) -> str:
    """The bot's texts in ``messages``, one per line."""
    return "\n".join(str(message.get("text", "")) for message in messages)
