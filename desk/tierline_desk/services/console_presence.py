"""Who has a ticket or an email case open in the console right now, and who is typing in it.

Ephemeral: nothing goes to the database. One desk keeps it in memory (:class:`MemoryPresence`);
several desks (``REDIS_URL``) share it in Redis (:class:`RedisPresence`), where every entry
has a lifetime, so the viewers of a desk that died disappear by themselves. Each console
websocket renews its entries while it is open (every ping) and removes them when the agent
leaves the page or disconnects.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis

VIEWER_SECONDS = 60.0  # an entry not renewed for this long is gone (pings renew it every 20 s)
TYPING_SECONDS = 6.0
KEY_PREFIX = "tierline:presence:"


@dataclass(frozen=True)
class Viewer:
    username: str
    display_name: str
    role: str


def snapshot(viewers: dict[str, Viewer], typing: set[str]) -> list[dict[str, Any]]:
    """One row per agent (two tabs count once), sorted by username; typing if any tab types."""
    rows: dict[str, dict[str, Any]] = {}
    for connection, viewer in viewers.items():
        row = rows.setdefault(viewer.username, {**asdict(viewer), "typing": False})
        row["typing"] = row["typing"] or connection in typing
    return [rows[name] for name in sorted(rows)]


class PresenceBoard(Protocol):
    async def join(self, subject: str, connection: str, viewer: Viewer) -> None: ...

    async def leave(self, subject: str, connection: str) -> None: ...

    async def typing(self, subject: str, connection: str) -> None: ...

    async def viewers(self, subject: str) -> list[dict[str, Any]]: ...

    async def aclose(self) -> None: ...


class MemoryPresence:
    """This desk's viewers (one desk: ``REDIS_URL`` unset)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # subject -> connection -> (viewer, seen until, typing until)
        self._entries: dict[str, dict[str, tuple[Viewer, float, float]]] = {}

    async def join(self, subject: str, connection: str, viewer: Viewer) -> None:
        with self._lock:
            entries = self._entries.setdefault(subject, {})
            typing_until = entries[connection][2] if connection in entries else 0.0
            entries[connection] = (viewer, time.monotonic() + VIEWER_SECONDS, typing_until)

    async def leave(self, subject: str, connection: str) -> None:
        with self._lock:
            entries = self._entries.get(subject, {})
            entries.pop(connection, None)
            if not entries:
                self._entries.pop(subject, None)

    async def typing(self, subject: str, connection: str) -> None:
        with self._lock:
            entry = self._entries.get(subject, {}).get(connection)
            if entry is not None:
                until = time.monotonic() + TYPING_SECONDS
                self._entries[subject][connection] = (entry[0], entry[1], until)

    async def viewers(self, subject: str) -> list[dict[str, Any]]:
        now = time.monotonic()
        with self._lock:
            entries = self._entries.get(subject, {})
            for connection in [c for c, e in entries.items() if e[1] <= now]:
                del entries[connection]
            live = {c: e[0] for c, e in entries.items()}
            typing = {c for c, e in entries.items() if e[2] > now}
        return snapshot(live, typing)

    async def aclose(self) -> None:
        return None


class RedisPresence:
    """Viewers shared by every desk: per subject, a sorted set of connections scored by when
    they expire, a hash of who they are, and a sorted set of who types until when."""

    def __init__(self, url: str) -> None:
        self._client: aioredis.Redis = aioredis.Redis.from_url(
            url, socket_connect_timeout=2, socket_timeout=2
        )

    @staticmethod
    def _keys(subject: str) -> tuple[str, str, str]:
        base = f"{KEY_PREFIX}{subject}"
        return base, f"{base}:who", f"{base}:typing"

    async def join(self, subject: str, connection: str, viewer: Viewer) -> None:
        seen, who, typing = self._keys(subject)
        lifetime = int(VIEWER_SECONDS) + 1
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zadd(seen, {connection: time.time() + VIEWER_SECONDS})
            pipe.hset(who, connection, json.dumps(asdict(viewer)))
            for key in (seen, who, typing):
                pipe.expire(key, lifetime)
            await pipe.execute()

    async def leave(self, subject: str, connection: str) -> None:
        seen, who, typing = self._keys(subject)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zrem(seen, connection)
            pipe.hdel(who, connection)
            pipe.zrem(typing, connection)
            await pipe.execute()

    async def typing(self, subject: str, connection: str) -> None:
        _, _, typing = self._keys(subject)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zadd(typing, {connection: time.time() + TYPING_SECONDS})
            pipe.expire(typing, int(VIEWER_SECONDS) + 1)
            await pipe.execute()

    async def viewers(self, subject: str) -> list[dict[str, Any]]:
        seen, who, typing = self._keys(subject)
        now = time.time()
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.zrangebyscore(seen, "-inf", now)
            pipe.zremrangebyscore(seen, "-inf", now)
            pipe.zrangebyscore(seen, now, "+inf")
            pipe.zrangebyscore(typing, now, "+inf")
            expired, _, live, typers = await pipe.execute()
        if not expired and not live:
            return []
        async with self._client.pipeline(transaction=False) as pipe:
            if expired:
                pipe.hdel(who, *expired)
            pipe.hmget(who, live or [""])
            raw = (await pipe.execute())[-1] if live else []
        viewers = {}
        for connection, data in zip(live, raw, strict=True):
            if data is not None:
                viewers[_text(connection)] = Viewer(**json.loads(data))
        return snapshot(viewers, {_text(c) for c in typers})

    async def aclose(self) -> None:
        await self._client.aclose()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
