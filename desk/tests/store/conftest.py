"""The store contract suite's fixtures: every test in tests/store that asks for ``store_name``
(directly, or through ``app``/``client``/``login`` here) runs once per adapter.

Adding an adapter is one entry in ``ADAPTERS``: its name (the STORE setting) and the fixture
that makes it ready (starts the store with the demo data, sets its settings), imported from a
helpers module into this conftest. The builtin store needs nothing: the index is the store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import API_TOKEN
from tests.console.conftest import login, make_ticket
from tierline_desk import store as store_package
from tierline_desk.settings import get_settings
from tierline_desk.store import StorePort, reset_store

__all__ = ["login", "make_ticket"]

# STORE value -> the fixture that readies that store (None: nothing to start).
ADAPTERS: dict[str, str | None] = {
    "builtin": None,
}


@pytest.fixture(params=list(ADAPTERS))
def store_name(
    request: pytest.FixtureRequest, db: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The adapter under test, configured (STORE=<name>) on top of the demo-seeded ``db``."""
    name: str = request.param
    ready = ADAPTERS[name]
    if ready is not None:
        request.getfixturevalue(ready)
    monkeypatch.setenv("STORE", name)
    get_settings.cache_clear()
    reset_store()
    yield name
    reset_store()


@pytest.fixture
def app(store_name: str) -> FastAPI:
    """The desk on the adapter under test (console logins in ``login`` use it too)."""
    from tierline_desk.main import create_app

    return create_app()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The bot's side of the API (bearer token), on the adapter under test."""
    with TestClient(app, headers={"Authorization": f"Bearer {API_TOKEN}"}) as c:
        yield c


@pytest.fixture
def use_store(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> Callable[[StorePort], None]:
    """Put a stand-in adapter (tests/store/helpers.py) behind ``get_store()`` for this test."""

    def _use(store: StorePort) -> None:
        monkeypatch.setattr(store_package, "_store", store)

    return _use
