from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tierline_desk.settings import get_settings


def test_return_policy_reports_the_configured_window(client: TestClient) -> None:
    assert client.get("/api/v1/policies/returns").json() == {"window_days": 30}


def test_return_policy_follows_the_setting(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "45")
    get_settings.cache_clear()
    assert client.get("/api/v1/policies/returns").json() == {"window_days": 45}


def test_return_policy_needs_the_token(client: TestClient) -> None:
    response = client.get("/api/v1/policies/returns", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
