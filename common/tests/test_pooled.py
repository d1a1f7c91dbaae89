"""The shared client: one per process, built again once closed or taken."""

from __future__ import annotations

from tierline_common.pooled import Pooled


class FakeClient:
    def __init__(self) -> None:
        self.is_closed = False


def test_one_client_until_it_is_closed() -> None:
    pooled = Pooled(FakeClient)
    first = pooled.get()
    assert pooled.get() is first
    first.is_closed = True
    second = pooled.get()
    assert second is not first
    assert pooled.get() is second


def test_take_hands_the_client_over_and_forgets_it() -> None:
    pooled = Pooled(FakeClient)
    assert pooled.take() is None
    first = pooled.get()
    assert pooled.take() is first
    assert pooled.take() is None
    assert pooled.get() is not first
