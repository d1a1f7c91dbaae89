from __future__ import annotations

import pytest

from actions.emails import find_email


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("maya.chen@example.com", "maya.chen@example.com"),
        ("it's under Maya.Chen@Example.COM.", "maya.chen@example.com"),
        ("email: <jdoe88@gmail.com>", "jdoe88@gmail.com"),
    ],
)
def test_finds_the_address(text: str, email: str) -> None:
    assert find_email(text) == email


@pytest.mark.parametrize("text", ["maya at example dot com", "maya@example", "no idea"])
def test_no_address(text: str) -> None:
    assert find_email(text) is None
