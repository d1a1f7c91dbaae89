"""Races for the tests: calls started together, each in its own thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any


def run_together(
    target: Callable[..., None], calls: Iterable[tuple[Any, ...]], timeout: float = 30
) -> None:
    """``target(*args)`` for each of ``calls``, each in its own thread; returns once all have
    ended (or ``timeout`` seconds passed for each). The target waits on its own barrier, so
    that the calls meet where the race is."""
    threads = [threading.Thread(target=target, args=args) for args in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
