"""CORS only where the widget calls cross-origin; the console API answers no origin."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.utils.console import PASSWORDS
from tests.utils.web_chat import web
from tierline_desk.settings import get_settings

__all__ = ["web"]  # the fixture (on this module's app), imported for use here

SHOP = "https://shop.example"


@pytest.fixture
def app(db: str, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("CHAT_ALLOWED_ORIGINS", f"{SHOP}, https://other.example")
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    return create_app()


def preflight(web: TestClient, path: str, method: str = "POST") -> dict[str, str]:
    resp = web.options(
        path,
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type,x-csrf-token",
        },
    )
    return {k.lower(): v for k, v in resp.headers.items()}


def cors_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.startswith("access-control-")}


def test_the_widgets_session_endpoint_answers_an_allowed_shop(web: TestClient) -> None:
    headers = preflight(web, "/chat/api/session")
    assert headers["access-control-allow-origin"] == SHOP
    assert headers["access-control-allow-credentials"] == "true"
    resp = web.post("/chat/api/session", json={}, headers={"Origin": SHOP})
    assert resp.status_code == 200
    assert resp.headers["access-control-allow-origin"] == SHOP


def test_an_unlisted_origin_gets_nothing_from_the_widgets_endpoint(web: TestClient) -> None:
    resp = web.post("/chat/api/session", json={}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in resp.headers


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/console/api/me", "GET"),
        ("/console/api/login", "POST"),
        ("/console/api/logout", "POST"),
        ("/console/api/tickets", "GET"),
        ("/api/v1/policies", "GET"),
    ],
)
def test_the_console_api_sends_no_cors_headers_to_an_allowed_shop(
    web: TestClient, path: str, method: str
) -> None:
    assert cors_headers(preflight(web, path, method)) == {}


def test_a_shop_page_cannot_read_an_agents_session(web: TestClient) -> None:
    login = web.post(
        "/console/api/login",
        json={"username": "alex", "password": PASSWORDS["alex"]},
        headers={"Origin": SHOP},
    )
    assert login.status_code == 200
    assert "access-control-allow-origin" not in login.headers
    me = web.get("/console/api/me", headers={"Origin": SHOP})
    assert me.status_code == 200  # the agent's own browser still works
    assert cors_headers({k.lower(): v for k, v in me.headers.items()}) == {}
