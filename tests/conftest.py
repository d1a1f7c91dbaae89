"""Fixtures for the action tests: the fake desk and the domain checks (helpers: tests/utils)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import respx
import yaml
from rasa_sdk.executor import CollectingDispatcher

import actions.desk_client
import actions.settings
from tests.utils.desk import DESK_TOKEN, DESK_URL

ROOT = Path(__file__).resolve().parent.parent

_PLACEHOLDER = re.compile(r"{(\w+)}")


# ------------------------------------------------------------------ environment


@pytest.fixture(autouse=True)
def desk_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test talks to a fake desk at DESK_URL with a known token, with fresh settings."""
    monkeypatch.setenv("DESK_API_TOKEN", DESK_TOKEN)
    monkeypatch.setenv("DESK_URL", DESK_URL)
    monkeypatch.setenv("DESK_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("DEFAULT_PHONE_REGION", "US")
    monkeypatch.setenv("BUSINESS_TIMEZONE", "America/New_York")
    actions.settings.get_settings.cache_clear()
    actions.desk_client._client.take()
    yield
    actions.settings.get_settings.cache_clear()
    actions.desk_client._client.take()


@pytest.fixture
def desk() -> Iterator[respx.MockRouter]:
    """The desk, faked at the HTTP layer. A request to an unmocked route fails the test."""
    with respx.mock(base_url=DESK_URL, assert_all_called=False) as router:
        yield router


# ------------------------------------------------------------------ domain


@pytest.fixture(scope="session")
def domain() -> dict[str, Any]:
    with (ROOT / "domain.yml").open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def response_placeholders(domain: dict[str, Any], response: str) -> set[str]:
    variants = domain["responses"][response]
    return {name for variant in variants for name in _PLACEHOLDER.findall(variant.get("text", ""))}


@pytest.fixture
def dispatcher(domain: dict[str, Any]) -> Iterator[CollectingDispatcher]:
    """A CollectingDispatcher; afterwards, every response it got must render from the domain.

    Each ``response=`` must exist in domain.yml, and each ``{variable}`` in its text must be
    given by the action or be a slot (Rasa fills templates from both).
    """
    collecting = CollectingDispatcher()
    yield collecting
    slots = set(domain["slots"])
    for message in collecting.messages:
        response = message.get("response")
        if not response:
            continue
        assert response in domain["responses"], f"{response} is not in domain.yml"
        missing = response_placeholders(domain, response) - set(message) - slots
        assert not missing, f"{response} was sent without {sorted(missing)}"
