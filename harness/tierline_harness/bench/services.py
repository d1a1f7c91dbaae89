"""The bench's own desk, mail catcher, action server and Rasa.

They listen on ports the dev stack and the lead's tests do not use, with a fresh demo database
and fresh tracker files.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml
from tierline_common.ports import port_open

from tierline_harness import stack
from tierline_harness.stack import ROOT, Service

STARTUP_SECONDS = 300


@dataclass(frozen=True)
class Ports:
    """The bench's ports: never 8000, 5005, 5055 or 8025 (the dev stack and the tests)."""

    desk: int = 8100
    mail: int = 8125
    actions: int = 5155
    medusa: int = 9100
    medusa_postgres: int = 5534


@dataclass
class Services:
    """Desk, mail catcher and action server: shared by every Rasa the bench starts."""

    workdir: Path
    ports: Ports
    env: dict[str, str]
    store: str = "builtin"
    processes: list[Service] = field(default_factory=list)

    @classmethod
    def create(
        cls, workdir: Path, ports: Ports, rasa_port: int, store: str = "builtin"
    ) -> Services:
        """The environment for a fresh stack whose desk relays web chat to Rasa on rasa_port.

        ``store="medusa"``: the desk runs on a local Medusa (started by :meth:`start`, seeded
        with the demo data through its API) instead of the builtin demo tables.
        """
        workdir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **stack.read_env()}
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
        busy = [p for p in ports if port_open(p)]
        if busy:
            raise RuntimeError(f"ports {busy} are busy: is another bench running?")
        (self.workdir / "desk.sqlite3").unlink(missing_ok=True)
        logs = self.workdir / "logs"
        desk_cli = [str(stack.DESK_PYTHON), "-m", "tierline_desk.cli"]
        seed = ["seed-demo"]
        if self.store == "medusa":
            medusa = Service(
                "medusa",
                [*desk_cli, "medusa-up"],
                self.env,
                logs,
                ready_url=f"{self.env['MEDUSA_URL']}/health",
                cwd=ROOT / "desk",
            )
            self.processes.append(medusa)
            medusa.start()
            medusa.wait_ready(900)
            seed = ["seed-agents", "seed-medusa"]
        for command in ("migrate", *seed):
            subprocess.run(
                [*desk_cli, command],
                cwd=ROOT / "desk",
                env=self.env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
        mail = Service(
            "mail",
            stack.mail_catcher(self.ports.mail, self.env["MAILDIR"]),
            self.env,
            logs,
            ready_port=self.ports.mail,
            cwd=ROOT / "desk",
        )
        desk = Service(
            "desk",
            stack.desk_server(
                self.ports.desk, "--log-config", "logging.json", "--log-level", "warning"
            ),
            self.env,
            logs,
            ready_url=f"http://127.0.0.1:{self.ports.desk}/healthz",
            cwd=ROOT / "desk",
        )
        actions = Service(
            "actions",
            stack.action_server(self.ports.actions),
            self.env,
            logs,
            ready_url=f"http://127.0.0.1:{self.ports.actions}/health",
        )
        started = [mail, desk, actions]
        for service in started:
            self.processes.append(service)
            service.start()
        for service in started:
            service.wait_ready(STARTUP_SECONDS)

    def pids(self) -> dict[str, int]:
        """Process ids by name (mail, desk, actions)."""
        return {service.name: service.pid() for service in self.processes}

    def stop(self) -> None:
        """Stops everything this object started."""
        for service in reversed(self.processes):
            service.stop(timeout=20)
        self.processes = []


@dataclass
class RasaServer:
    """One `rasa run` serving a model on its own port, with its own tracker database."""

    name: str
    model: Path
    port: int
    services: Services
    process: Service | None = None
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

    def model_loaded(self) -> bool:
        """Whether Rasa's status answers and names a loaded model."""
        status = f"http://127.0.0.1:{self.port}/status"
        try:
            token = {"token": self.services.env["RASA_TOKEN"]}
            response = httpx.get(status, params=token, timeout=2)
            return response.status_code == 200 and bool(response.json().get("model_file"))
        except (httpx.HTTPError, ValueError):
            return False

    def start(self) -> None:
        """Starts Rasa like the Procfile does (same credentials); records the start-up time."""
        if port_open(self.port):
            raise RuntimeError(f"port {self.port} is busy")
        args = stack.rasa_server(self.port, self.endpoints_file(), self.model)
        logs = self.services.workdir / "logs"
        self.process = Service(
            f"rasa-{self.name}", args, self.services.env, logs, ready_check=self.model_loaded
        )
        self.process.start()
        self.startup_s = self.process.wait_ready(STARTUP_SECONDS)

    def pid(self) -> int:
        """The rasa process id."""
        assert self.process is not None
        return self.process.pid()

    def stop(self) -> None:
        """Stops the server."""
        if self.process is not None:
            self.process.stop(timeout=20)
            self.process = None
