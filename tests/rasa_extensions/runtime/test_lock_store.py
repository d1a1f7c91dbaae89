"""OffLoopRedisLockStore against a real Redis: same serialisation, no stalled event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import redis
from rasa.core.lock_store import RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from tierline_common.local_servers import LocalRedis, running_redis

from rasa_extensions.runtime.lock_store import OffLoopRedisLockStore

pytestmark = pytest.mark.services  # a real Redis server (make integration)


@pytest.fixture(scope="module")
def server() -> Iterator[LocalRedis]:
    with running_redis() as running:
        yield running


def store_for(server: LocalRedis) -> OffLoopRedisLockStore:
    config = EndpointConfig(
        url="127.0.0.1", port=server.port, db=1, key_prefix="test", type="custom"
    )
    return OffLoopRedisLockStore(endpoint_config=config)


async def test_messages_of_one_conversation_take_turns(server: LocalRedis) -> None:
    store = store_for(server)
    order: list[str] = []

    async def handle(name: str, hold: float) -> None:
        async with store.lock("web-1"):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    first = asyncio.create_task(handle("first", 0.3))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(handle("second", 0))
    await asyncio.gather(first, second)
    assert order == ["first in", "first out", "second in", "second out"]
    assert store.get_lock("web-1") is None  # cleaned up


async def test_a_waiting_message_gets_its_turn_soon_after_the_first(server: LocalRedis) -> None:
    store = store_for(server)
    loop = asyncio.get_running_loop()
    released_at = 0.0

    async def first() -> None:
        nonlocal released_at
        async with store.lock("web-2"):
            await asyncio.sleep(0.2)
        released_at = loop.time()

    holder = asyncio.create_task(first())
    await asyncio.sleep(0.02)
    async with store.lock("web-2"):
        waited_after_release = loop.time() - released_at
    await holder
    assert waited_after_release < 0.5  # Rasa's own store polls once a second


def stall_redis(server: LocalRedis, seconds: float) -> threading.Thread:
    """Another client makes Redis itself busy for ``seconds`` (DEBUG SLEEP)."""
    client = redis.Redis(host="127.0.0.1", port=server.port)
    thread = threading.Thread(target=client.execute_command, args=("DEBUG", "SLEEP", seconds))
    thread.start()
    return thread


async def ticks_while_locking(store: RedisLockStore, server: LocalRedis) -> int:
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)
    before = ticks
    stalled = stall_redis(server, 0.6)
    await asyncio.sleep(0.05)
    async with store.lock("web-3"):
        pass
    ticker.cancel()
    stalled.join(5)
    return ticks - before


async def test_a_slow_redis_does_not_stall_the_event_loop(server: LocalRedis) -> None:
    # While Redis is busy, the loop keeps serving other conversations ...
    assert await ticks_while_locking(store_for(server), server) >= 15
    # ... where Rasa's own store blocks it for the whole stall.
    rasa_store = RedisLockStore(host="127.0.0.1", port=server.port, db=1)
    assert await ticks_while_locking(rasa_store, server) < 10
