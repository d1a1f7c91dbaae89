"""An SQL tracker store that never lets a database failure pass as a new conversation.

Rasa wraps every tracker store in ``FailSafeTrackerStore``. When the database fails, its
``retrieve`` returns None (so Rasa starts a brand-new tracker for the shopper) and its ``save``
writes to an in-memory store instead, with only a log line. The shopper's conversation resets
and nobody is told.

``GuardedSQLTrackerStore`` keeps the fail-safe wrapper from doing harm:

- a failed read marks the conversation *tainted*: until a read succeeds again, saving it is
  refused, so a blank tracker made during the outage is never written over the real one;
- the store keeps its health (down since when, failures, last error); going down and coming
  back are logged once each, at ERROR with ``ALERT tracker_store_down`` and at WARNING with
  ``tracker_store_recovered``;
- :func:`active_store` lets the REST channel (rasa_extensions/channels/signed_rest.py) refuse a
  message while the store is down and answer 503 when the store failed during a message, so the desk
  tells the shopper and offers a person instead of relaying a reset conversation;
- connections are checked before use (``pool_pre_ping``), so after PostgreSQL restarts the
  first message reconnects instead of failing on a dead pooled connection;
- reads and writes run on a small thread pool, not on the event loop. Rasa's SQL store queries
  the database synchronously inside its async methods, so each query stalled the whole replica:
  under load a replica spent most of its time waiting for PostgreSQL with its CPU idle, stopped
  accepting connections (its listen backlog full), and when the other replica died it could
  not take the extra load (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from rasa.core.tracker_store import create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions.tracker_stores.session_bounded import SessionBoundedSQLTrackerStore

logger = logging.getLogger(__name__)

_active: weakref.ref[GuardedSQLTrackerStore] | None = None
T = TypeVar("T")
# Database calls of one replica in flight at once; below its connection pool (SQL_POOL_SIZE).
DATABASE_THREADS = 8


def run_to_end(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends to its end, in the calling thread.

    Rasa's SQL store's methods are such coroutines: their only ``await`` is ``stream_events``,
    which returns at once when no event broker is configured. One that does suspend is closed
    and reported, never left half run.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("the tracker store suspended: it cannot run off the event loop")


class TrackerStoreUnavailable(RuntimeError):
    """The conversation database can't be used right now; nothing was saved."""


@dataclass
class StoreHealth:
    """What the store knows about its database, safe to read from any thread."""

    down_since: float | None = None
    failures: int = 0
    last_error: str = ""
    tainted: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def failed(self, sender_id: str | None, error: BaseException) -> None:
        with self.lock:
            self.failures += 1
            self.last_error = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
            if sender_id is not None:
                self.tainted.add(sender_id)
            if self.down_since is None:
                self.down_since = time.time()
                logger.error(
                    "ALERT tracker_store_down: the conversation database failed (%s); "
                    "messages are refused until it answers again",
                    self.last_error,
                )

    def succeeded(self, sender_id: str | None) -> None:
        with self.lock:
            if sender_id is not None:
                self.tainted.discard(sender_id)
            if self.down_since is not None:
                logger.warning(
                    "tracker_store_recovered after %.1f s (%d failures)",
                    time.time() - self.down_since,
                    self.failures,
                )
                self.down_since = None

    def is_down(self) -> bool:
        with self.lock:
            return self.down_since is not None

    def is_tainted(self, sender_id: str) -> bool:
        with self.lock:
            return sender_id in self.tainted

    def as_dict(self) -> dict[str, Any]:
        with self.lock:
            return {
                "status": "down" if self.down_since is not None else "ok",
                "down_since": self.down_since,
                "failures": self.failures,
                "last_error": self.last_error,
            }


class GuardedSQLTrackerStore(SessionBoundedSQLTrackerStore):
    """The session-bounded SQL store, reporting failures instead of letting a conversation reset."""

    engine: sa.engine.Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Connect like ``SQLTrackerStore``; then check pooled connections before each use."""
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.health = StoreHealth()
        self._database_threads = ThreadPoolExecutor(
            max_workers=DATABASE_THREADS, thread_name_prefix="tracker-store"
        )
        global _active
        _active = weakref.ref(self)  # Rasa makes one per process; the latest one is in use

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        try:
            tracker: DialogueStateTracker | None = await self._off_the_loop(
                super()._retrieve(sender_id, fetch_events_from_all_sessions)
            )
        except Exception as error:
            self.health.failed(sender_id, error)
            raise
        self.health.succeeded(sender_id)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save, unless this conversation could not be read: then raise, write nothing."""
        sender_id = str(tracker.sender_id)
        if self.health.is_tainted(sender_id):
            raise TrackerStoreUnavailable(
                f"conversation {sender_id} was not read from the database; not saving it"
            )
        try:
            await self._off_the_loop(super().save(tracker))
        except Exception as error:
            self.health.failed(sender_id, error)
            raise

    async def _off_the_loop(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Await one of the SQL store's methods on the database threads.

        With an event broker configured, ``save`` awaits ``retrieve`` on the loop: then the
        method runs on the loop as before.
        """
        if self.event_broker is not None:
            return await coroutine
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._database_threads, run_to_end, coroutine)

    def probe(self) -> bool:
        """One ``SELECT 1``: True (and marked healthy) when the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except Exception as error:
            self.health.failed(None, error)
            return False
        self.health.succeeded(None)
        return True

    def is_down(self) -> bool:
        """The last use failed and nothing has succeeded since."""
        return self.health.is_down()

    def was_spoiled(self, sender_id: str) -> bool:
        """Whether this conversation could not be read (or saved) during its last message."""
        return self.health.is_tainted(sender_id)


def active_store() -> GuardedSQLTrackerStore | None:
    """The guarded store this Rasa process uses, if it is configured."""
    return _active() if _active is not None else None
