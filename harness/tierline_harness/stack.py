"""What the benchmarks and the distributed stack share: where things are, the .env secrets,
an HTTP probe (ports: tierline_common.ports), the servers' command lines, and
:class:`Service`, one started process that can be waited for, stopped and killed.

The bench's own desk and Rasa servers (tierline_harness/bench/services.py) and the distributed
stack (tierline_harness/distributed.py) are both built from these.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values
from tierline_common.ports import port_open

ROOT = Path(__file__).resolve().parents[2]
BOT_PYTHON = ROOT / ".venv" / "bin" / "python"
DESK_PYTHON = ROOT / "desk" / ".venv" / "bin" / "python"
ENV_FILE = ROOT / ".env"


def read_env(path: Path = ENV_FILE) -> dict[str, str]:
    """The KEY=value pairs of a .env file (the secrets `make install` writes); {} if missing."""
    if not path.exists():
        return {}
    return {key: value for key, value in dotenv_values(path).items() if value is not None}


def http_ok(url: str) -> bool:
    """Whether a GET of url answers 2xx within 2 s."""
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return bool(200 <= resp.status < 300)
    except OSError:
        return False


def desk_server(port: int, *options: str) -> list[str]:
    """The desk's web server on 127.0.0.1:port (run from desk/), with uvicorn's ``options``."""
    return [
        str(DESK_PYTHON),
        "-m",
        "uvicorn",
        "tierline_desk.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *options,
    ]


def mail_catcher(port: int, maildir: Path | str) -> list[str]:
    """The desk's mail catcher on port, writing into maildir (run from desk/)."""
    return [
        str(DESK_PYTHON),
        "-m",
        "tierline_desk.cli",
        "mail-catcher",
        "--port",
        str(port),
        "--maildir",
        str(maildir),
    ]


def action_server(port: int) -> list[str]:
    """The bot's action server on port (run from the repository root)."""
    return [str(BOT_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]


def rasa_server(port: int, endpoints: Path | str, model: Path | str) -> list[str]:
    """Rasa as the Procfile starts it, on 127.0.0.1:port (run from the repository root).

    RASA_TOKEN reaches Rasa through the environment (rasa_extensions/runtime/serve.py), never argv.
    """
    return [
        str(BOT_PYTHON),
        "-m",
        "rasa_extensions.runtime.serve",
        "run",
        "--enable-api",
        "--interface",
        "127.0.0.1",
        "--port",
        str(port),
        "--credentials",
        "credentials.yml",
        "--endpoints",
        str(endpoints),
        "--model",
        str(model),
    ]


@dataclass
class Service:
    """One process of a stack, in a session of its own (so signals reach its children), its
    output appended to ``logdir/<name>.log``. Ready when ``ready_check`` says so, else when
    ``ready_url`` answers 2xx, else when something listens on ``ready_port``."""

    name: str
    argv: list[str]
    env: dict[str, str]
    logdir: Path
    ready_url: str | None = None
    ready_port: int | None = None
    ready_check: Callable[[], bool] | None = None
    cwd: Path = ROOT
    user: str | None = None  # run as this user (PostgreSQL refuses root)
    stop_signal: int = signal.SIGTERM
    # Niceness while starting, back to 0 once ready: a replica loading its model (tens of
    # CPU-seconds) must not take the CPU its serving peers need. Only where the priority can be
    # raised again (root); elsewhere it starts at normal priority.
    startup_nice: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started: float = 0.0  # time.monotonic() at the last start

    @property
    def log(self) -> Path:
        return self.logdir / f"{self.name}.log"

    def start(self) -> None:
        self.logdir.mkdir(parents=True, exist_ok=True)
        argv = self.argv
        if self.startup_nice and os.geteuid() == 0:
            argv = ["nice", "-n", str(self.startup_nice), *argv]
        if self.user is not None and os.geteuid() == 0:
            argv = ["runuser", "-u", self.user, "--", *argv]
        with self.log.open("ab") as sink:
            self.process = subprocess.Popen(
                argv,
                cwd=self.cwd,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started = time.monotonic()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self, timeout: float = 180.0) -> float:
        """Until it is ready (then at normal priority); the seconds since its start.
        RuntimeError, with the end of its log, if it exits or times out first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready():
                self.serve_at_normal_priority()
                return time.monotonic() - self.started
            if not self.running():
                raise RuntimeError(f"{self.name} exited; see {self.log}:\n{self.log_tail()}")
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f} s; see {self.log}")

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def serve_at_normal_priority(self) -> None:
        """Every thread of its process group back to niceness 0 (after a niced start-up)."""
        if self.startup_nice and os.geteuid() == 0 and self.running() and self.process:
            with contextlib.suppress(ProcessLookupError):
                os.setpriority(os.PRIO_PGRP, self.process.pid, 0)

    def ready(self) -> bool:
        if self.ready_check is not None:
            return self.ready_check()
        if self.ready_url is not None:
            return http_ok(self.ready_url)
        return self.ready_port is not None and port_open(self.ready_port)

    def pid(self) -> int:
        assert self.process is not None, f"{self.name} was never started"
        return self.process.pid

    def signal(self, sig: int) -> None:
        if self.running() and self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)

    def stop(self, timeout: float = 15.0) -> None:
        """``stop_signal`` to the process group; SIGKILL after ``timeout`` seconds."""
        if not self.running() or self.process is None:
            return
        self.signal(self.stop_signal)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, not a shutdown."""
        if self.process is not None:
            self.signal(signal.SIGKILL)
            self.process.wait(10)
