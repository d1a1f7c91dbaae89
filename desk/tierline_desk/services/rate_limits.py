"""Flood limits for the public door: token buckets, one per key, shared by the desk replicas.

Three limits, all tuned in settings.py ("flood limits"):

- per websocket connection (``CHAT_CONNECTION_BURST`` / ``CHAT_CONNECTION_PER_MINUTE``): one
  widget typing too fast;
- per conversation, across all its connections (``CHAT_CONVERSATION_BURST`` /
  ``CHAT_CONVERSATION_PER_MINUTE``): one shopper opening several sockets to get round the first;
- per client IP on *creating* a chat session (``CHAT_SESSIONS_PER_IP_BURST`` /
  ``CHAT_SESSIONS_PER_IP_PER_MINUTE``): a script minting conversations. Resuming one's own
  conversation is not counted; a resume with a wrong token creates one, so it is.

A bucket holds ``burst`` tokens and gains ``per_minute / 60`` a second; each event takes one.

One desk process (no ``REDIS_URL``): every bucket is a :class:`KeyedLimiter` in this process.
Several replicas (``REDIS_URL`` set): the per-conversation and per-IP limiters are
:class:`RedisLimiter`, one Redis hash per key (``tierline:flood:<limiter>:<key>``) that all
replicas take from, so a client gets one burst whichever replica nginx sends it to. A Lua script
(EVALSHA) refills and takes atomically on Redis's own clock (``TIME``), and the key expires once
a full bucket would be back. The per-connection bucket stays in-process: a socket lives on one
replica. If Redis cannot be reached, a take falls back to an in-process bucket of the same rate
(each replica then enforces the limit on its own, as before) rather than failing the shopper's
request or letting a flood through; a warning is logged at most once a minute, and Redis is tried
again after a short pause.

Both kinds have the :class:`FloodLimiter` interface: ``take`` for sync code (the session
endpoint runs in the thread pool) and ``take_async`` for the websocket. The app keeps its own
:class:`FloodLimits` on ``app.state`` (made in ``create_app``; the app's lifespan opens and closes
its Redis clients), so in-process buckets are never shared between apps.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol, TypedDict

import redis
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript, Script
from redis.exceptions import RedisError
from redis.retry import Retry

from ..settings import Settings

log = logging.getLogger("tierline_desk.rate_limits")

# Keys kept per in-process limiter; the least recently used are dropped beyond this.
MAX_KEYS = 50_000
KEY_PREFIX = "tierline:flood"
# Redis calls must not hold up a shopper: short timeouts, one immediate retry (a connection
# left over from before a Redis restart fails once, then reconnects).
REDIS_TIMEOUT_SECONDS = 0.5
REDIS_RETRIES = 1
# After a failed call, the in-process buckets are used for this long before Redis is tried again.
REDIS_PAUSE_SECONDS = 2.0
WARN_EVERY_SECONDS = 60.0
# Kept this long past the moment the bucket would be full again (then it is as good as new).
TTL_MARGIN_MS = 1000


class _Timeouts(TypedDict):
    socket_connect_timeout: float
    socket_timeout: float


# Both clients (sync and asyncio) give up on a slow Redis this fast.
REDIS_TIMEOUTS = _Timeouts(
    socket_connect_timeout=REDIS_TIMEOUT_SECONDS, socket_timeout=REDIS_TIMEOUT_SECONDS
)

# KEYS[1]: the bucket. ARGV: burst, tokens per second (> 0), TTL in ms. Returns the wait in
# seconds as a string ("0" when a token was taken): Lua numbers come back as integers.
TAKE_SCRIPT = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at',
  string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return string.format('%.17g', wait)
"""


@dataclass(frozen=True)
class Rate:
    burst: int
    per_minute: float

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


class FloodLimiter(Protocol):
    """Token buckets by key, as the routers use them (in-process or shared through Redis)."""

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else the seconds until one is free."""
        ...

    async def take_async(self, key: str) -> float:
        """:meth:`take` for async code (never blocks the event loop)."""
        ...

    def reset(self, key: str) -> None:
        """Forget ``key``'s bucket: it is full again (e.g. after a successful sign-in)."""
        ...


@dataclass
class _Bucket:
    tokens: float
    at: float


class KeyedLimiter:
    """Token buckets by key in this process. Thread-safe: the session endpoint runs in threads."""

    def __init__(self, rate: Rate, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take one token for ``key``: 0.0 when allowed, else the seconds until one is free."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.pop(key, None)
            if bucket is None:
                bucket = _Bucket(tokens=float(self.rate.burst), at=now)
            bucket.tokens = min(
                float(self.rate.burst), bucket.tokens + (now - bucket.at) * self.rate.per_second
            )
            bucket.at = now
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            if self.rate.per_second <= 0:
                return math.inf
            return (1.0 - bucket.tokens) / self.rate.per_second

    async def take_async(self, key: str) -> float:
        return self.take(key)

    def reset(self, key: str) -> None:
        with self._lock:
            self._buckets.pop(key, None)


class RedisBuckets:
    """The Redis side of the shared limiters: clients, the take script, and Redis's health.

    The sync client is made on first use (any thread). The asyncio client belongs to one event
    loop, so it is made by :meth:`open` on the app's loop (its lifespan) and closed by
    :meth:`aclose`; async takes on another loop, or before :meth:`open`, use the sync client in
    a worker thread.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = KEY_PREFIX,
        pause_seconds: float = REDIS_PAUSE_SECONDS,
        warn_every_seconds: float = WARN_EVERY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.prefix = prefix
        self.pause_seconds = pause_seconds
        self.warn_every_seconds = warn_every_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._sync: redis.Redis | None = None
        self._sync_script: Script | None = None
        self._async: aioredis.Redis | None = None
        self._async_script: AsyncScript | None = None
        self._async_loop: asyncio.AbstractEventLoop | None = None
        # Health: Redis is skipped until _paused_until after a failure.
        self._paused_until = -math.inf
        self._warned = False  # a "Redis unavailable" warning not yet followed by "back"
        self._next_warning = -math.inf
        self._fallbacks = 0  # takes served in-process since the last warning

    def key(self, limiter: str, key: str) -> str:
        return f"{self.prefix}:{limiter}:{key}"

    # ---- calls (raise RedisError / OSError when Redis is away)

    @staticmethod
    def _args(rate: Rate) -> list[float | int]:
        ttl_ms = math.ceil(rate.burst / rate.per_second * 1000) + TTL_MARGIN_MS
        return [rate.burst, rate.per_second, ttl_ms]

    def _sync_client(self) -> tuple[redis.Redis, Script]:
        with self._lock:
            if self._sync is None or self._sync_script is None:
                self._sync = redis.Redis.from_url(
                    self.url, retry=Retry(NoBackoff(), REDIS_RETRIES), **REDIS_TIMEOUTS
                )
                self._sync_script = self._sync.register_script(TAKE_SCRIPT)
            return self._sync, self._sync_script

    def take(self, key: str, rate: Rate) -> float:
        script = self._sync_script
        if script is None:
            script = self._sync_client()[1]
        return float(script(keys=[key], args=self._args(rate)))

    def delete(self, key: str) -> None:
        """Drop one bucket (raises RedisError / OSError when Redis is away)."""
        self._sync_client()[0].delete(key)

    async def take_async(self, key: str, rate: Rate) -> float:
        script = self._async_script
        if script is None or self._async_loop is not asyncio.get_running_loop():
            return await asyncio.to_thread(self.take, key, rate)
        return float(await script(keys=[key], args=self._args(rate)))

    # ---- lifecycle

    async def open(self) -> None:
        """Make the asyncio client on the running loop (the app's lifespan calls this)."""
        await self.aclose()
        self._async = aioredis.Redis.from_url(
            self.url, retry=AsyncRetry(NoBackoff(), REDIS_RETRIES), **REDIS_TIMEOUTS
        )
        self._async_script = self._async.register_script(TAKE_SCRIPT)
        self._async_loop = asyncio.get_running_loop()

    async def aclose(self) -> None:
        client, self._async, self._async_script, self._async_loop = self._async, None, None, None
        if client is not None:
            await client.aclose()
        self.close_sync()

    def close_sync(self) -> None:
        with self._lock:
            client, self._sync, self._sync_script = self._sync, None, None
        if client is not None:
            client.close()

    # ---- health

    def available(self) -> bool:
        """False for a short pause after a failed call: use the in-process buckets meanwhile."""
        return self._clock() >= self._paused_until

    def succeeded(self) -> None:
        if self._warned:
            with self._lock:
                was_warned, self._warned = self._warned, False
            if was_warned:
                log.warning("flood limits: Redis is back; the limits are shared again")

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            self._paused_until = self._clock() + self.pause_seconds
        self.fell_back(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)

    @contextmanager
    def recording_health(self) -> Iterator[None]:
        """Around one call to Redis: a success is :meth:`succeeded`; a RedisError or OSError is
        :meth:`failed` and goes no further, so the code after the ``with`` block falls back."""
        try:
            yield
        except (RedisError, OSError) as exc:
            self.failed(exc)
        else:
            self.succeeded()

    def fell_back(self, reason: str | None = None) -> None:
        """Count a take served in-process; warn now and then (not once per request)."""
        now = self._clock()
        with self._lock:
            self._fallbacks += 1
            if now < self._next_warning:
                return
            self._next_warning = now + self.warn_every_seconds
            self._warned = True
            count, self._fallbacks = self._fallbacks, 0
        log.warning(
            "flood limits: Redis unavailable (%s); this replica uses its own buckets meanwhile "
            "(%d takes since the last warning) and tries Redis again every %.0f s",
            reason or "paused after an error",
            count,
            self.pause_seconds,
        )


class RedisLimiter:
    """Token buckets by key in Redis, one per key for all replicas; in-process if Redis is away."""

    def __init__(self, name: str, rate: Rate, buckets: RedisBuckets) -> None:
        if rate.per_second <= 0:
            raise ValueError(f"{name}: a shared bucket needs a refill rate above zero")
        self.name = name
        self.rate = rate
        self.buckets = buckets
        self.fallback = KeyedLimiter(rate)

    def take(self, key: str) -> float:
        if self.buckets.available():
            with self.buckets.recording_health():
                return self.buckets.take(self.buckets.key(self.name, key), self.rate)
        else:
            self.buckets.fell_back()
        return self.fallback.take(key)

    async def take_async(self, key: str) -> float:
        if self.buckets.available():
            with self.buckets.recording_health():
                return await self.buckets.take_async(self.buckets.key(self.name, key), self.rate)
        else:
            self.buckets.fell_back()
        return self.fallback.take(key)

    def reset(self, key: str) -> None:
        self.fallback.reset(key)
        if self.buckets.available():
            try:
                self.buckets.delete(self.buckets.key(self.name, key))
            except (RedisError, OSError) as exc:
                self.buckets.failed(exc)


def flood_limiter(name: str, rate: Rate, shared: RedisBuckets | None) -> FloodLimiter:
    """Buckets shared by every replica through Redis (``shared``), else this process's own."""
    return KeyedLimiter(rate) if shared is None else RedisLimiter(name, rate, shared)


def retry_after_header(wait_seconds: float) -> str:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    if math.isinf(wait_seconds):
        return "3600"
    return str(max(1, math.ceil(wait_seconds)))


@dataclass
class FloodLimits:
    sessions_per_ip: FloodLimiter
    per_conversation: FloodLimiter
    connection_rate: Rate
    shared: RedisBuckets | None = None  # set when the buckets live in Redis

    @classmethod
    def from_settings(cls, settings: Settings) -> FloodLimits:
        sessions = Rate(
            settings.chat_sessions_per_ip_burst, settings.chat_sessions_per_ip_per_minute
        )
        conversation = Rate(settings.chat_conversation_burst, settings.chat_conversation_per_minute)
        connection = Rate(settings.chat_connection_burst, settings.chat_connection_per_minute)
        shared = RedisBuckets(settings.redis_url) if settings.redis_url else None
        return cls(
            sessions_per_ip=flood_limiter("sessions_per_ip", sessions, shared),
            per_conversation=flood_limiter("per_conversation", conversation, shared),
            connection_rate=connection,
            shared=shared,
        )

    def connection_limiter(self) -> KeyedLimiter:
        """A fresh limiter for one websocket connection (used with a single key)."""
        return KeyedLimiter(self.connection_rate)

    async def open(self) -> None:
        """Start the Redis clients on the running loop (a no-op without Redis)."""
        if self.shared is not None:
            await self.shared.open()

    async def aclose(self) -> None:
        if self.shared is not None:
            await self.shared.aclose()
