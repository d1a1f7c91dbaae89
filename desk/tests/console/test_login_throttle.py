"""Console sign-in is throttled per client address and per username, before Argon2 runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tierline_common.local_servers import running_redis

from tests.utils.console import PASSWORDS
from tierline_desk.services import agents
from tierline_desk.services.login_throttle import LoginThrottle
from tierline_desk.services.rate_limits import KeyedLimiter, Rate, RedisBuckets
from tierline_desk.settings import get_settings

LOGIN = "/console/api/login"


def attempt(web: TestClient, username: str, password: str, address: str | None = None) -> int:
    web.headers["x-test-address"] = address or "203.0.113.9"
    return web.post(LOGIN, json={"username": username, "password": password}).status_code


@pytest.fixture
def verifies(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each Argon2 verify the desk runs (the password it checked)."""
    seen: list[str] = []
    real = agents.verify_password

    def counting(hashed: str, password: str) -> bool:
        seen.append(password)
        return real(hashed, password)

    monkeypatch.setattr(agents, "verify_password", counting)
    return seen


class AddressFromHeader:
    """Test-only ASGI wrapper: the client address from ``x-test-address`` (as a proxy would)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"x-test-address":
                    scope = {**scope, "client": (value.decode(), 1234)}
        await self.app(scope, receive, send)


@pytest.fixture
def app(db: str) -> FastAPI:
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    return create_app()


@pytest.fixture
def web(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(AddressFromHeader(app)) as c:  # type: ignore[arg-type]
        yield c


def test_a_password_guesser_gets_429_with_retry_after_and_no_argon2(
    web: TestClient, verifies: list[str]
) -> None:
    codes = [attempt(web, "alex", f"guess-{i}") for i in range(40)]
    assert codes[:5] == [401] * 5
    assert set(codes[5:]) == {429}
    assert len(verifies) == 5  # throttled attempts never reach Argon2
    resp = web.post(LOGIN, json={"username": "alex", "password": PASSWORDS["alex"]})
    assert resp.status_code == 429  # the right password too, while throttled
    assert 1 <= int(resp.headers["Retry-After"]) <= 30
    detail = resp.json()["detail"]
    assert detail["code"] == "too_many_attempts"
    assert "Too many sign-in attempts" in detail["message"]
    assert f"wait {resp.headers['Retry-After']} seconds" in detail["message"]


def test_one_address_spraying_many_usernames_is_throttled(
    web: TestClient, verifies: list[str]
) -> None:
    codes = [attempt(web, f"user{i}", "x") for i in range(15)]
    assert codes[:10] == [401] * 10 and set(codes[10:]) == {429}
    assert len(verifies) == 10
    # Another address is not affected.
    assert attempt(web, "alex", PASSWORDS["alex"], address="198.51.100.7") == 200


def test_many_addresses_against_one_username_are_throttled(web: TestClient) -> None:
    codes = [attempt(web, "Alex ", "x", address=f"192.0.2.{i}") for i in range(10)]
    assert codes[:5] == [401] * 5 and set(codes[5:]) == {429}


def test_the_lockout_decays_and_a_success_resets_it() -> None:
    now = [0.0]
    throttle = LoginThrottle(
        KeyedLimiter(Rate(10, 6), clock=lambda: now[0]),
        KeyedLimiter(Rate(5, 2), clock=lambda: now[0]),
    )
    for i in range(5):
        assert throttle.attempt(f"192.0.2.{i}", "alex") is None
    refused = throttle.attempt("198.51.100.7", "alex")
    assert refused is not None and refused.scope == "username" and refused.wait <= 30
    now[0] += 30.0  # bounded: one refill interval after the flood, the agent gets a try
    assert throttle.attempt("198.51.100.7", "alex") is None
    throttle.succeeded("198.51.100.7", "alex")  # the right password: a fresh allowance
    assert all(throttle.attempt("198.51.100.7", "alex") is None for _ in range(5))


def test_a_successful_sign_in_starts_the_username_afresh(web: TestClient) -> None:
    assert [attempt(web, "alex", "typo") for _ in range(4)] == [401] * 4
    assert attempt(web, "alex", PASSWORDS["alex"]) == 200
    assert [attempt(web, "alex", "typo") for _ in range(5)] == [401] * 5


@pytest.mark.services  # a real Redis server (make integration)
def test_the_buckets_are_shared_through_redis(tmp_path: Path) -> None:
    """Two replicas (two throttles, own clients) draw from one bucket per username."""
    settings = get_settings()
    with running_redis(tmp_path) as server:
        made = [RedisBuckets(server.url, pause_seconds=0.0) for _ in range(2)]
        one, two = (LoginThrottle.from_settings(settings, b) for b in made)
        try:
            results = [(one, two)[i % 2].attempt(f"192.0.2.{i}", "alex") for i in range(6)]
            assert results[:5] == [None] * 5 and results[5] is not None
            keys = redis.Redis.from_url(server.url).keys("tierline:flood:login_per_user:*")
            assert keys == [b"tierline:flood:login_per_user:alex"]
            one.succeeded("192.0.2.9", "alex")
            assert two.attempt("192.0.2.9", "alex") is None
        finally:
            for b in made:
                b.close_sync()
