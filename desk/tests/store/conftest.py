"""The store contract suite's fixtures: every test in tests/store that asks for ``store_name``
(directly, or through ``app``/``client``/``login``/``session`` here) runs once per adapter.

Adding an adapter is one entry in ``ADAPTERS``: its name (the STORE setting) and the fixture
that makes it ready (starts the store with the demo data, sets its settings), imported from a
helpers module into this conftest. The builtin store needs nothing: the index is the store.
The medusa store is the session's real Medusa (tests/utils/medusa_server.py), seeded once;
each test gets its own desk database, a copy of one whose index was filled from that Medusa.

A test that changes an order uses its own (``new_order``, tests/utils/store_orders.py): the
session's Medusa is shared by every test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.console import login, make_ticket
from tests.utils.databases import DeskDatabases, Template
from tests.utils.desk import API_TOKEN
from tests.utils.lost_attempts import retried_action
from tests.utils.medusa_server import (
    ADMIN_EMAIL,
    CLIENT_TIMEOUT,
    MEDUSA_TIMEOUT,
    MedusaServer,
    medusa,
    seeded_medusa,
)
from tests.utils.store_orders import BuiltinOrders, MedusaOrders, OrderMaker
from tierline_desk import store as store_package
from tierline_desk.db import get_session_factory, reset_engines
from tierline_desk.migrate import upgrade_head
from tierline_desk.services.agents import seed_demo_agents
from tierline_desk.settings import get_settings
from tierline_desk.store import StorePort, reset_store
from tierline_desk.store.medusa.adapter import MedusaStore

__all__ = ["login", "make_ticket", "medusa", "retried_action", "seeded_medusa"]

# STORE value -> the fixture that readies that store (None: nothing to start).
ADAPTERS: dict[str, str | None] = {
    "builtin": None,
    "medusa": "medusa_desk",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A medusa test may be the one that starts and seeds the session's Medusa (minutes)."""
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("store_name") == "medusa":
            item.add_marker(pytest.mark.timeout(MEDUSA_TIMEOUT))


@pytest.fixture(scope="session")
def medusa_template(
    tmp_path_factory: pytest.TempPathFactory,
    databases: DeskDatabases,
    seeded_medusa: MedusaServer,
) -> Iterator[Template]:
    """A desk database for STORE=medusa: migrated, the demo agents, and the index filled from
    the session's Medusa by the adapter's own full pass. Each medusa test gets a copy."""

    def fill(url: str) -> None:
        upgrade_head(url)
        factory = get_session_factory(url)
        with factory() as session:
            seed_demo_agents(session)
        store = MedusaStore(seeded_medusa.client())
        indexed = store.index_all(factory)
        assert indexed >= 44, indexed
        reset_engines()

    with databases.template(tmp_path_factory.mktemp("medusa-template"), fill) as template:
        yield template


@pytest.fixture
def medusa_desk(
    seeded_medusa: MedusaServer,
    medusa_template: Template,
    databases: DeskDatabases,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db: str,
) -> Iterator[MedusaServer]:
    """The desk pointed at the session's Medusa, on its own copy of the medusa index."""
    workdir = tmp_path / "medusa-desk"
    workdir.mkdir()
    url = databases.copy_of(medusa_template, workdir)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("MEDUSA_URL", seeded_medusa.url)
    monkeypatch.setenv("MEDUSA_ADMIN_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("MEDUSA_ADMIN_PASSWORD", seeded_medusa.admin_password)
    monkeypatch.setenv("MEDUSA_TIMEOUT_SECONDS", str(CLIENT_TIMEOUT))  # a busy test machine
    monkeypatch.setenv("TIERLINE_EVENTS_SECRET", seeded_medusa.events.secret)
    # No poller unless a test starts one: a full pass in the background of every test would
    # only slow them down (tests/store/medusa/test_adapter.py tests it).
    monkeypatch.setenv("STORE_POLL_SECONDS", "0")
    get_settings.cache_clear()
    reset_engines()
    yield seeded_medusa
    reset_store()
    databases.settle(url)
    reset_engines()
    databases.release(url)


@pytest.fixture(
    params=[
        # An adapter that needs a fixture runs a real store: those cases are integration tests.
        pytest.param(name, marks=pytest.mark.services) if ready else name
        for name, ready in ADAPTERS.items()
    ]
)
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
def session(store_name: str) -> Iterator[Session]:
    """The desk database of the adapter under test."""
    with get_session_factory()() as s:
        yield s


@pytest.fixture(scope="session")
def medusa_orders(seeded_medusa: MedusaServer) -> MedusaOrders:
    return MedusaOrders(seeded_medusa.client())


@pytest.fixture
def new_order(request: pytest.FixtureRequest, store_name: str, session: Session) -> OrderMaker:
    """New orders in the store under test (tests/utils/store_orders.py)."""
    if store_name == "medusa":
        maker: OrderMaker = request.getfixturevalue("medusa_orders")
        return maker
    return BuiltinOrders(session)


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
    """Put a stand-in adapter (utils/store_actions.py) behind ``get_store()`` for this test."""

    def _use(store: StorePort) -> None:
        monkeypatch.setattr(store_package, "_store", store)

    return _use
