"""Flood limits: token buckets per key, the 429 on session creation, the cross-socket limit."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.utils.web_chat import FakeRasa, app, rasa, send_burst, start
from tierline_desk.services.rate_limits import KeyedLimiter, Rate, retry_after_header
from tierline_desk.settings import get_settings

__all__ = ["app", "rasa"]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = Clock()
    limiter = KeyedLimiter(Rate(burst=3, per_minute=30), clock)  # one token every 2 s
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(2.0)
    assert limiter.take("b") == 0.0  # keys are independent
    clock.now += 2.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0
    assert retry_after_header(0.2) == "1" and retry_after_header(2.01) == "3"


def test_the_limit_counts_new_chats_not_resumes(app: FastAPI) -> None:
    burst = get_settings().chat_sessions_per_ip_burst
    with TestClient(app) as web:
        sess = start(web)
        for _ in range(burst - 1):
            assert web.post("/chat/api/session", json={}).status_code == 200
        refused = web.post("/chat/api/session", json={})
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) >= 1
        detail = refused.json()["detail"]
        assert detail["code"] == "rate_limited" and "try again" in detail["message"]
        resumed = web.post(
            "/chat/api/session",
            json={"conversation_id": sess["conversation_id"], "token": sess["token"]},
        )
        assert resumed.status_code == 200 and resumed.json()["resumed"] is True


def test_several_sockets_on_one_conversation_share_its_limit(app: FastAPI, rasa: FakeRasa) -> None:
    settings = get_settings()
    per_socket = settings.chat_connection_burst
    sockets = settings.chat_conversation_burst // per_socket + 1
    codes: list[str] = []
    with TestClient(app) as web:
        sess = start(web)
        for n in range(sockets):
            codes += send_burst(web, sess, per_socket, f"s{n}")
    assert codes and set(codes) == {"rate_limited"}
    # Each socket stayed within its own burst: only the conversation's limit refused these.
    assert len(rasa.received) <= settings.chat_conversation_burst + 1
