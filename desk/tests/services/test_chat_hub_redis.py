"""Two desk replicas' hubs talking through a real Redis: wake-ups and typing cross over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from tierline_common.local_servers import LocalRedis, running_redis

from tierline_desk.services.chat_hub import ChatHub, RedisBridge

pytestmark = pytest.mark.services  # a real Redis server (make integration)

CONVERSATION = "web-0123456789abcdef01234567"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[LocalRedis]:
    with running_redis(tmp_path) as server:
        yield server


class Replica:
    def __init__(self, url: str) -> None:
        self.hub = ChatHub()
        self.bridge = RedisBridge(self.hub, url)
        self.hub.attach(self.bridge)
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.bridge.run())
        await asyncio.wait_for(self.bridge.connected.wait(), 5)

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


@pytest.fixture
async def replicas(redis_server: LocalRedis) -> AsyncIterator[tuple[Replica, Replica]]:
    one, two = Replica(redis_server.url), Replica(redis_server.url)
    await one.start()
    await two.start()
    yield one, two
    await one.stop()
    await two.stop()


async def test_notify_wakes_a_websocket_on_the_other_replica(
    replicas: tuple[Replica, Replica],
) -> None:
    one, two = replicas
    woken = two.hub.subscribe(CONVERSATION)
    other = two.hub.subscribe("web-ffffffffffffffffffffffff")
    one.hub.notify(CONVERSATION)
    await asyncio.wait_for(woken.wait(), 2)
    assert not other.is_set()


async def test_notify_from_another_thread_crosses_over(
    replicas: tuple[Replica, Replica],
) -> None:
    one, two = replicas
    woken = two.hub.subscribe(CONVERSATION)
    await asyncio.to_thread(one.hub.notify, CONVERSATION)  # the console's sync handlers
    await asyncio.wait_for(woken.wait(), 2)


async def test_typing_state_reaches_the_other_replica(replicas: tuple[Replica, Replica]) -> None:
    one, two = replicas
    woken = two.hub.subscribe(CONVERSATION)
    one.hub.agent_typing(CONVERSATION, "Alex Rivera")
    one.hub.shopper_typing(CONVERSATION)
    await asyncio.wait_for(woken.wait(), 2)
    for _ in range(40):
        if two.hub.typing_agent(CONVERSATION) and two.hub.is_shopper_typing(CONVERSATION):
            break
        await asyncio.sleep(0.05)
    assert two.hub.typing_agent(CONVERSATION) == "Alex Rivera"
    assert two.hub.is_shopper_typing(CONVERSATION)
    woken.clear()
    one.hub.agent_stopped_typing(CONVERSATION)
    await asyncio.wait_for(woken.wait(), 2)
    assert two.hub.typing_agent(CONVERSATION) is None


async def test_own_signals_are_not_applied_twice(replicas: tuple[Replica, Replica]) -> None:
    one, _two = replicas
    seen: list[str] = []
    one.hub.apply = lambda signal: seen.append(str(signal))  # type: ignore[method-assign]
    one.hub.notify(CONVERSATION)
    await asyncio.sleep(0.3)
    assert seen == []


async def test_bridge_reconnects_after_redis_restarts(tmp_path: Path) -> None:
    server = LocalRedis(tmp_path)
    server.start()
    one, two = Replica(server.url), Replica(server.url)
    await one.start()
    await two.start()
    try:
        server.stop()
        await asyncio.sleep(0.5)
        assert not two.bridge.connected.is_set()
        server.start()  # same port
        await asyncio.wait_for(one.bridge.connected.wait(), 10)
        await asyncio.wait_for(two.bridge.connected.wait(), 10)
        woken = two.hub.subscribe(CONVERSATION)
        one.hub.notify(CONVERSATION)
        await asyncio.wait_for(woken.wait(), 2)
    finally:
        await one.stop()
        await two.stop()
        server.stop()


async def test_a_console_event_reaches_the_consoles_of_the_other_replica(
    replicas: tuple[Replica, Replica],
) -> None:
    one, two = replicas
    received: asyncio.Queue[dict[str, object]] = asyncio.Queue()
    key = two.hub.listen_console(received.put_nowait)
    event = {
        "audience": {"roles": ["supervisor"], "agents": [7]},
        "kind": "ticket.claimed",
        "data": {"ticket_number": "T-000042", "tier": 2},
    }
    # From a request handler's thread, as console_events.publish does after a commit.
    await asyncio.to_thread(one.hub.console_event, event)
    assert await asyncio.wait_for(received.get(), 2) == event  # the audience travels with it
    two.hub.unlisten_console(key)
