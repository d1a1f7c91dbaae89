"""What a typed message becomes before it is stored (services/shopper_messages.py)."""

from __future__ import annotations

import pytest

from tierline_desk.services.shopper_messages import Message, Refused, read_text
from tierline_desk.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings() -> None:
    get_settings.cache_clear()


def test_typed_text_is_cleaned_and_relayed_as_plain_text() -> None:
    read = read_text("  where is my order?  ")
    assert read == Message("where is my order?", "where is my order?")


def test_an_empty_message_is_refused() -> None:
    read = read_text("   ")
    assert isinstance(read, Refused) and read.code == "empty_message"


def test_a_message_over_the_limit_is_refused_with_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHAT_MAX_MESSAGE_CHARS", "10")
    get_settings.cache_clear()
    read = read_text("x" * 11)
    assert isinstance(read, Refused) and read.code == "too_long" and read.extra == {"limit": 10}
