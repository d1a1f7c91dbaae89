"""Flood limits for the public door: in-process token buckets, one per key.

Three limits, all tuned in settings.py ("flood limits"):

- per websocket connection (``CHAT_CONNECTION_BURST`` / ``CHAT_CONNECTION_PER_MINUTE``): one
  widget typing too fast;
- per conversation, across all its connections (``CHAT_CONVERSATION_BURST`` /
  ``CHAT_CONVERSATION_PER_MINUTE``): one shopper opening several sockets to get round the first;
- per client IP on *creating* a chat session (``CHAT_SESSIONS_PER_IP_BURST`` /
  ``CHAT_SESSIONS_PER_IP_PER_MINUTE``): a script minting conversations. Resuming one's own
  conversation is not counted; a resume with a wrong token creates one, so it is.

A bucket holds ``burst`` tokens and gains ``per_minute / 60`` a second; each event takes one.
The buckets live in this process (one desk process today); several desk replicas would need a
shared store (e.g. Redis) to enforce one limit across them. The app keeps its own
:class:`FloodLimits` on ``app.state`` (made in ``create_app``), so apps never share buckets.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ..settings import Settings

# Keys kept per limiter; the least recently used are dropped beyond this (memory stays bounded).
MAX_KEYS = 50_000


@dataclass(frozen=True)
class Rate:
    burst: int
    per_minute: float

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


@dataclass
class _Bucket:
    tokens: float
    at: float


class KeyedLimiter:
    """Token buckets by key. Thread-safe: the sync session endpoint runs in a thread pool."""

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


def retry_after_header(wait_seconds: float) -> str:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    if math.isinf(wait_seconds):
        return "3600"
    return str(max(1, math.ceil(wait_seconds)))


@dataclass
class FloodLimits:
    sessions_per_ip: KeyedLimiter
    per_conversation: KeyedLimiter
    connection_rate: Rate

    @classmethod
    def from_settings(cls, settings: Settings) -> FloodLimits:
        return cls(
            sessions_per_ip=KeyedLimiter(
                Rate(settings.chat_sessions_per_ip_burst, settings.chat_sessions_per_ip_per_minute)
            ),
            per_conversation=KeyedLimiter(
                Rate(settings.chat_conversation_burst, settings.chat_conversation_per_minute)
            ),
            connection_rate=Rate(
                settings.chat_connection_burst, settings.chat_connection_per_minute
            ),
        )

    def connection_limiter(self) -> KeyedLimiter:
        """A fresh limiter for one websocket connection (used with a single key)."""
        return KeyedLimiter(self.connection_rate)
