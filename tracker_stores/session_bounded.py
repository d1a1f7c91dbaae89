"""An SQL tracker store that keeps each conversation's working history short.

Rasa's SQL tracker store reads every event of the current session on each message, the rule
policy walks all of them, and every custom action call sends all of them to the action server.
A conversation that goes on for hundreds of turns gets slower with every turn (ten times slower
at turn 300 in bench/results.md). Sessions bound that, but Rasa only starts a new one after a
pause measured in minutes (``session_config``).

This store also starts a new session when the current one has grown past
``max_session_events``, at a quiet moment: the bot is listening, no form is open, the
conversation is not paused. The new session begins the way Rasa begins one
(``action_session_start``, ``session_started``, every slot carried over), followed by fresh
copies of the last turns, enough to hold ``carried_messages`` messages, so rules that look at
the previous turn and the case card an agent sees still find them. Nothing is deleted: the
database keeps every event, and only the current session is loaded.

On SQLite (the embedded default) the store also turns on the write-ahead log.

Rasa creates the tracker store once per server process, so this is also where Tierline's
other runtime changes are installed (rasa_runtime/).
"""

from __future__ import annotations

import copy
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

from rasa_runtime import action_results

DEFAULT_MAX_SESSION_EVENTS = 150
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


def carried_start(events: list[Event], carried_messages: int) -> int | None:
    """Where the carried turns begin: the listen before the oldest turn needed.

    Walks back from the end until ``carried_messages`` shopper and bot messages are covered,
    then back to the start of that turn (the ``action_listen`` before the shopper's message).
    None when the session holds too few turns to carry anything useful.
    """
    messages = 0
    turn_start: int | None = None
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if isinstance(event, (SessionStarted, Restarted)):
            return turn_start
        if isinstance(event, (UserUttered, BotUttered)):
            messages += 1
        if isinstance(event, UserUttered):
            before = events[index - 1] if index > 0 else None
            if isinstance(before, ActionExecuted) and before.action_name == ACTION_LISTEN_NAME:
                turn_start = index - 1
            else:
                turn_start = index
            if messages >= carried_messages:
                return turn_start
    return turn_start


def new_session_events(
    tracker: DialogueStateTracker, carried_messages: int, now: float
) -> list[Event]:
    """A new session: session start, every slot's value, then copies of the last turns."""
    events = list(tracker.events)
    start = carried_start(events, carried_messages)
    carried = events[start:] if start is not None else [events[-1]]
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
        self.max_session_events = int(max_session_events)
        self.carried_messages = int(carried_messages)
        if self.max_session_events < 2 * self.carried_messages:
            raise ValueError(
                "max_session_events must be at least twice carried_messages, "
                f"got {self.max_session_events} and {self.carried_messages}"
            )
        action_results.install()

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
