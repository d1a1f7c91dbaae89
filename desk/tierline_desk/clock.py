"""The desk's clock: what ``models.utcnow`` answers, with one explicit seam for demo history.

``seed-history`` (services/demo_history.py) drives the real services as if it were 30 days ago,
so every timestamp they write (``utcnow()`` and the columns' ``default=utcnow``) must follow
its clock. It sets the override for its own context only (a ``ContextVar``), never globally:
other threads and requests keep the real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_override: ContextVar[datetime | None] = ContextVar("tierline_clock_override", default=None)


def now() -> datetime:
    """The current UTC time, or the override set by :func:`frozen_at` in this context."""
    pinned = _override.get()
    return pinned if pinned is not None else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block, this context's clock reads ``moment`` (timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    token = _override.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _override.reset(token)
