"""A real Medusa v2 store for the tests: PostgreSQL + ``medusa start`` on free ports, seeded.

Started through ``tierline_desk.store.medusa.devserver`` (the code ``make run STORE=medusa``
uses) in a temporary directory, with a small HTTP receiver standing in for the desk's event
endpoint, so the subscriber's signed POSTs can be checked too. Never a fake: when Medusa's
``node_modules`` are missing the fixture fails, telling to run ``make medusa-deps``.

Usage: the session fixtures ``medusa`` (started) and ``seeded_medusa`` (the demo data in it),
imported into tests/store/conftest.py, or directly::

    with running_medusa() as server:
        server.seed()
        client = server.client()

The receiver can also pass each event on, byte for byte with its signature, to a desk the
test started (``EventSink.forward_to``): Medusa's subscriber, through it, reaches the desk's
``POST /store/events/medusa``. And :meth:`MedusaServer.stopped` stops Medusa (its PostgreSQL
stays up) for a test of the store being down, starting it again after.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from tierline_common.local_servers import LocalServerError
from tierline_common.ports import free_port

from tierline_desk.store.medusa.client import MedusaClient
from tierline_desk.store.medusa.devserver import (
    LocalMedusa,
    MedusaConfig,
    MedusaSetupError,
    medusa_program,
)
from tierline_desk.store.medusa.seed import SeedResult, seed

ADMIN_EMAIL = "admin@tierline.test"
STARTUP_TIMEOUT = 600.0  # seconds; a busy 2-core machine migrates slowly
CLIENT_TIMEOUT = 120.0


@dataclass
class ReceivedEvent:
    body: dict[str, Any]
    signature_ok: bool


@dataclass
class EventSink:
    """Stands in for the desk's event endpoint: records each POST, checks its signature."""

    secret: str
    port: int = field(default_factory=free_port)
    events: list[ReceivedEvent] = field(default_factory=list)
    # A desk's event URL to pass each event on to (the same bytes and signature), or None.
    forward_to: str | None = None
    forwarded: list[int] = field(default_factory=list)  # the desk's answers
    _server: ThreadingHTTPServer | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/store/events"

    def start(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                expected = (
                    "sha256=" + hmac.new(sink.secret.encode(), raw, hashlib.sha256).hexdigest()
                )
                given = self.headers.get("X-Tierline-Signature") or ""
                sink.events.append(
                    ReceivedEvent(json.loads(raw), hmac.compare_digest(given, expected))
                )
                status = 204
                target = sink.forward_to
                if target is not None:
                    try:
                        status = httpx.post(
                            target,
                            content=raw,
                            headers={
                                "Content-Type": "application/json",
                                "X-Tierline-Signature": given,
                            },
                            timeout=30,
                        ).status_code
                    except httpx.HTTPError:
                        status = 502
                    sink.forwarded.append(status)
                self.send_response(status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def named(self, event: str) -> list[ReceivedEvent]:
        return [e for e in self.events if e.body.get("event") == event]

    def wait_for(self, event: str, order_id: str, timeout: float = 30.0) -> ReceivedEvent:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in self.named(event):
                if e.body.get("order_id") == order_id:
                    return e
            time.sleep(0.2)
        raise AssertionError(f"no {event} for {order_id} within {timeout:.0f} s")


@dataclass
class MedusaServer:
    local: LocalMedusa
    events: EventSink
    seed_result: SeedResult | None = None
    seed_seconds: float = 0.0
    _clients: list[MedusaClient] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        return self.local.url

    @property
    def admin_password(self) -> str:
        return self.local.config.admin_password

    def client(self, **overrides: Any) -> MedusaClient:
        """An admin client (closed with the server); ``overrides``: MedusaClient's keywords."""
        kwargs: dict[str, Any] = {
            "email": ADMIN_EMAIL,
            "password": self.admin_password,
            "timeout": CLIENT_TIMEOUT,
            **overrides,
        }
        client = MedusaClient(self.url, **kwargs)
        self._clients.append(client)
        return client

    def seed(self) -> SeedResult:
        start = time.monotonic()
        result = seed(self.client())
        self.seed_seconds = time.monotonic() - start
        return result

    @contextlib.contextmanager
    def stopped(self) -> Iterator[None]:
        """Medusa stopped (its database stays up) inside the block, started again after."""
        self.local.medusa.stop()
        try:
            yield
        finally:
            self.local.medusa.start()
            self.local.medusa.wait_healthy(STARTUP_TIMEOUT)

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


def require_medusa_installed() -> None:
    """pytest.fail (never skip) with what to run when Medusa's packages are not installed."""
    try:
        medusa_program()
    except MedusaSetupError as exc:
        pytest.fail(f"{exc}; these tests need a real Medusa", pytrace=False)


@contextlib.contextmanager
def running_medusa() -> Iterator[MedusaServer]:
    """PostgreSQL + Medusa on free ports in a temp dir (removed after); stopped on exit."""
    require_medusa_installed()
    # Not pytest's tmp_path: as root, PostgreSQL runs as `postgres`, which must reach its
    # directory, and pytest's base temp dir is closed to other users.
    root = Path(tempfile.mkdtemp(prefix="tierline-medusa-test-"))
    root.chmod(0o711)
    events = EventSink(secret=secrets.token_urlsafe(24))
    config = MedusaConfig(
        port=free_port(),
        admin_email=ADMIN_EMAIL,
        admin_password=secrets.token_urlsafe(18),
        jwt_secret=secrets.token_urlsafe(32),
        cookie_secret=secrets.token_urlsafe(32),
        events_url=events.url,
        events_secret=events.secret,
    )
    local = LocalMedusa(root, config, pg_port=free_port(), durable=False)
    server = MedusaServer(local, events)
    events.start()
    try:
        try:
            local.up(health_timeout=STARTUP_TIMEOUT)
        except LocalServerError as exc:
            pytest.fail(f"the test Medusa did not start: {exc}", pytrace=False)
        yield server
    finally:
        server.close_clients()
        local.down()
        events.stop()
        shutil.rmtree(root, ignore_errors=True)


# Starting Medusa (migrations included) and seeding it take minutes on a busy machine; the
# session fixture's set-up runs inside whichever test asks first.
MEDUSA_TIMEOUT = 1200


@pytest.fixture(scope="session")
def medusa() -> Iterator[MedusaServer]:
    """One real Medusa for the whole session."""
    with running_medusa() as server:
        yield server


@pytest.fixture(scope="session")
def seeded_medusa(medusa: MedusaServer) -> MedusaServer:
    """The session's Medusa with the demo data, seeded once."""
    medusa.seed_result = medusa.seed()
    print(f"\nmedusa seeded in {medusa.seed_seconds:.1f} s: {medusa.seed_result.summary()}")
    return medusa
