from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from rasa_extensions.runtime.garbage_collection import freeze_startup_objects


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freezing_takes_live_objects_out_of_the_collectors_generations(unfrozen: None) -> None:
    survivor: list[list[int]] = [[n] for n in range(1000)]
    assert any(item is survivor for item in gc.get_objects())
    freeze_startup_objects()
    assert gc.get_freeze_count() >= len(survivor)
    assert not any(item is survivor for item in gc.get_objects())
