"""An agent in the desk's console, over its API (cookie + CSRF), for the end-to-end tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.utils.stack import DESK


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
