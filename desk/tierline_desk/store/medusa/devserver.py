"""A local Medusa v2 store: its own PostgreSQL, migrated, an admin user, ``medusa start``.

What ``python -m tierline_desk.cli medusa-up`` (``make run STORE=medusa``) and the tests
(``tests/helpers/medusa_server.py``) run. Nothing is a system service:

- PostgreSQL from the Debian package's binaries (``tierline_common.local_servers``), a cluster of
  its own in ``<workdir>/pg/data`` (initdb once), started with ``pg_ctl`` on 127.0.0.1 and a
  given port, its socket inside the data directory. As root it runs as the ``postgres`` user
  (PostgreSQL refuses root), so the directory must be one that user can reach: when ``workdir``
  is closed to other users (a clone inside ``mktemp -d``), the cluster goes to a directory of
  the system's temp dir named after ``workdir`` instead. ``trust`` authentication on loopback
  only: a local demo store, never a deployment.
- Medusa from ``desk/medusa`` (``make medusa-deps`` installs its ``node_modules``):
  ``medusa db:migrate``, ``medusa user`` (an existing admin is recognised by Medusa's refusal
  to create it twice), ``medusa start`` with telemetry off, ready when ``/health`` answers.

Medusa gets its settings with its own variable names (``DATABASE_URL``, ``JWT_SECRET``,
``COOKIE_SECRET``; desk/medusa/medusa-config.ts) in its own environment, never the desk's.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from psycopg import sql
from tierline_common.local_servers import LocalPostgres, LocalServerError, tail

from ...settings import DESK_DIR, Settings, require_secret

MEDUSA_DIR = DESK_DIR / "medusa"
DATABASE = "medusa"


class MedusaSetupError(LocalServerError):
    """Something the local store needs is missing, or a step failed (the message says which).

    Its PostgreSQL's failures are LocalServerError: catch that to handle both.
    """


# ---- PostgreSQL ----------------------------------------------------------------------------


def reachable_by_others(path: Path) -> bool:
    """Whether other users can get to ``path``: every existing ancestor lets them through."""
    return all(p.stat().st_mode & stat.S_IXOTH for p in (path, *path.parents) if p.exists())


def cluster_dir(workdir: Path) -> Path:
    """Where the cluster of ``workdir`` lives: ``workdir/pg``, or (as root, when the
    ``postgres`` user cannot reach ``workdir``) a directory of the system temp dir."""
    workdir = workdir.resolve()
    if os.geteuid() != 0 or reachable_by_others(workdir):
        return workdir / "pg"
    digest = hashlib.sha256(str(workdir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"tierline-medusa-pg-{digest}"


def create_database(postgres: LocalPostgres, name: str) -> bool:
    """Create ``name`` in the cluster unless it exists; whether it was created."""
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def wait_for_health(url: str, timeout: float, *, alive: Callable[[], bool] = lambda: True) -> bool:
    """Whether ``GET {url}/health`` answered 200 within ``timeout`` (False at once when
    ``alive()`` turns False: the server being waited for has exited)."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{url.rstrip('/')}/health").status_code == 200:
                    return True
            if not alive() or time.monotonic() >= deadline:
                return False
            time.sleep(0.5)


# ---- Medusa --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MedusaConfig:
    """What a local Medusa needs; secrets stay out of ``repr``."""

    port: int
    admin_email: str
    admin_password: str = field(repr=False)
    jwt_secret: str = field(repr=False)
    cookie_secret: str = field(repr=False)
    events_url: str | None = None
    events_secret: str | None = field(default=None, repr=False)
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def config_from_settings(settings: Settings, port: int | None = None) -> MedusaConfig:
    """The local store's config from MEDUSA_* and TIERLINE_EVENTS_* (``.env``)."""
    email, password = settings.medusa_admin_credentials()
    return MedusaConfig(
        port=port or settings.medusa_port(),
        admin_email=email,
        admin_password=password,
        jwt_secret=require_secret(settings.medusa_jwt_secret, "MEDUSA_JWT_SECRET"),
        cookie_secret=require_secret(settings.medusa_cookie_secret, "MEDUSA_COOKIE_SECRET"),
        events_url=settings.events_url,
        events_secret=(
            settings.events_secret.get_secret_value() if settings.events_secret else None
        ),
    )


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    """Linux: SIGTERM this child when the process that started it dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def medusa_program(project: Path = MEDUSA_DIR) -> Path:
    """``node_modules/.bin/medusa``; a clear error telling how to install it when missing."""
    program = project / "node_modules" / ".bin" / "medusa"
    if not program.exists():
        raise MedusaSetupError(
            f"Medusa is not installed in {project} (no node_modules/.bin/medusa): run "
            "`make medusa-deps` (Node.js 20.19+ and npm; installs the locked packages)"
        )
    return program


@dataclass
class MedusaProcess:
    """``medusa`` commands and the ``medusa start`` server for one database."""

    config: MedusaConfig
    database_url: str
    log: Path
    project: Path = MEDUSA_DIR
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def env(self) -> dict[str, str]:
        """Medusa's environment: this process's, minus the desk's own database and store
        settings, plus Medusa's names for its settings."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("MEDUSA_", "TIERLINE_EVENTS_"))
            and key not in ("DATABASE_URL", "JWT_SECRET", "COOKIE_SECRET")
        }
        env.update(
            DATABASE_URL=self.database_url,
            JWT_SECRET=self.config.jwt_secret,
            COOKIE_SECRET=self.config.cookie_secret,
            MEDUSA_DISABLE_TELEMETRY="true",
            NODE_ENV=env.get("NODE_ENV", "development"),
            # Node's deprecation notices (pg's) are noise in a developer's terminal.
            NODE_NO_WARNINGS="1",
        )
        if self.config.events_url:
            env["TIERLINE_EVENTS_URL"] = self.config.events_url
            env["TIERLINE_EVENTS_SECRET"] = self.config.events_secret or ""
        return env

    def _command(self, *args: str, what: str, timeout: float = 300.0) -> str:
        program = medusa_program(self.project)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                [str(program), *args],
                cwd=self.project,
                env=self.env(),
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise MedusaSetupError(f"{what} did not finish in {timeout:.0f} s") from exc
        output = done.stdout + done.stderr
        with self.log.open("a") as log:
            log.write(f"---- medusa {args[0]}\n{output}")
        if done.returncode != 0:
            raise MedusaSetupError(f"{what} failed; {self.log}:\n{tail(self.log)}")
        return output

    def migrate(self) -> None:
        """``medusa db:migrate`` (a no-op on an up-to-date database)."""
        self._command("db:migrate", what="medusa db:migrate")

    def ensure_admin(self) -> bool:
        """``medusa user -e -p``; whether the user was created (False: it already existed)."""
        try:
            self._command(
                "user",
                "-e",
                self.config.admin_email,
                "-p",
                self.config.admin_password,
                what="medusa user",
            )
        except MedusaSetupError as exc:
            if "already exists" in str(exc):
                return False
            raise
        return True

    def start(self) -> None:
        """Start ``medusa start`` in its own process group (output appended to the log)."""
        program = medusa_program(self.project)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(program), "start", "-H", self.config.host, "-p", str(self.config.port)],
                cwd=self.project,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self, timeout: float = 180.0) -> None:
        """Until ``GET /health`` answers 200; MedusaSetupError if it exits or times out."""
        if not wait_for_health(self.config.url, timeout, alive=self.running):
            if not self.running():
                raise MedusaSetupError(f"medusa start exited; {self.log}:\n{tail(self.log)}")
            raise MedusaSetupError(
                f"Medusa did not answer {self.config.url}/health within {timeout:.0f} s; "
                f"{self.log}:\n{tail(self.log)}"
            )

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM to its process group, SIGKILL after ``timeout``."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@dataclass
class Timings:
    """Seconds each step took (printed by ``medusa-up``; noted in docs/store-medusa.md)."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.steps[name] = time.monotonic() - start

    def summary(self) -> str:
        return ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.steps.items())


class LocalMedusa:
    """PostgreSQL + Medusa for one working directory: :meth:`up`, then :meth:`down`."""

    def __init__(
        self,
        workdir: Path,
        config: MedusaConfig,
        *,
        pg_port: int,
        project: Path = MEDUSA_DIR,
        durable: bool = True,
    ) -> None:
        self.workdir = workdir.resolve()
        self.config = config
        self.postgres = LocalPostgres(cluster_dir(self.workdir), pg_port, durable=durable)
        self.medusa = MedusaProcess(
            config, self.postgres.url(DATABASE), self.workdir / "medusa.log", project
        )
        self.timings = Timings()

    @property
    def url(self) -> str:
        return self.config.url

    def up(self, *, health_timeout: float = 180.0) -> None:
        """Everything up, in order; on any failure what was started is stopped again."""
        medusa_program(self.medusa.project)  # fail before starting anything
        self.workdir.mkdir(parents=True, exist_ok=True)
        try:
            with self.timings.step("postgres"):
                self.postgres.start()
                create_database(self.postgres, DATABASE)
            with self.timings.step("migrate"):
                self.medusa.migrate()
            with self.timings.step("admin user"):
                self.medusa.ensure_admin()
            with self.timings.step("start"):
                self.medusa.start()
                self.medusa.wait_healthy(health_timeout)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Medusa, then its PostgreSQL; safe to call twice."""
        self.medusa.stop()
        self.postgres.stop()

    @contextlib.contextmanager
    def running(self) -> Iterator[LocalMedusa]:
        self.up()
        try:
            yield self
        finally:
            self.down()

    def serve(self, on_ready: Callable[[], None] = lambda: None, poll_seconds: float = 0.5) -> int:
        """:meth:`up`, ``on_ready()``, then wait in the foreground until SIGINT (Ctrl-C) or
        SIGTERM (honcho), and stop everything; a stop asked for during :meth:`up` stops what
        had started.

        0 on a stop asked for, 1 when Medusa exited by itself; LocalServerError (MedusaSetupError
        for Medusa's own steps) when it could not start. A supervisor such as honcho kills the
        whole group 5 s after its SIGTERM, so Medusa gets 2.5 s to stop before SIGKILL (it takes
        under one when idle), and PostgreSQL is asked for a fast shutdown that it finishes on its
        own.
        """

        def stop(signum: int, _frame: object) -> None:
            raise _StopRequested(signum)

        previous = signal.signal(signal.SIGTERM, stop)
        try:
            try:
                self.up()
            except (KeyboardInterrupt, _StopRequested):
                return 0  # up() has stopped what it started
            on_ready()
            while self.medusa.running():
                time.sleep(poll_seconds)
            print(f"medusa start exited; see {self.medusa.log}", flush=True)
            return 1
        except (KeyboardInterrupt, _StopRequested):
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            self.medusa.stop(timeout=2.5)
            self.postgres.stop(wait=False)


class _StopRequested(Exception):
    """SIGTERM arrived while serving in the foreground."""
