"""The error shape for failures outside the routers' own checks."""

from __future__ import annotations

import pytest


def test_an_unreachable_database_is_a_503_not_a_500(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import OperationalError

    from tierline_desk.main import create_app
    from tierline_desk.services import chat

    def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(chat, "create_conversation", down)
    with TestClient(create_app()) as web:
        resp = web.post("/chat/api/session", json={})
    assert resp.status_code == 503
    assert resp.json()["detail"]["code"] == "database_unavailable"
    assert resp.headers["retry-after"] == "2"
