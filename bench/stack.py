"""The bench's own desk, mail catcher, action server and Rasa.

They listen on ports the dev stack and the lead's tests do not use, with a fresh demo database
and fresh tracker files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOT_BIN = ROOT / ".venv" / "bin"
DESK_PYTHON = ROOT / "desk" / ".venv" / "bin" / "python"
STARTUP_SECONDS = 300


@dataclass(frozen=True)
class Ports:
    """The bench's ports: never 8000, 5005, 5055 or 8025 (the dev stack and the tests)."""

    desk: int = 8100
    mail: int = 8125
    actions: int = 5155
    medusa: int = 9100
    medusa_postgres: int = 5534


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of .env (the secrets make writes)."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def port_in_use(port: int) -> bool:
    """True when something already listens on 127.0.0.1:port."""
    try:
        with httpx.Client(timeout=0.5) as client:
            client.get(f"http://127.0.0.1:{port}/")
    except httpx.ConnectError:
        return False
    except httpx.HTTPError:
        return True
    return True


@dataclass
class Process:
    """A started process, its log, and when it was started."""

    name: str
    popen: subprocess.Popen[bytes]
    started: float

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after 20 s."""
        if self.popen.poll() is not None:
            return
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def start(name: str, args: list[str], cwd: Path, env: dict[str, str], logdir: Path) -> Process:
    """Starts one process in its own session (so stop() reaches its children)."""
    logdir.mkdir(parents=True, exist_ok=True)
    with (logdir / f"{name}.log").open("wb") as sink:
        popen = subprocess.Popen(
            args, cwd=cwd, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name=name, popen=popen, started=time.monotonic())


def wait_until(
    check_url: str,
    process: Process,
    logdir: Path,
    model_loaded: bool = False,
    seconds: float = STARTUP_SECONDS,
) -> float:
    """Polls check_url until it answers 200 (and, for Rasa, a model is loaded); seconds taken."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            log = (logdir / f"{process.name}.log").read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{process.name} exited early:\n{log}")
        try:
            response = httpx.get(check_url, timeout=2)
            if response.status_code == 200 and (
                not model_loaded or response.json().get("model_file")
            ):
                return time.monotonic() - process.started
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not come up in {seconds}s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children so far."""
    try:
        root = psutil.Process(pid)
        tree = [root, *root.children(recursive=True)]
        return sum(p.cpu_times().user + p.cpu_times().system for p in tree)
    except psutil.Error:
        return 0.0


@dataclass
class RssSampler:
    """Samples a process tree's resident memory every 0.2 s; keeps the peak."""

    pid: int
    peak_bytes: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _sample(self) -> None:
        try:
            root = psutil.Process(self.pid)
            tree = [root, *root.children(recursive=True)]
            total = sum(p.memory_info().rss for p in tree)
        except psutil.Error:
            return
        self.peak_bytes = max(self.peak_bytes, total)

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def begin(self) -> None:
        """Starts sampling in a background thread."""
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def end(self) -> float:
        """Stops sampling; the peak in MB."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        return self.peak_bytes / 1e6


@dataclass
class Services:
    """Desk, mail catcher and action server: shared by every Rasa the bench starts."""

    workdir: Path
    ports: Ports
    env: dict[str, str]
    store: str = "builtin"
    processes: list[Process] = field(default_factory=list)

    @classmethod
    def create(
        cls, workdir: Path, ports: Ports, rasa_port: int, store: str = "builtin"
    ) -> Services:
        """The environment for a fresh stack whose desk relays web chat to Rasa on rasa_port.

        ``store="medusa"``: the desk runs on a local Medusa (started by :meth:`start`, seeded
        with the demo data through its API) instead of the builtin demo tables.
        """
        workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **read_env_file(ROOT / ".env")}
        env.update(
            {
                "STORE": store,
                "MEDUSA_URL": f"http://127.0.0.1:{ports.medusa}",
                "MEDUSA_PG_PORT": str(ports.medusa_postgres),
                "MEDUSA_WORKDIR": str(workdir / "medusa"),
                "TIERLINE_EVENTS_URL": f"http://127.0.0.1:{ports.desk}/store/events/medusa",
                "DATABASE_URL": f"sqlite:///{workdir / 'desk.sqlite3'}",
                "MAILDIR": str(workdir / "mail"),
                "SMTP_PORT": str(ports.mail),
                "DESK_URL": f"http://127.0.0.1:{ports.desk}",
                "RASA_URL": f"http://127.0.0.1:{rasa_port}",
                "RASA_TELEMETRY_ENABLED": "false",
                "SANIC_HOST": "127.0.0.1",
                # Every simulated shopper comes from 127.0.0.1: the per-IP limit on new chat
                # sessions (one real person's worth) would turn most of them away.
                "CHAT_SESSIONS_PER_IP_BURST": "1000000",
                "CHAT_SESSIONS_PER_IP_PER_MINUTE": "1000000",
            }
        )
        return cls(workdir=workdir, ports=ports, env=env, store=store)

    def start(self) -> None:
        """Fresh demo database (and store), then mail catcher, desk and action server."""
        ports = [self.ports.desk, self.ports.mail, self.ports.actions]
        if self.store == "medusa":
            ports += [self.ports.medusa, self.ports.medusa_postgres]
        busy = [p for p in ports if port_in_use(p)]
        if busy:
            raise RuntimeError(f"ports {busy} are busy: is another bench running?")
        (self.workdir / "desk.sqlite3").unlink(missing_ok=True)
        logs = self.workdir / "logs"
        seed = ["seed-demo"]
        if self.store == "medusa":
            medusa = start(
                "medusa",
                [str(DESK_PYTHON), "-m", "tierline_desk.cli", "medusa-up"],
                ROOT / "desk",
                self.env,
                logs,
            )
            self.processes.append(medusa)
            wait_until(f"{self.env['MEDUSA_URL']}/health", medusa, logs, seconds=900)
            seed = ["seed-agents", "seed-medusa"]
        for command in ("migrate", *seed):
            subprocess.run(
                [str(DESK_PYTHON), "-m", "tierline_desk.cli", command],
                cwd=ROOT / "desk",
                env=self.env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        mail = start(
            "mail",
            [
                str(DESK_PYTHON),
                "-m",
                "tierline_desk.cli",
                "mail-catcher",
                "--port",
                str(self.ports.mail),
                "--maildir",
                self.env["MAILDIR"],
            ],
            ROOT / "desk",
            self.env,
            logs,
        )
        desk = start(
            "desk",
            [
                str(DESK_PYTHON),
                "-m",
                "uvicorn",
                "tierline_desk.main:create_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.ports.desk),
                "--log-config",
                "logging.json",
                "--log-level",
                "warning",
            ],
            ROOT / "desk",
            self.env,
            logs,
        )
        actions = start(
            "actions",
            [
                str(BOT_BIN / "python"),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions",
                "--port",
                str(self.ports.actions),
            ],
            ROOT,
            self.env,
            logs,
        )
        self.processes += [mail, desk, actions]
        wait_until(f"http://127.0.0.1:{self.ports.desk}/healthz", desk, logs)
        wait_until(f"http://127.0.0.1:{self.ports.actions}/health", actions, logs)

    def pids(self) -> dict[str, int]:
        """Process ids by name (mail, desk, actions)."""
        return {process.name: process.popen.pid for process in self.processes}

    def stop(self) -> None:
        """Stops everything this object started."""
        for process in reversed(self.processes):
            process.stop()
        self.processes = []


@dataclass
class RasaServer:
    """One `rasa run` serving a model on its own port, with its own tracker database."""

    name: str
    model: Path
    port: int
    services: Services
    process: Process | None = None
    startup_s: float = 0.0

    def endpoints_file(self) -> Path:
        """The project's endpoints.yml with the bench's action server and its own tracker file."""
        tracker = self.services.workdir / f"tracker-{self.name}.sqlite3"
        tracker.unlink(missing_ok=True)
        endpoints: dict[str, Any] = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
        action = dict(endpoints.get("action_endpoint") or {})
        action["url"] = f"http://127.0.0.1:{self.services.ports.actions}/webhook"
        endpoints["action_endpoint"] = action
        # The project's tracker store (sessions bounded by size), on a file of the bench's own.
        store = dict(endpoints.get("tracker_store") or {"type": "SQL", "dialect": "sqlite"})
        store["db"] = str(tracker)
        endpoints["tracker_store"] = store
        path = self.services.workdir / f"endpoints-{self.name}.yml"
        path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
        return path

    def start(self) -> None:
        """Starts Rasa like the Procfile does (same credentials); records the start-up time."""
        if port_in_use(self.port):
            raise RuntimeError(f"port {self.port} is busy")
        # The token reaches Rasa from the environment (rasa_extensions/runtime/serve.py), not argv.
        args = [str(BOT_BIN / "python"), "-m", "rasa_extensions.runtime.serve", "run"]
        args += ["--enable-api", "--interface", "127.0.0.1"]
        args += ["--port", str(self.port), "--credentials", "credentials.yml"]
        args += ["--endpoints", str(self.endpoints_file()), "--model", str(self.model)]
        logs = self.services.workdir / "logs"
        self.process = start(f"rasa-{self.name}", args, ROOT, self.services.env, logs)
        status = f"http://127.0.0.1:{self.port}/status?token={self.services.env['RASA_TOKEN']}"
        self.startup_s = wait_until(status, self.process, logs, model_loaded=True)

    def pid(self) -> int:
        """The rasa process id."""
        assert self.process is not None
        return self.process.popen.pid

    def stop(self) -> None:
        """Stops the server."""
        if self.process is not None:
            self.process.stop()
            self.process = None
