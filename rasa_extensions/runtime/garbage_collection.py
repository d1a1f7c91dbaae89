"""Keeps Python's garbage collector from stopping the Rasa server for a third of a second.

A Rasa server holds over half a million objects once TensorFlow, spaCy and the model are
loaded, and a full collection walks all of them: about 290 ms on this machine, during which no
message is answered (it showed as the slowest 5% of web chat turns in docs/benchmarks.md). Those
objects live as long as the server, so once start-up is over they are moved out of the
collector's sight with ``gc.freeze()``; a full collection then takes about a millisecond.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

logger = logging.getLogger(__name__)


def freeze_startup_objects(*_: Any) -> None:
    """Moves every object alive now into the permanent generation (a Sanic listener)."""
    gc.collect()
    gc.freeze()
    logger.info("froze %d start-up objects out of the garbage collector", gc.get_freeze_count())
