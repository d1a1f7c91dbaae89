from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions.runtime import action_results
from rasa_extensions.tracker_stores.session_bounded import (
    SessionBoundedSQLTrackerStore,
    carried_events,
    is_quiet,
)

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, track_package]
slots:
  order_number:
    type: text
    mappings: [{type: custom}]
  bot_log:
    type: list
    influence_conversation: false
    mappings: [{type: custom}]
  verified_order:
    type: bool
    initial_value: false
    mappings: [{type: custom}]
forms:
  order_form:
    required_slots: [order_number]
responses:
  utter_greet: [{text: "Hi"}]
"""
)
MAX_EVENTS = 40
CARRIED = 6


def turn(number: int) -> list[Event]:
    """One exchange: the shopper asks, the bot answers and sets a slot, then listens."""
    return [
        UserUttered(f"message {number}", {"name": "track_package", "confidence": 1.0}),
        ActionExecuted("action_lookup_order"),
        BotUttered(f"answer {number}"),
        SlotSet("order_number", f"order-{number}"),
        ActionExecuted(ACTION_LISTEN_NAME),
    ]


def conversation(turns: int, sender: str = "shopper-1") -> DialogueStateTracker:
    events: list[Event] = [ActionExecuted(ACTION_LISTEN_NAME)]
    for number in range(1, turns + 1):
        events += turn(number)
    return DialogueStateTracker.from_events(sender, events, DOMAIN.slots)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SessionBoundedSQLTrackerStore]:
    store = SessionBoundedSQLTrackerStore(
        domain=DOMAIN,
        dialect="sqlite",
        db=str(tmp_path / "tracker.sqlite3"),
        max_session_events=str(MAX_EVENTS),  # as Rasa passes values from ${ENV} in endpoints
        carried_messages=CARRIED,
    )
    yield store
    action_results.uninstall()


def messages(tracker: DialogueStateTracker) -> list[str]:
    return [
        str(event.text) for event in tracker.events if isinstance(event, (UserUttered, BotUttered))
    ]


async def test_short_conversation_is_stored_as_it_is(store: SessionBoundedSQLTrackerStore) -> None:
    tracker = conversation(3)
    await store.save(tracker)
    loaded = await store.retrieve("shopper-1")
    assert loaded is not None
    assert list(loaded.events) == list(tracker.events)


async def test_long_session_restarts_with_slots_and_last_messages(
    store: SessionBoundedSQLTrackerStore,
) -> None:
    tracker = conversation(9)  # 46 events: over the limit, and the bot is listening
    tracker.update(SlotSet("verified_order", True))
    tracker.update(SlotSet("bot_log", ["looked up order-1"]))
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    await store.save(tracker)

    loaded = await store.retrieve("shopper-1")
    assert loaded is not None
    assert isinstance(loaded.events[0], SessionStarted)
    assert len(loaded.events) < MAX_EVENTS
    assert loaded.get_slot("order_number") == "order-9"
    assert loaded.get_slot("verified_order") is True
    assert loaded.get_slot("bot_log") == ["looked up order-1"]
    assert messages(loaded) == [
        "message 7",
        "answer 7",
        "message 8",
        "answer 8",
        "message 9",
        "answer 9",
    ]
    assert loaded.latest_message is not None and loaded.latest_message.text == "message 9"
    assert loaded.latest_action_name == ACTION_LISTEN_NAME
    # The whole history is still in the database.
    everything = await store.retrieve_full_tracker("shopper-1")
    assert everything is not None
    assert messages(everything)[:2] == ["message 1", "answer 1"]
    starts = [e for e in everything.events if isinstance(e, ActionExecuted)]
    assert ACTION_SESSION_START_NAME in [e.action_name for e in starts]


async def test_next_message_after_a_new_session_is_kept(
    store: SessionBoundedSQLTrackerStore,
) -> None:
    tracker = conversation(9)
    await store.save(tracker)
    await store.save(tracker)  # saving the same object again stores nothing twice
    loaded = await store.retrieve("shopper-1")
    assert loaded is not None
    count = len(loaded.events)
    for event in turn(10):
        loaded.update(event)
    await store.save(loaded)
    again = await store.retrieve("shopper-1")
    assert again is not None
    assert len(again.events) == count + len(turn(10))
    assert messages(again)[-2:] == ["message 10", "answer 10"]
    assert again.get_slot("order_number") == "order-10"


async def test_sessions_stay_bounded_over_a_long_conversation(
    store: SessionBoundedSQLTrackerStore,
) -> None:
    tracker = conversation(0)
    await store.save(tracker)
    for number in range(1, 301):
        loaded = await store.retrieve("shopper-1")
        assert loaded is not None
        assert len(loaded.events) <= MAX_EVENTS
        for event in turn(number):
            loaded.update(event)
        await store.save(loaded)
    final = await store.retrieve("shopper-1")
    assert final is not None
    assert messages(final)[-2:] == ["message 300", "answer 300"]
    everything = await store.retrieve_full_tracker("shopper-1")
    assert everything is not None
    said = [m for m in messages(everything) if m.startswith("message")]
    assert said[:3] == ["message 1", "message 2", "message 3"]
    assert said[-1] == "message 300"


@pytest.mark.parametrize(
    "last_events",
    [
        [ActiveLoop("order_form"), ActionExecuted(ACTION_LISTEN_NAME)],
        [ConversationPaused(), ActionExecuted(ACTION_LISTEN_NAME)],
        [UserUttered("still typing", {"name": "greet", "confidence": 1.0})],
    ],
    ids=["form open", "paused", "bot not listening"],
)
async def test_no_new_session_at_a_busy_moment(
    store: SessionBoundedSQLTrackerStore, last_events: list[Event]
) -> None:
    tracker = conversation(9)
    for event in last_events:
        tracker.update(event)
    assert not is_quiet(tracker)
    await store.save(tracker)
    loaded = await store.retrieve("shopper-1")
    assert loaded is not None
    assert not any(isinstance(event, SessionStarted) for event in loaded.events)
    assert len(loaded.events) == len(tracker.events)


def test_last_turn_is_carried_whole_and_earlier_turns_as_messages() -> None:
    events = list(conversation(5).events)
    carried = carried_events(events, 4)
    assert [type(e).__name__ for e in carried] == [
        "UserUttered",
        "BotUttered",  # turn 4: messages only
        "ActionExecuted",
        "UserUttered",
        "ActionExecuted",
        "BotUttered",
        "SlotSet",
        "ActionExecuted",
    ]
    assert [e.text for e in carried if isinstance(e, (UserUttered, BotUttered))] == [
        "message 4",
        "answer 4",
        "message 5",
        "answer 5",
    ]
    assert isinstance(carried[2], ActionExecuted)
    assert carried[2].action_name == ACTION_LISTEN_NAME


async def test_sessions_are_read_through_an_index(store: SessionBoundedSQLTrackerStore) -> None:
    with store.engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT max(timestamp) FROM events "
            "WHERE sender_id = 'x' AND type_name = 'session_started'"
        ).all()
    assert "ix_events_sender_type_time" in str(plan)


def test_limits_must_leave_room_for_the_carried_messages(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least twice"):
        SessionBoundedSQLTrackerStore(
            domain=DOMAIN,
            db=str(tmp_path / "t.sqlite3"),
            max_session_events=10,
            carried_messages=12,
        )


def test_store_installs_the_fast_action_result_check(
    store: SessionBoundedSQLTrackerStore,
) -> None:
    assert (
        RemoteAction._validate_action_result.__module__ == "rasa_extensions.runtime.action_results"
    )


async def test_sqlite_runs_in_write_ahead_log_mode(store: SessionBoundedSQLTrackerStore) -> None:
    await store.save(conversation(1))
    with store.engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        synchronous = connection.exec_driver_sql("PRAGMA synchronous").scalar()
    assert (mode, synchronous) == ("wal", 1)  # 1 is NORMAL


def test_a_replica_creating_the_same_index_at_once_is_not_an_error(
    store: SessionBoundedSQLTrackerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlalchemy as sa

    class RacedConnection:
        def __enter__(self) -> RacedConnection:
            return self

        def __exit__(self, *_: object) -> None:
            return None

        def execute(self, statement: object) -> None:
            raise sa.exc.IntegrityError(str(statement), {}, Exception("pg_class_relname_nsp_index"))

    monkeypatch.setattr(
        store, "engine", type("Engine", (), {"begin": lambda self: RacedConnection()})()
    )
    store._create_session_indexes()  # no exception: the index exists, made by the other replica
