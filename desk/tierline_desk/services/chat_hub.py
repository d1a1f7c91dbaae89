"""Wakes the websockets of a conversation when something in it changed.

The database is the truth (messages have ``seq``); the hub only says "look again". Each open
websocket waits on an asyncio.Event; :meth:`ChatHub.notify` may be called from any thread (the
console's sync request handlers) and sets the events on their own loops. Websockets also look
again every few seconds, so a change made by another process is still seen.

The agents' consoles listen here too (:meth:`ChatHub.listen_console`): console events
(services/console_events.py) go to every console websocket of this desk and, like the chat's
signals, to the other replicas.

With several desk replicas (``REDIS_URL`` set), a :class:`RedisBridge` carries every wake-up,
typing signal and console event to the other replicas over one Redis pub/sub channel, so a
message reaches the shopper's (or the agent's) websocket at once whichever replica holds it.
If Redis is away, the bridge reconnects with a backoff and the websockets' periodic look at the
database keeps the chat going.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("tierline_desk.chat_hub")

ConsoleListener = Callable[[dict[str, Any]], None]

TYPING_SECONDS = 6.0
CHANNEL = "tierline:chat"
OUTBOX_LIMIT = 10_000  # signals waiting for Redis; older ones are dropped (the DB recheck covers)


class ChatHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._shopper_typing: dict[str, float] = {}
        self._agent_typing: dict[str, tuple[str, float]] = {}
        self._bridge: RedisBridge | None = None
        self._consoles: dict[int, tuple[asyncio.AbstractEventLoop, ConsoleListener]] = {}

    def attach(self, bridge: RedisBridge | None) -> None:
        """Send this hub's signals to the other replicas through ``bridge`` (None: stop)."""
        with self._lock:
            self._bridge = bridge

    def _share(self, kind: str, conversation_id: str, name: str | None = None) -> None:
        self._share_signal({"kind": kind, "conversation_id": conversation_id, "name": name})

    def _share_signal(self, signal: dict[str, Any]) -> None:
        with self._lock:
            bridge = self._bridge
        if bridge is not None:
            bridge.publish(signal)

    def apply(self, signal: dict[str, Any]) -> None:
        """A signal from another replica: update the typing state, wake local websockets."""
        if signal.get("kind") == "console_event":
            event = signal.get("event")
            if isinstance(event, dict):
                self._deliver_console(event)
            return
        kind, conversation_id, name = (
            signal.get("kind"),
            signal.get("conversation_id"),
            signal.get("name"),
        )
        if not isinstance(conversation_id, str):
            return
        if kind == "shopper_typing":
            self._set_shopper_typing(conversation_id)
        elif kind == "agent_typing" and isinstance(name, str):
            self._set_agent_typing(conversation_id, name)
        elif kind == "agent_stopped_typing":
            self._clear_agent_typing(conversation_id)
        self._wake(conversation_id)

    def subscribe(self, conversation_id: str) -> asyncio.Event:
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiters.setdefault(conversation_id, set()).add(entry)
        return event

    def unsubscribe(self, conversation_id: str, event: asyncio.Event) -> None:
        with self._lock:
            waiters = self._waiters.get(conversation_id, set())
            for entry in [w for w in waiters if w[1] is event]:
                waiters.discard(entry)
            if not waiters:
                self._waiters.pop(conversation_id, None)

    def notify(self, conversation_id: str) -> None:
        self._wake(conversation_id)
        self._share("notify", conversation_id)

    def _wake(self, conversation_id: str) -> None:
        with self._lock:
            waiters = list(self._waiters.get(conversation_id, ()))
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    # ---- the agents' consoles

    def listen_console(self, listener: ConsoleListener) -> int:
        """Call ``listener(event)`` on the caller's loop for every console event; returns the
        id to pass to :meth:`unlisten_console`."""
        with self._lock:
            key = id(listener)
            self._consoles[key] = (asyncio.get_running_loop(), listener)
        return key

    def unlisten_console(self, key: int) -> None:
        with self._lock:
            self._consoles.pop(key, None)

    def console_event(self, event: dict[str, Any]) -> None:
        """Send a console event to every console here and on the other replicas (any thread)."""
        self._deliver_console(event)
        self._share_signal({"kind": "console_event", "event": event})

    def _deliver_console(self, event: dict[str, Any]) -> None:
        with self._lock:
            consoles = list(self._consoles.values())
        for loop, listener in consoles:
            if not loop.is_closed():
                loop.call_soon_threadsafe(listener, event)

    def listeners(self, conversation_id: str) -> int:
        with self._lock:
            return len(self._waiters.get(conversation_id, ()))

    def shopper_typing(self, conversation_id: str) -> None:
        self._set_shopper_typing(conversation_id)
        self._wake(conversation_id)  # the agent's console shows it
        self._share("shopper_typing", conversation_id)

    def agent_typing(self, conversation_id: str, name: str) -> None:
        self._set_agent_typing(conversation_id, name)
        self._share("agent_typing", conversation_id, name)

    def agent_stopped_typing(self, conversation_id: str) -> None:
        self._clear_agent_typing(conversation_id)
        self._share("agent_stopped_typing", conversation_id)

    def _set_shopper_typing(self, conversation_id: str) -> None:
        with self._lock:
            self._shopper_typing[conversation_id] = time.monotonic()

    def _set_agent_typing(self, conversation_id: str, name: str) -> None:
        with self._lock:
            self._agent_typing[conversation_id] = (name, time.monotonic())

    def _clear_agent_typing(self, conversation_id: str) -> None:
        with self._lock:
            self._agent_typing.pop(conversation_id, None)

    def typing_agent(self, conversation_id: str) -> str | None:
        """The name of the agent typing in this conversation right now, if any."""
        with self._lock:
            entry = self._agent_typing.get(conversation_id)
        if entry is None or time.monotonic() - entry[1] >= TYPING_SECONDS:
            return None
        return entry[0]

    def is_shopper_typing(self, conversation_id: str) -> bool:
        with self._lock:
            since = self._shopper_typing.get(conversation_id)
        return since is not None and time.monotonic() - since < TYPING_SECONDS


class RedisBridge:
    """Carries a hub's signals to the other desk replicas over Redis pub/sub, and theirs back.

    :meth:`publish` may be called from any thread; it queues the signal on the bridge's loop.
    :meth:`run` keeps one subscriber and one publisher going until cancelled, reconnecting with
    a backoff (at most 5 s) whenever Redis is unreachable.
    """

    def __init__(self, hub: ChatHub, url: str, channel: str = CHANNEL) -> None:
        self.hub = hub
        self.url = url
        self.channel = channel
        self.replica = secrets.token_hex(6)  # our own signals come back too: skip them
        self.connected = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._outbox: asyncio.Queue[str] | None = None

    def publish(self, signal: dict[str, Any]) -> None:
        loop, outbox = self._loop, self._outbox
        if loop is None or outbox is None or loop.is_closed():
            return
        message = json.dumps({**signal, "from": self.replica})
        loop.call_soon_threadsafe(self._enqueue, outbox, message)

    @staticmethod
    def _enqueue(outbox: asyncio.Queue[str], message: str) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            outbox.put_nowait(message)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._outbox = asyncio.Queue(maxsize=OUTBOX_LIMIT)
        client: aioredis.Redis = aioredis.Redis.from_url(
            self.url, socket_connect_timeout=2, health_check_interval=10
        )
        try:
            await asyncio.gather(self._subscribe(client), self._send(client))
        finally:
            self._loop = None
            await client.aclose()

    async def _subscribe(self, client: aioredis.Redis) -> None:
        delay = 0.2
        while True:
            try:
                async with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(self.channel)
                    self.connected.set()
                    if delay > 0.2:
                        log.warning("chat hub: Redis pub/sub is back")
                    delay = 0.2
                    async for message in pubsub.listen():
                        self._receive(message.get("data"))
            except (RedisError, OSError) as exc:
                self.connected.clear()
                log.warning("chat hub: Redis pub/sub unavailable (%s); retrying", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _receive(self, data: Any) -> None:
        try:
            signal = json.loads(data)
        except (TypeError, ValueError):
            return
        if isinstance(signal, dict) and signal.get("from") != self.replica:
            self.hub.apply(signal)

    async def _send(self, client: aioredis.Redis) -> None:
        assert self._outbox is not None
        while True:
            message = await self._outbox.get()
            try:
                await client.publish(self.channel, message)
            except (RedisError, OSError) as exc:
                # Dropped: the other replicas' websockets still look at the database.
                log.warning("chat hub: could not publish to Redis (%s)", exc)


@lru_cache(maxsize=1)
def get_hub() -> ChatHub:
    return ChatHub()
