"""A real PostgreSQL cluster in a temporary directory, for tests (``make`` installs PostgreSQL).

It runs from the Debian package's binaries (/usr/lib/postgresql/*/bin), as the ``postgres``
user when the tests run as root (PostgreSQL refuses root), on a free loopback port with
``trust`` authentication: the cluster lives only as long as the test.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from tierline_common.ports import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(
            "PostgreSQL is not installed: run `make scaled-deps` (or `apt-get install "
            "postgresql`); these tests need a real PostgreSQL"
        )
    return found[-1]


class PostgresServer:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tierline-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._as_pg: list[str] = []
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            os.chown(self.root, pg.pw_uid, pg.pw_gid)
            self._as_pg = ["runuser", "-u", "postgres", "--"]
        subprocess.run(
            [
                *self._as_pg,
                _bin("initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *self._as_pg,
                _bin("postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={self.root}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                stdout=subprocess.DEVNULL,
                check=False,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        pytest.fail(f"PostgreSQL did not start on port {self.port}")

    def stop(self) -> None:
        """A fast shutdown (SIGINT): clients are disconnected, as when a server restarts."""
        if self.process is not None:
            os.killpg(self.process.pid, 2)
            self.process.wait(30)
            self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
