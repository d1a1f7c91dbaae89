"""An SQL tracker store that keeps each conversation's working history short.

Rasa's SQL tracker store reads every event of the current session on each message, the rule
policy walks all of them, and every custom action call sends all of them to the action server.
A conversation that goes on for hundreds of turns gets slower with every turn (ten times slower
at turn 300 in docs/benchmarks.md). Sessions bound that, but Rasa only starts a new one after a
pause measured in minutes (``session_config``).

This store also starts a new session when the current one has grown past
``max_session_events``, at a quiet moment: the bot is listening, no form is open, the
conversation is not paused. The new session begins the way Rasa begins one
(``action_session_start``, ``session_started``, every slot carried over), followed by fresh
copies of the last turn and of earlier messages, ``carried_messages`` in all, so rules that
look at the previous turn and the case card an agent sees still find them. Nothing is deleted: the
database keeps every event, and only the current session is loaded.

The store adds two indexes so the current session is read without walking the whole history,
and on SQLite (the embedded default) it turns on the write-ahead log.

Rasa creates the tracker store once per server process, so this is also where Tierline's
other runtime changes are installed (rasa_extensions/runtime/).
"""

from __future__ import annotations

import copy
import logging
import time
from collections import deque
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions.runtime import action_results

logger = logging.getLogger(__name__)

DEFAULT_MAX_SESSION_EVENTS = 120
DEFAULT_CARRIED_MESSAGES = 12
# Spacing of the timestamps given to the new session's events: they must sort after the new
# session_started (Rasa loads a session by timestamp) and before anything said next.
_TIMESTAMP_STEP = 1e-6


def use_write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
    """SQLite pragmas for every new connection: WAL, and no fsync on each commit.

    With SQLite's defaults every commit (two per message) waits for the disk while the Rasa
    server's event loop is blocked. In WAL mode with ``synchronous=NORMAL`` a commit survives
    the process crashing; only a power cut can lose the last moments.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def is_quiet(tracker: DialogueStateTracker) -> bool:
    """The bot is waiting for the shopper, with no form open and no person in charge."""
    if not tracker.events or tracker.is_paused() or tracker.active_loop_name:
        return False
    if tracker.followup_action:
        return False
    last = tracker.events[-1]
    return isinstance(last, ActionExecuted) and last.action_name == ACTION_LISTEN_NAME


def _is_listen(event: Event | None) -> bool:
    return isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN_NAME


def last_turn_start(events: list[Event]) -> int | None:
    """Where the last turn begins: the ``action_listen`` before the shopper's last message."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, (SessionStarted, Restarted)):
            return None
        if isinstance(event, UserUttered):
            return index - 1 if index > 0 and _is_listen(events[index - 1]) else index
    return None


def carried_events(events: list[Event], carried_messages: int) -> list[Event]:
    """What the new session starts with after its slots.

    The last turn whole (every event from the ``action_listen`` before the shopper's last
    message), so rules that look at it still match; before it, only the shopper's and the
    bot's messages, back to ``carried_messages`` messages in all, for the case card an agent
    sees and for actions that read what was said.
    """
    start = last_turn_start(events)
    if start is None:
        return [events[-1]]
    last_turn = events[start:]
    wanted = carried_messages - sum(isinstance(e, (UserUttered, BotUttered)) for e in last_turn)
    earlier: list[Event] = []
    for event in reversed(events[:start]):
        if wanted <= 0 or isinstance(event, (SessionStarted, Restarted)):
            break
        if isinstance(event, (UserUttered, BotUttered)):
            earlier.append(event)
            wanted -= 1
    return [*reversed(earlier), *last_turn]


def new_session_events(
    tracker: DialogueStateTracker, carried_messages: int, now: float
) -> list[Event]:
    """A new session: session start, every slot's value, then the carried events (copies)."""
    carried = carried_events(list(tracker.events), carried_messages)
    slots = [
        SlotSet(name, slot.value)
        for name, slot in tracker.slots.items()
        if slot.value != slot.initial_value
    ]
    fresh: list[Event] = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), *slots]
    fresh += [copy.deepcopy(event) for event in carried]
    for offset, event in enumerate(fresh):
        event.timestamp = now + offset * _TIMESTAMP_STEP
    return fresh


class SessionBoundedSQLTrackerStore(SQLTrackerStore):  # type: ignore[misc]
    """``SQLTrackerStore`` that starts a new session when the current one gets long."""

    def __init__(
        self,
        domain: Domain | None = None,
        max_session_events: int | str = DEFAULT_MAX_SESSION_EVENTS,
        carried_messages: int | str = DEFAULT_CARRIED_MESSAGES,
        **kwargs: Any,
    ) -> None:
        super().__init__(domain=domain, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", use_write_ahead_log)
        self._create_session_indexes()
        self.max_session_events = int(max_session_events)
        self.carried_messages = int(carried_messages)
        if self.max_session_events < 2 * self.carried_messages:
            raise ValueError(
                "max_session_events must be at least twice carried_messages, "
                f"got {self.max_session_events} and {self.carried_messages}"
            )
        action_results.install()

    def _create_session_indexes(self) -> None:
        """Indexes that let a session be found and read without scanning the whole history.

        Rasa finds the current session with ``max(timestamp)`` of the sender's
        ``session_started`` events and then reads the sender's events from that timestamp on;
        with only its index on ``sender_id`` both walk every event the shopper ever had.
        """
        table = self.SQLEvent.__tablename__
        for name, columns in (
            ("ix_events_sender_type_time", "sender_id, type_name, timestamp"),
            ("ix_events_sender_time", "sender_id, timestamp"),
        ):
            statement = f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})"
            try:
                with self.engine.begin() as connection:
                    connection.execute(sa.text(statement))
            except sa.exc.IntegrityError:
                # PostgreSQL: another Rasa replica created it at the same moment ("IF NOT
                # EXISTS" does not guard against that race). It exists either way.
                logger.info("index %s was created by another process", name)

    def should_start_new_session(self, tracker: DialogueStateTracker) -> bool:
        """The session is over the limit and the conversation is at a quiet moment."""
        return len(tracker.events) > self.max_session_events and is_quiet(tracker)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Saves the new events, first starting a new session when this one is too long."""
        if not self.should_start_new_session(tracker):
            await super().save(tracker)
            return
        fresh = new_session_events(tracker, self.carried_messages, time.time())
        for event in fresh:
            tracker.update(event)
        await super().save(tracker)
        # Keep only the new session in memory too, as a later retrieve would return it:
        # the base class counts the stored events of the current session to find new ones.
        first = len(tracker.events) - len(fresh) + 1  # the session_started event
        tracker.events = deque(list(tracker.events)[first:], maxlen=tracker.events.maxlen)
