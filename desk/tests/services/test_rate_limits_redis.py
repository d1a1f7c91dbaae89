"""Flood limits shared by desk replicas through a real Redis, and the fallback when it is away."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tierline_common.local_servers import LocalRedis, running_redis

from tests.utils.web_chat import (
    IDENTITY_SECRET,
    SHOP_SECRET,
    FakeRasa,
    rasa,
    send_burst,
    start,
)
from tierline_desk.services import rate_limits
from tierline_desk.services.rate_limits import (
    FloodLimiter,
    FloodLimits,
    KeyedLimiter,
    Rate,
    RedisBuckets,
    RedisLimiter,
)
from tierline_desk.settings import get_settings

pytestmark = pytest.mark.services  # a real Redis server (make integration)

__all__ = ["rasa"]
LOGGER = "tierline_desk.rate_limits"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[LocalRedis]:
    with running_redis(tmp_path) as server:
        yield server


@pytest.fixture
def inspect(redis_server: LocalRedis) -> Iterator[redis.Redis]:
    """A plain client to look at what the limiters stored."""
    client = redis.Redis.from_url(redis_server.url)
    yield client
    client.close()


class Replicas:
    """The Redis side of several desk replicas: one RedisBuckets (own clients) each."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.options = options
        self.made: list[RedisBuckets] = []

    def buckets(self) -> RedisBuckets:
        buckets = RedisBuckets(self.url, **self.options)
        self.made.append(buckets)
        return buckets

    def limiter(self, rate: Rate, name: str = "sessions_per_ip") -> RedisLimiter:
        return RedisLimiter(name, rate, self.buckets())

    def close(self) -> None:
        for buckets in self.made:
            buckets.close_sync()


@pytest.fixture
def replicas(redis_server: LocalRedis) -> Iterator[Replicas]:
    made = Replicas(redis_server.url, pause_seconds=0.0)
    yield made
    made.close()


def test_both_kinds_have_the_one_interface(replicas: Replicas) -> None:
    kinds: list[FloodLimiter] = [KeyedLimiter(Rate(1, 1)), replicas.limiter(Rate(1, 1))]
    assert all(callable(k.take) and callable(k.take_async) for k in kinds)


def test_two_replicas_share_one_burst(replicas: Replicas) -> None:
    rate = Rate(burst=4, per_minute=6)  # a token every 10 s
    one, two = replicas.limiter(rate), replicas.limiter(rate)
    assert one.buckets is not two.buckets  # separate clients, as on two replicas
    assert [one.take("10.0.0.1"), two.take("10.0.0.1"), one.take("10.0.0.1")] == [0.0] * 3
    assert two.take("10.0.0.1") == 0.0
    refused = [one.take("10.0.0.1"), two.take("10.0.0.1")]
    assert all(9.0 < wait <= 10.0 for wait in refused), refused


def test_a_shared_bucket_refills_at_its_rate_on_redis_time(
    replicas: Replicas, inspect: redis.Redis
) -> None:
    rate = Rate(burst=2, per_minute=600)  # a token every 0.1 s
    one, two = replicas.limiter(rate), replicas.limiter(rate)
    assert one.take("k") == 0.0 and two.take("k") == 0.0
    wait = one.take("k")
    assert 0.0 < wait <= 0.1
    time.sleep(wait + 0.05)
    assert two.take("k") == 0.0
    assert one.take("k") > 0.0
    # The refill is timed by Redis's clock, stored with the bucket.
    seconds, micros = inspect.time()
    at = float(inspect.hget("tierline:flood:sessions_per_ip:k", "at") or 0)
    assert abs(seconds + micros / 1e6 - at) < 5.0


def test_keys_and_limiters_are_independent(replicas: Replicas, inspect: redis.Redis) -> None:
    rate = Rate(burst=1, per_minute=1)
    sessions, conversations = replicas.limiter(rate), replicas.limiter(rate, "per_conversation")
    assert sessions.take("a") == 0.0
    assert sessions.take("a") > 0.0
    assert sessions.take("b") == 0.0  # another key
    assert conversations.take("a") == 0.0  # another limiter, same key
    assert sorted(inspect.keys("tierline:flood:*")) == [
        b"tierline:flood:per_conversation:a",
        b"tierline:flood:sessions_per_ip:a",
        b"tierline:flood:sessions_per_ip:b",
    ]


def test_idle_buckets_expire_once_they_would_be_full_again(
    replicas: Replicas, inspect: redis.Redis
) -> None:
    limiter = replicas.limiter(Rate(burst=3, per_minute=60))  # full again 3 s after the last take
    limiter.take("ip")
    ttl_ms = inspect.pttl("tierline:flood:sessions_per_ip:ip")
    assert 3000 < ttl_ms <= 3000 + rate_limits.TTL_MARGIN_MS
    quick = replicas.limiter(Rate(burst=1, per_minute=600), "per_conversation")  # 0.1 s
    quick.take("gone")
    deadline = time.monotonic() + 5
    while inspect.exists("tierline:flood:per_conversation:gone") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not inspect.exists("tierline:flood:per_conversation:gone")


async def test_async_takes_use_the_asyncio_client_and_share_the_bucket(
    replicas: Replicas, monkeypatch: pytest.MonkeyPatch
) -> None:
    rate = Rate(burst=3, per_minute=6)
    one, two = (replicas.limiter(rate, "per_conversation") for _ in range(2))
    await one.buckets.open()
    try:

        async def no_threads(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("an opened RedisBuckets must not go through a thread")

        with monkeypatch.context() as patch:
            patch.setattr(asyncio, "to_thread", no_threads)
            assert await one.take_async("web-1") == 0.0
            assert await one.take_async("web-1") == 0.0
        # Not opened on this loop: the sync client in a worker thread, same bucket.
        assert await two.take_async("web-1") == 0.0
        assert await two.take_async("web-1") > 0.0
        assert await one.take_async("web-1") > 0.0
    finally:
        await one.buckets.aclose()


def test_redis_away_falls_back_to_this_replicas_bucket(
    redis_server: LocalRedis, replicas: Replicas, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = replicas.limiter(Rate(burst=3, per_minute=6))
    assert limiter.take("ip") == 0.0  # in Redis
    redis_server.stop()
    caplog.set_level(logging.WARNING, logger=LOGGER)
    # No exception, and not unlimited: the in-process bucket's own burst (3), then refusals.
    waits = [limiter.take("ip") for _ in range(20)]
    assert waits[:3] == [0.0] * 3 and all(w > 0 for w in waits[3:])
    warnings = [r for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # not one per request
    assert "Redis unavailable" in warnings[0].getMessage()

    redis_server.start()  # same port; the script cache is empty again
    caplog.clear()
    assert limiter.take("ip") == 0.0
    assert [r.getMessage() for r in caplog.records if r.name == LOGGER] == [
        "flood limits: Redis is back; the limits are shared again"
    ]
    check = redis.Redis.from_url(redis_server.url)
    try:
        assert check.exists("tierline:flood:sessions_per_ip:ip")
    finally:
        check.close()


async def test_redis_away_on_the_async_path_falls_back_too(
    redis_server: LocalRedis, replicas: Replicas
) -> None:
    limiter = replicas.limiter(Rate(burst=2, per_minute=6), "per_conversation")
    await limiter.buckets.open()
    try:
        assert await limiter.take_async("web-2") == 0.0
        redis_server.stop()
        waits = [await limiter.take_async("web-2") for _ in range(4)]
        assert waits[:2] == [0.0, 0.0] and all(w > 0 for w in waits[2:])
    finally:
        await limiter.buckets.aclose()


def test_after_a_failure_redis_is_left_alone_for_a_pause(redis_server: LocalRedis) -> None:
    buckets = RedisBuckets(redis_server.url, pause_seconds=60.0)
    limiter = RedisLimiter("sessions_per_ip", Rate(burst=5, per_minute=6), buckets)
    try:
        redis_server.stop()
        assert limiter.take("ip") == 0.0
        redis_server.start()
        assert not buckets.available()
        started = time.monotonic()
        assert [limiter.take("ip") for _ in range(4)] == [0.0] * 4  # in-process, no Redis call
        assert limiter.take("ip") > 0.0  # the fallback's burst of 5 is spent
        assert time.monotonic() - started < 0.5
    finally:
        buckets.close_sync()


def test_from_settings_picks_the_kind_by_redis_url(
    monkeypatch: pytest.MonkeyPatch, redis_server: LocalRedis
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    local = FloodLimits.from_settings(get_settings())
    assert isinstance(local.sessions_per_ip, KeyedLimiter) and local.shared is None
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    get_settings.cache_clear()
    try:
        shared = FloodLimits.from_settings(get_settings())
        assert isinstance(shared.sessions_per_ip, RedisLimiter)
        assert isinstance(shared.per_conversation, RedisLimiter)
        assert shared.sessions_per_ip.buckets is shared.shared
        assert isinstance(shared.connection_limiter(), KeyedLimiter)  # a socket: one replica
    finally:
        get_settings.cache_clear()


# ---------------------------------------------------------------- two desk apps, one Redis


@pytest.fixture
def two_apps(
    db: str, monkeypatch: pytest.MonkeyPatch, redis_server: LocalRedis
) -> tuple[FastAPI, FastAPI]:
    monkeypatch.setenv("TIERLINE_IDENTITY_SECRET", IDENTITY_SECRET)
    monkeypatch.setenv("SHOP_IDENTITY_SECRET", SHOP_SECRET)
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.setenv("CHAT_SESSIONS_PER_IP_BURST", "5")
    monkeypatch.setenv("CHAT_SESSIONS_PER_IP_PER_MINUTE", "1")
    monkeypatch.setenv("CHAT_CONVERSATION_BURST", "4")
    monkeypatch.setenv("CHAT_CONVERSATION_PER_MINUTE", "1")
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    return create_app(), create_app()


def test_two_replicas_spend_one_sessions_per_ip_burst(two_apps: tuple[FastAPI, FastAPI]) -> None:
    burst = get_settings().chat_sessions_per_ip_burst
    with TestClient(two_apps[0]) as one, TestClient(two_apps[1]) as two:
        for n in range(burst):  # alternately, as nginx would spread them
            assert (one, two)[n % 2].post("/chat/api/session", json={}).status_code == 200
        for web in (one, two):
            refused = web.post("/chat/api/session", json={})
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) >= 1
            detail = refused.json()["detail"]
            assert detail["code"] == "rate_limited"
            assert detail["message"].startswith(
                "Too many new chats have been started from your network just now."
            )
            assert "try again" in detail["message"]


def test_two_replicas_share_a_conversations_message_limit(
    two_apps: tuple[FastAPI, FastAPI], rasa: FakeRasa
) -> None:
    settings = get_settings()
    per_socket = settings.chat_conversation_burst - 1  # each socket alone stays within it
    assert per_socket < settings.chat_connection_burst
    codes: list[str] = []
    with TestClient(two_apps[0]) as one, TestClient(two_apps[1]) as two:
        sess = start(one)
        for n, web in enumerate((one, two)):
            codes += send_burst(web, sess, per_socket, f"r{n}")
    # In-process buckets would have let both sockets through (3 + 3 <= 4 per replica).
    assert codes == ["rate_limited"] * (2 * per_socket - settings.chat_conversation_burst)
    assert len(rasa.received) == settings.chat_conversation_burst
