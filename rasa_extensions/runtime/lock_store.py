"""Rasa's Redis lock store, with its Redis calls off the event loop.

Every message takes a conversation lock: Rasa's ``RedisLockStore`` issues a ticket, polls for
its turn and cleans up with about six synchronous Redis round trips, each of which stalls the
replica's event loop (about a tenth of a busy replica's main thread in test-scaled's profile,
docs/reliability.md). ``OffLoopRedisLockStore`` makes the same calls, with the same ticket
semantics, on a small thread pool, and polls for a busy conversation's turn every
:data:`POLL_SECONDS` instead of every second.

endpoints-scaled.yml: ``lock_store: {type:
rasa_extensions.runtime.lock_store.OffLoopRedisLockStore, url: ..., port: ..., db: ...,
key_prefix: ...}``; the lifetime of a ticket still comes from
``TICKET_LOCK_LIFETIME`` (Rasa's own variable).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

T = TypeVar("T")
# A message waiting for its conversation's lock looks again this often (Rasa: every second).
POLL_SECONDS = 0.1
REDIS_THREADS = 4


class OffLoopRedisLockStore(RedisLockStore):  # type: ignore[misc]
    """``RedisLockStore`` whose Redis calls run on threads, never on the event loop."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url, **endpoint_config.kwargs)
        self._redis_threads = ThreadPoolExecutor(
            max_workers=REDIS_THREADS, thread_name_prefix="lock-store"
        )

    async def _off_the_loop(self, call: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._redis_threads, functools.partial(call, *args))

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ``LockStore.lock``, its Redis calls awaited on the lock store's threads."""
        ticket = await self._off_the_loop(self.issue_ticket, conversation_id, lock_lifetime)
        try:
            yield await self._acquire_lock(
                conversation_id, ticket, min(wait_time_in_seconds, POLL_SECONDS)
            )
        finally:
            await self._off_the_loop(self.cleanup, conversation_id, ticket)

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        while True:
            lock: TicketLock | None = await self._off_the_loop(self.get_lock, conversation_id)
            if not lock:  # expired meanwhile
                break
            if not lock.is_locked(ticket):
                return lock
            await asyncio.sleep(wait_time_in_seconds)
            await self._off_the_loop(self.update_lock, conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
