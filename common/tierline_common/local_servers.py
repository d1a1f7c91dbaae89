"""PostgreSQL and Redis from the Debian packages, on loopback: for tests and the local Medusa.

Nothing is a system service: each server runs from its package's binaries with a directory of
its own and stops with its owner. PostgreSQL runs as the ``postgres`` user when the caller is
root (PostgreSQL refuses root), so its directory must be one that user can reach. ``trust``
authentication on loopback only: a throw-away or demo server, never a deployment.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tierline_common.ports import LOOPBACK, free_port, wait_for_port

_LOG_TAIL_LINES = 40


class LocalServerError(RuntimeError):
    """A server's program is missing or it did not start (the message says what to do)."""


def tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """The last lines of a log file ("" when it cannot be read)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


# ---- PostgreSQL ----------------------------------------------------------------------------


def pg_bin(name: str) -> str:
    """A PostgreSQL program from the newest Debian package installed."""

    def version(path: str) -> int:
        part = Path(path).parent.parent.name
        return int(part) if part.isdigit() else 0

    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if not found:
        raise LocalServerError(
            f"PostgreSQL's {name} is not installed (looked in /usr/lib/postgresql/*/bin): run "
            "`make medusa-deps` (or `make scaled-deps`, or `apt-get install postgresql`)"
        )
    return found[-1]


@dataclass
class LocalPostgres:
    """A PostgreSQL cluster in ``root`` (``root/data``, log ``root/postgres.log``)."""

    root: Path
    port: int
    # False (tests): no fsync, a throw-away cluster is faster on a busy machine.
    durable: bool = True
    _as_postgres: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        if os.geteuid() == 0:
            self._as_postgres = ["runuser", "-u", "postgres", "--"]

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self.port}/{database}"

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self._as_postgres, pg_bin("pg_ctl"), "-D", str(self.data), *args],
            check=check,
            capture_output=True,
            text=True,
        )

    def init(self) -> None:
        """``initdb`` once (an existing cluster is kept, with its data)."""
        if (self.data / "PG_VERSION").exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            pg = pwd.getpwnam("postgres")
            os.chown(self.root, pg.pw_uid, pg.pw_gid)
        self.root.chmod(0o700)
        done = subprocess.run(
            [
                *self._as_postgres,
                pg_bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise LocalServerError(f"initdb failed in {self.data}:\n{done.stderr or done.stdout}")

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def start(self, timeout: float = 60.0) -> None:
        """Start the cluster (a server left over from an earlier run is stopped first)."""
        self.init()
        if self.running():
            self.stop()
        options = f"-p {self.port} -k {self.data} -c listen_addresses={LOOPBACK}"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
        done = self._pg_ctl(
            "-l", str(self.log), "-w", "-t", str(int(timeout)), "-o", options, "start", check=False
        )
        if done.returncode != 0:
            raise LocalServerError(
                f"PostgreSQL did not start on {LOOPBACK}:{self.port} (port taken?); "
                f"{self.log}:\n{tail(self.log)}"
            )

    def stop(self, *, wait: bool = True) -> None:
        """A fast shutdown (clients are disconnected); nothing when it is not running.

        ``wait=False``: ask and return; the server finishes its shutdown on its own.
        """
        if self.data.exists():
            self._pg_ctl("-m", "fast", "-w" if wait else "-W", "stop", check=False)


@contextmanager
def running_postgres(*, durable: bool = False) -> Iterator[LocalPostgres]:
    """A throw-away cluster on a free port in a new temp dir, removed after."""
    # Not pytest's tmp_path: as root, PostgreSQL runs as `postgres`, which must reach its
    # directory, and pytest's base temp dir is closed to other users.
    root = Path(tempfile.mkdtemp(prefix="tierline-pg-"))
    server = LocalPostgres(root, free_port(), durable=durable)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


# ---- Redis ---------------------------------------------------------------------------------


class LocalRedis:
    """A redis-server on a free (or given) loopback port, nothing saved to disk.

    ``workdir`` is its working directory; without one it gets a temp dir, removed on stop.
    A stopped server starts again on the same port (tests that restart Redis).
    """

    def __init__(self, workdir: Path | None = None, port: int | None = None) -> None:
        self.own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="tierline-redis-"))
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        program = shutil.which("redis-server")
        if program is None:
            raise LocalServerError(
                "redis-server is not installed: run `make scaled-deps` (or "
                "`apt-get install redis-server`)"
            )
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                program,
                "--bind",
                LOOPBACK,
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--enable-debug-command",
                "local",  # tests make it slow on purpose (DEBUG SLEEP)
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for_port(self.port, timeout=10):
            self.stop()
            raise LocalServerError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None
        if self.own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


@contextmanager
def running_redis(workdir: Path | None = None) -> Iterator[LocalRedis]:
    """A started :class:`LocalRedis`, stopped on exit."""
    server = LocalRedis(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
