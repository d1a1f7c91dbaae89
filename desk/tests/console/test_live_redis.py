"""The live console's presence on a real Redis (distributed mode): two desks see the same
viewers and typists, entries go when the agent leaves and expire when a desk dies, and a desk
with ``REDIS_URL`` keeps its consoles' presence there."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession
from tierline_common.local_servers import LocalRedis, running_redis

from tests.utils.console import PASSWORDS, World
from tests.utils.console_live import WS, frames_until, presence_of
from tierline_desk.agent_auth import SESSION_COOKIE
from tierline_desk.services import console_presence
from tierline_desk.services.console_presence import KEY_PREFIX, RedisPresence, Viewer
from tierline_desk.settings import get_settings

pytestmark = pytest.mark.services  # a real Redis server (make integration)

ALEX = Viewer("alex", "Alex Rivera", "associate")
SAM = Viewer("sam.lead", "Sam Okafor", "supervisor")
SUBJECT = "ticket:T-000001"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[LocalRedis]:
    with running_redis(tmp_path) as server:
        yield server


def _row(viewer: Viewer, typing: bool) -> dict[str, object]:
    return {**viewer.__dict__, "typing": typing}


async def test_two_desks_share_who_views_and_who_types(redis_server: LocalRedis) -> None:
    one, two = RedisPresence(redis_server.url), RedisPresence(redis_server.url)
    try:
        await one.join(SUBJECT, "alex-tab", ALEX)
        await two.join(SUBJECT, "sam-tab", SAM)
        await two.typing(SUBJECT, "sam-tab")
        assert await one.viewers(SUBJECT) == [_row(ALEX, False), _row(SAM, True)]
        await two.leave(SUBJECT, "sam-tab")
        assert await one.viewers(SUBJECT) == [_row(ALEX, False)]
    finally:
        await one.aclose()
        await two.aclose()


async def test_a_dead_desks_viewers_expire(
    redis_server: LocalRedis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_presence, "VIEWER_SECONDS", 0.5)
    dead, alive = RedisPresence(redis_server.url), RedisPresence(redis_server.url)
    try:
        await dead.join(SUBJECT, "alex-tab", ALEX)  # its desk never renews nor leaves
        assert await alive.viewers(SUBJECT) == [_row(ALEX, False)]
        await asyncio.sleep(0.7)
        assert await alive.viewers(SUBJECT) == []
        await asyncio.sleep(1.0)  # the keys themselves expire too
        keys = redis.Redis.from_url(redis_server.url).keys(f"{KEY_PREFIX}*")
        assert keys == []
    finally:
        await dead.aclose()
        await alive.aclose()


def _log_in(client: TestClient, username: str) -> tuple[str, str]:
    """(session cookie, CSRF token); the client's own jar is emptied so each socket names its
    agent explicitly."""
    resp = client.post(
        "/console/api/login", json={"username": username, "password": PASSWORDS[username]}
    )
    assert resp.status_code == 200, resp.text
    cookie = resp.cookies[SESSION_COOKIE]
    client.cookies.clear()
    return cookie, resp.json()["csrf_token"]


@contextmanager
def _console(client: TestClient, login: tuple[str, str]) -> Iterator[WebSocketTestSession]:
    cookie, csrf = login
    with client.websocket_connect(WS, headers={"cookie": f"{SESSION_COOKIE}={cookie}"}) as ws:
        ws.send_json({"type": "hello", "csrf_token": csrf})
        assert ws.receive_json()["type"] == "ready"
        yield ws


def test_a_desk_with_redis_keeps_presence_there(
    db: str, redis_server: LocalRedis, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    app = create_app()
    number = World(session).ticket("alex")
    subject = f"ticket:{number}"
    viewers_in_redis = redis.Redis.from_url(redis_server.url)
    with TestClient(app) as client:  # one loop for the app, its bridge and its Redis clients
        assert isinstance(app.state.presence, RedisPresence)
        alex_login, sam_login = _log_in(client, "alex"), _log_in(client, "sam.lead")
        with _console(client, alex_login) as alex:
            alex.send_json({"type": "watch", "ticket": number})
            frames_until(alex, presence_of(subject, "alex"))
            with _console(client, sam_login) as sam:
                sam.send_json({"type": "watch", "ticket": number})
                frames_until(alex, presence_of(subject, "alex", "sam.lead"))
                assert viewers_in_redis.zcard(f"{KEY_PREFIX}{subject}") == 2
            frames_until(alex, presence_of(subject, "alex"))
            assert viewers_in_redis.zcard(f"{KEY_PREFIX}{subject}") == 1
        # Alex closed the console: the desk removes the entry as the socket ends.
        for _ in range(50):
            if viewers_in_redis.zcard(f"{KEY_PREFIX}{subject}") == 0:
                break
            time.sleep(0.05)
        assert viewers_in_redis.zcard(f"{KEY_PREFIX}{subject}") == 0
