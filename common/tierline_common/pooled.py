"""One shared client for the process (an HTTP connection pool).

Built on first use, built again once it is closed, handed over to be closed at shutdown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    @property
    def is_closed(self) -> bool: ...


C = TypeVar("C", bound=Closable)


class Pooled(Generic[C]):
    """The client ``factory`` builds, shared by every caller in any thread."""

    def __init__(self, factory: Callable[[], C]) -> None:
        self._factory = factory
        self._client: C | None = None
        self._lock = threading.Lock()

    def get(self) -> C:
        """The shared client, built now if there is none yet or the last one was closed."""
        with self._lock:
            if self._client is None or self._client.is_closed:
                self._client = self._factory()
            return self._client

    def take(self) -> C | None:
        """The shared client, forgotten here so the next :meth:`get` builds another.

        The caller closes it. None when there is none.
        """
        with self._lock:
            client, self._client = self._client, None
            return client
