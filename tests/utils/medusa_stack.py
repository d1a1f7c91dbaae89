"""A real Medusa store beside the end-to-end stack, and the stack that uses it."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.utils.stack import DESK_PYTHON, ROOT, Stack, wait_until_up

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
