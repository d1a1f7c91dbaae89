"""Wakes the websockets of a conversation when something in it changed.

The database is the truth (messages have ``seq``); the hub only says "look again". Each open
websocket waits on an asyncio.Event; :meth:`ChatHub.notify` may be called from any thread (the
console's sync request handlers) and sets the events on their own loops. Websockets also look
again every few seconds, so a change made by another process is still seen.
"""

from __future__ import annotations

import asyncio
import threading
import time
from functools import lru_cache

TYPING_SECONDS = 6.0


class ChatHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        self._shopper_typing: dict[str, float] = {}
        self._agent_typing: dict[str, tuple[str, float]] = {}

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
        with self._lock:
            waiters = list(self._waiters.get(conversation_id, ()))
        for loop, event in waiters:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)

    def listeners(self, conversation_id: str) -> int:
        with self._lock:
            return len(self._waiters.get(conversation_id, ()))

    def shopper_typing(self, conversation_id: str) -> None:
        with self._lock:
            self._shopper_typing[conversation_id] = time.monotonic()

    def agent_typing(self, conversation_id: str, name: str) -> None:
        with self._lock:
            self._agent_typing[conversation_id] = (name, time.monotonic())

    def agent_stopped_typing(self, conversation_id: str) -> None:
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


@lru_cache(maxsize=1)
def get_hub() -> ChatHub:
    return ChatHub()
