"""Fixtures for the agent console tests: the app and an anonymous client; ``login`` (one
TestClient per logged-in agent), ``make_ticket`` and ``alex_ticket`` (a ticket Alex claimed)
come from tests/utils/console.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.utils.console import alex_ticket, daily_cap_of_30, login, make_ticket

__all__ = ["alex_ticket", "daily_cap_of_30", "login", "make_ticket"]


@pytest.fixture
def app(db: str) -> FastAPI:
    from tierline_desk.main import create_app

    return create_app()


@pytest.fixture
def anon(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
