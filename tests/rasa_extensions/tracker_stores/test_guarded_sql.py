"""GuardedSQLTrackerStore against a real PostgreSQL that goes away and comes back.

Rasa wraps every store in FailSafeTrackerStore, exactly as here: these tests check that a
database outage is noticed, alerted and refused, and that the conversation is intact after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.core.tracker_store import FailSafeTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from tierline_common.local_servers import LocalPostgres, running_postgres

from rasa_extensions.channels.signed_rest import SignedRestInput
from rasa_extensions.tracker_stores.guarded_sql import (
    GuardedSQLTrackerStore,
    active_store,
    run_to_end,
)

pytestmark = pytest.mark.services  # a real PostgreSQL server (make integration)

DOMAIN = Domain.from_dict({"slots": {"order_number": {"type": "text", "mappings": []}}})
SENDER = "web-0123456789abcdef01234567"


@pytest.fixture(scope="module")
def postgres() -> Iterator[LocalPostgres]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def store(postgres: LocalPostgres) -> Iterator[GuardedSQLTrackerStore]:
    if not postgres.running():
        postgres.start()
    guarded = GuardedSQLTrackerStore(
        domain=DOMAIN,
        dialect="postgresql",
        host="127.0.0.1",
        port=postgres.port,
        db="postgres",
        username="postgres",
    )
    with guarded.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM events")
    yield guarded
    guarded.engine.dispose()
    if not postgres.running():  # a test stopped it
        postgres.start()


def conversation() -> DialogueStateTracker:
    tracker = DialogueStateTracker(SENDER, DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered("where is 112-4839201-5573910", {"name": "track_package"}))
    tracker.update(SlotSet("order_number", "112-4839201-5573910"))
    tracker.update(ActionExecuted("action_listen"))
    return tracker


async def test_round_trip_and_healthy(store: GuardedSQLTrackerStore) -> None:
    await store.save(conversation())
    again = await store.retrieve(SENDER)
    assert again is not None
    assert again.get_slot("order_number") == "112-4839201-5573910"
    assert store.health.as_dict()["status"] == "ok"
    assert active_store() is not None


async def test_a_slow_database_does_not_stall_the_event_loop(
    store: GuardedSQLTrackerStore,
) -> None:
    """While one conversation waits for the database, the replica serves the others."""
    await store.save(conversation())
    holding = threading.Event()
    release = threading.Event()

    def hold_the_table() -> None:  # another client holds the events table for a while
        with store.engine.begin() as connection:
            connection.exec_driver_sql("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold_the_table)
    holder.start()
    assert holding.wait(10)
    reading = asyncio.create_task(store.retrieve(SENDER))
    ticks = 0
    for _ in range(20):  # 1 s of other work on the loop while the read waits
        await asyncio.sleep(0.05)
        ticks += 1
    assert not reading.done()
    release.set()
    tracker = await asyncio.wait_for(reading, 10)
    holder.join(10)
    # Before, the read blocked the loop until the table was released: no tick in between.
    assert ticks == 20
    assert tracker is not None
    assert tracker.get_slot("order_number") == "112-4839201-5573910"


def test_run_to_end_refuses_a_coroutine_that_suspends() -> None:
    async def returns_at_once() -> int:
        return 7

    async def suspends() -> None:
        await asyncio.sleep(0)

    assert run_to_end(returns_at_once()) == 7
    with pytest.raises(RuntimeError, match="suspended"):
        run_to_end(suspends())


async def test_outage_is_alerted_refused_and_the_conversation_survives(
    store: GuardedSQLTrackerStore, postgres: LocalPostgres, caplog: pytest.LogCaptureFixture
) -> None:
    failsafe = FailSafeTrackerStore(store)  # what Rasa's Agent does to every store
    await failsafe.save(conversation())
    postgres.stop()
    caplog.set_level(logging.WARNING)

    # Rasa's wrapper hides the failure: no tracker, as if the shopper were new ...
    assert await failsafe.retrieve(SENDER) is None
    # ... but the guarded store knows, and says so once.
    assert store.is_down()
    assert store.was_spoiled(SENDER)
    assert not store.probe()
    alerts = [r for r in caplog.records if "ALERT tracker_store_down" in r.getMessage()]
    assert len(alerts) == 1

    # Rasa would now save a blank tracker; it must never reach the database.
    blank = DialogueStateTracker(SENDER, DOMAIN.slots)
    blank.update(ActionExecuted("action_listen"))
    blank.update(UserUttered("yes", {"name": "affirm"}))
    postgres.start()
    await failsafe.save(blank)  # the sender is tainted: refused, kept in memory only

    assert store.probe()
    assert not store.is_down()
    assert any("tracker_store_recovered" in r.getMessage() for r in caplog.records)
    restored = await failsafe.retrieve(SENDER)
    assert restored is not None
    assert restored.get_slot("order_number") == "112-4839201-5573910"
    assert [e.as_dict()["event"] for e in restored.events].count("user") == 1
    assert not store.was_spoiled(SENDER)  # read again: it may be saved again


async def test_pooled_connections_survive_a_restart(
    store: GuardedSQLTrackerStore, postgres: LocalPostgres
) -> None:
    await store.save(conversation())
    postgres.stop()
    postgres.start()
    # Without pool_pre_ping the first use after a restart fails on a dead connection.
    assert await store.retrieve(SENDER) is not None
    assert store.health.as_dict()["failures"] == 0


def receive_handler(channel: SignedRestInput, on_new_message: Any) -> Any:
    blueprint = channel.blueprint(on_new_message)
    for route in blueprint._future_routes:
        if route.uri == "/webhook":
            return route.handler
    raise AssertionError("no /webhook route")


def rest_request(text: str) -> Any:
    return SimpleNamespace(json={"sender": SENDER, "message": text}, args={})


async def test_channel_answers_503_while_the_store_is_down(
    store: GuardedSQLTrackerStore, postgres: LocalPostgres
) -> None:
    handled: list[str] = []

    async def on_new_message(message: UserMessage) -> None:
        handled.append(message.text or "")
        await message.output_channel.send_text_message(SENDER, "hello")

    receive = receive_handler(SignedRestInput(), on_new_message)
    ok = await receive(rest_request("hi"))
    assert ok.status == 200
    postgres.stop()
    store.probe()  # notices the outage
    refused = await receive(rest_request("are you there?"))
    assert refused.status == 503
    assert handled == ["hi"]  # refused before Rasa touched the conversation
    postgres.start()
    again = await receive(rest_request("and now?"))
    assert again.status == 200
    assert handled == ["hi", "and now?"]


async def test_channel_answers_503_when_the_store_failed_during_the_message(
    store: GuardedSQLTrackerStore, postgres: LocalPostgres
) -> None:
    failsafe = FailSafeTrackerStore(store)

    async def on_new_message(message: UserMessage) -> None:
        postgres.stop()  # the database dies while Rasa handles the message
        await failsafe.retrieve(SENDER)
        await message.output_channel.send_text_message(SENDER, "Hi! How can I help?")

    receive = receive_handler(SignedRestInput(), on_new_message)
    answer = await receive(rest_request("yes please"))
    assert answer.status == 503  # not the reset conversation's greeting


async def test_channel_answers_500_when_rasa_fails(store: GuardedSQLTrackerStore) -> None:
    async def on_new_message(message: UserMessage) -> None:
        raise RuntimeError("lock store unreachable")

    receive = receive_handler(SignedRestInput(), on_new_message)
    answer = await receive(rest_request("hi"))
    assert answer.status == 500


async def test_health_sees_an_outage_at_once_and_the_recovery(
    store: GuardedSQLTrackerStore, postgres: LocalPostgres
) -> None:
    async def on_new_message(message: UserMessage) -> None:
        return None

    routes = SignedRestInput().blueprint(on_new_message)._future_routes
    health = next(r.handler for r in routes if r.uri == "/health")
    assert (await health(rest_request(""))).status == 200
    postgres.stop()
    down = await health(rest_request(""))
    assert down.status == 503
    assert json.loads(down.body)["tracker_store"]["status"] == "down"
    postgres.start()
    assert (await health(rest_request(""))).status == 200
