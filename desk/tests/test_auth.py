from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.utils.desk import MAYA, code_of

LOOKUP = {"order_number": "112-4839201-5573910", **MAYA}


def test_healthz_is_open(client: TestClient) -> None:
    resp = client.get("/healthz", headers={"Authorization": ""})
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer test-desk-token-012345678"},  # a prefix of the real one
        {"Authorization": "Basic dGVzdDp0ZXN0"},
        {"Authorization": "Bearer"},
    ],
)
def test_api_rejects_missing_or_wrong_token(client: TestClient, headers: dict[str, str]) -> None:
    client.headers.pop("Authorization")
    resp = client.post("/api/v1/orders/lookup", json=LOOKUP, headers=headers)
    assert resp.status_code == 401
    assert code_of(resp) == "unauthorized"
    assert resp.headers["www-authenticate"] == "Bearer"
    assert "order_number" not in resp.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/promo-codes/WELCOME10"),
        ("GET", "/api/v1/callbacks"),
        ("GET", "/api/v1/handoffs"),
        ("POST", "/api/v1/cases"),
        ("POST", "/api/v1/transcript-requests"),
        ("POST", "/api/v1/returns"),
    ],
)
def test_every_api_route_needs_the_token(client: TestClient, method: str, path: str) -> None:
    resp = client.request(method, path, headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401


def test_right_token_is_accepted(client: TestClient) -> None:
    assert client.post("/api/v1/orders/lookup", json=LOOKUP).status_code == 200


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    resp = client.get("/api/v1/nothing-here")
    assert resp.status_code == 404
    assert code_of(resp) == "not_found"
