from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.console import put_online
from tests.utils.desk import RASA_TOKEN, RASA_URL, audit_rows, code_of
from tests.utils.desk import handoff as post_handoff
from tierline_desk.settings import get_settings


@pytest.fixture(autouse=True)
def desk_open_and_staffed(db: str, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about tickets: always open, an associate and a supervisor online, and
    no wait limit in the way (routing itself: test_handoff_routing.py)."""
    monkeypatch.setenv("BUSINESS_HOURS", "Mon-Sun 00:00-24:00")
    monkeypatch.setenv("MAX_WAIT_MINUTES", "1000")
    monkeypatch.delenv("AGENT_ONLINE_SECONDS", raising=False)
    get_settings.cache_clear()
    put_online(session, "alex", "sam.lead")


TRACKED_ORDER = {
    "order_number": "112-4839201-5573910",
    "bot_attempts": ["looked up order 112-4839201-5573910", "shared tracking"],
    "recent_messages": [
        {"sender": "user", "text": "where is my stuff", "at": "2026-11-24T10:00:00Z"},
        {"sender": "bot", "text": "It is in Louisville, KY."},
    ],
}


def handoff(client: TestClient, conversation_id: str, tier: int = 1, **extra: Any) -> Any:
    """A handoff about an order the bot already tracked with the shopper."""
    return post_handoff(client, conversation_id, tier, **{**TRACKED_ORDER, **extra})


def test_first_ticket(client: TestClient, session: Session) -> None:
    resp = handoff(client, "conv-a")
    assert resp.status_code == 201
    assert resp.json() == {
        "outcome": "queued",
        "ticket_number": "T-000001",
        "tier": 1,
        "status": "waiting",
        "queue_position": 1,
        "estimated_wait_minutes": 4,
        "conversation_id": "conv-a",
        "case_number": None,
        "unavailable_reason": None,
        "business_hours": "Mon-Sun 00:00-24:00 America/New_York",
        "next_open_at": None,
    }
    rows = audit_rows(session, "handoff.create")
    assert len(rows) == 1 and rows[0].details["ticket_number"] == "T-000001"
    assert rows[0].order_number == "112-4839201-5573910"


def test_queue_position_counts_waiting_tickets_of_the_same_tier(client: TestClient) -> None:
    handoff(client, "c1", tier=1)
    handoff(client, "c2", tier=2)
    handoff(client, "c3", tier=1)
    fourth = handoff(client, "c4", tier=1).json()
    assert fourth["ticket_number"] == "T-000004"
    assert fourth["queue_position"] == 3
    assert fourth["estimated_wait_minutes"] == 12
    tier2 = handoff(client, "c5", tier=2).json()
    assert tier2["queue_position"] == 2
    assert tier2["estimated_wait_minutes"] == 8


def test_queue_moves_when_earlier_tickets_resolve(client: TestClient) -> None:
    handoff(client, "c1")
    handoff(client, "c2")
    with respx.mock(assert_all_mocked=True) as rasa:
        rasa.post(url__startswith=RASA_URL).mock(return_value=httpx.Response(200, json={}))
        assert client.post("/api/v1/handoffs/T-000001/resume", json={"outcome": "done"}).is_success
    ticket = client.get("/api/v1/handoffs/T-000002").json()
    assert ticket["queue_position"] == 1
    assert ticket["estimated_wait_minutes"] == 4


def test_wait_uses_avg_handle_minutes(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVG_HANDLE_MINUTES", "7")
    get_settings.cache_clear()
    handoff(client, "c1")
    assert handoff(client, "c2").json()["estimated_wait_minutes"] == 14


def test_one_open_ticket_per_conversation(client: TestClient, session: Session) -> None:
    first = handoff(client, "conv-dup")
    second = handoff(client, "conv-dup", tier=2, reason="again")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert len(client.get("/api/v1/handoffs").json()) == 1
    assert len(audit_rows(session, "handoff.create")) == 1


def test_get_ticket_has_the_case_card(client: TestClient) -> None:
    handoff(client, "conv-card")
    card = client.get("/api/v1/handoffs/T-000001").json()
    assert card["reason"] == "Shopper asked for a human"
    assert card["customer"]["email"] == "maya.chen@example.com"
    assert card["order_number"] == "112-4839201-5573910"
    assert card["bot_attempts"] == ["looked up order 112-4839201-5573910", "shared tracking"]
    assert card["recent_messages"][0] == {
        "sender": "user",
        "text": "where is my stuff",
        "at": "2026-11-24T10:00:00Z",
    }
    assert card["recent_messages"][1] == {"sender": "bot", "text": "It is in Louisville, KY."}
    assert card["status"] == "waiting"


def test_list_filters_by_status(client: TestClient) -> None:
    handoff(client, "c1")
    handoff(client, "c2")
    with respx.mock(assert_all_called=False) as rasa:
        rasa.post(url__startswith=RASA_URL).mock(return_value=httpx.Response(200, json={}))
        client.post("/api/v1/handoffs/T-000002/resume", json={"outcome": "ok"})
    waiting = client.get("/api/v1/handoffs", params={"status": "waiting"}).json()
    assert [t["ticket_number"] for t in waiting] == ["T-000001"]
    resolved = client.get("/api/v1/handoffs", params={"status": "resolved"}).json()
    assert [t["ticket_number"] for t in resolved] == ["T-000002"]
    assert resolved[0]["queue_position"] is None


def test_unknown_ticket(client: TestClient) -> None:
    assert code_of(client.get("/api/v1/handoffs/T-999999")) == "ticket_not_found"
    resp = client.post("/api/v1/handoffs/T-999999/resume", json={"outcome": "x"})
    assert resp.status_code == 404


def test_handoff_validation(client: TestClient) -> None:
    assert code_of(handoff(client, "c", tier=3)) == "validation_error"
    assert code_of(handoff(client, "c", order_number="12-34")) == "invalid_order_number"
    bad_msg = handoff(client, "c", recent_messages=[{"sender": "agent", "text": "hi"}])
    assert bad_msg.status_code == 422


# ------------------------------------------------------------------ resume
def test_resume_calls_rasa_and_resolves(client: TestClient, session: Session) -> None:
    handoff(client, "conv/with space")
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as rasa:
        events = rasa.post(f"{RASA_URL}/conversations/conv%2Fwith%20space/tracker/events").mock(
            return_value=httpx.Response(200, json={"events": []})
        )
        trigger = rasa.post(f"{RASA_URL}/conversations/conv%2Fwith%20space/trigger_intent").mock(
            return_value=httpx.Response(200, json={"tracker": {}})
        )
        resp = client.post(
            "/api/v1/handoffs/T-000001/resume",
            json={"outcome": "refund_issued"},
            headers={"X-Desk-Actor": "agent.kim"},
        )
        # order: resume first, then trigger, and nothing else
        paths = [call.request.url.raw_path.decode().split("?")[0] for call in rasa.calls]
        assert paths == [
            "/conversations/conv%2Fwith%20space/tracker/events",
            "/conversations/conv%2Fwith%20space/trigger_intent",
        ]
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "resolved"
    assert body["outcome"] == "refund_issued"
    assert body["resolved_at"] is not None

    assert events.call_count == 1 and trigger.call_count == 1
    ev_req = events.calls.last.request
    tr_req = trigger.calls.last.request
    assert ev_req.url.params["token"] == RASA_TOKEN
    assert tr_req.url.params["token"] == RASA_TOKEN
    assert json.loads(ev_req.content) == [
        {"event": "resume"},
        {"event": "action", "name": "action_listen"},
    ]
    assert json.loads(tr_req.content) == {
        "name": "EXTERNAL_handback",
        "entities": {"handback_outcome": "refund_issued"},
    }

    rows = audit_rows(session, "handoff.resume")
    assert len(rows) == 1 and rows[0].actor == "agent.kim"
    # a new ticket can be opened for the same conversation afterwards
    assert handoff(client, "conv/with space").status_code == 201


def test_resume_twice_is_409(client: TestClient) -> None:
    handoff(client, "c1")
    with respx.mock(assert_all_called=False) as rasa:
        route = rasa.post(url__startswith=RASA_URL).mock(return_value=httpx.Response(200))
        assert client.post("/api/v1/handoffs/T-000001/resume", json={"outcome": "a"}).is_success
        resp = client.post("/api/v1/handoffs/T-000001/resume", json={"outcome": "b"})
    assert resp.status_code == 409
    assert code_of(resp) == "already_resolved"
    assert route.call_count == 2  # only the first resume reached Rasa


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("too slow"),
        httpx.Response(500, text="boom"),
        httpx.Response(401, text="bad token"),
    ],
)
def test_resume_when_rasa_fails_is_502_and_ticket_unchanged(
    client: TestClient, session: Session, failure: object
) -> None:
    handoff(client, "c1")
    with respx.mock(assert_all_called=False) as rasa:
        route = rasa.post(f"{RASA_URL}/conversations/c1/tracker/events")
        if isinstance(failure, httpx.Response):
            route.mock(return_value=failure)
        else:
            route.mock(side_effect=failure)
        trigger = rasa.post(f"{RASA_URL}/conversations/c1/trigger_intent").mock(
            return_value=httpx.Response(200)
        )
        resp = client.post("/api/v1/handoffs/T-000001/resume", json={"outcome": "x"})
    assert resp.status_code == 502
    assert code_of(resp) == "rasa_unavailable"
    assert trigger.call_count == 0
    ticket = client.get("/api/v1/handoffs/T-000001").json()
    assert ticket["status"] == "waiting"
    assert ticket["outcome"] is None
    assert audit_rows(session, "handoff.resume") == []


def test_resume_when_trigger_fails_is_502(client: TestClient) -> None:
    handoff(client, "c1")
    with respx.mock(assert_all_called=False) as rasa:
        rasa.post(f"{RASA_URL}/conversations/c1/tracker/events").mock(
            return_value=httpx.Response(200)
        )
        rasa.post(f"{RASA_URL}/conversations/c1/trigger_intent").mock(
            return_value=httpx.Response(503)
        )
        resp = client.post("/api/v1/handoffs/T-000001/resume", json={"outcome": "x"})
    assert resp.status_code == 502
    assert client.get("/api/v1/handoffs/T-000001").json()["status"] == "waiting"


def test_resume_uses_the_configured_timeout(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    handoff(client, "c1")
    monkeypatch.setenv("CHAT_REPLY_TIMEOUT_SECONDS", "7")  # the bot runs actions on handback
    get_settings.cache_clear()
    seen: list[object] = []

    def capture(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions.get("timeout"))
        return httpx.Response(200)

    with respx.mock(assert_all_called=False) as rasa:
        rasa.post(url__startswith=RASA_URL).mock(side_effect=capture)
        client.post("/api/v1/handoffs/T-000001/resume", json={"outcome": "x"})
    assert seen and all(t == {"connect": 7.0, "read": 7.0, "write": 7.0, "pool": 7.0} for t in seen)


def test_resume_without_rasa_token_is_502(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    handoff(client, "c1")
    monkeypatch.setenv("RASA_TOKEN", "")
    get_settings.cache_clear()
    with respx.mock(assert_all_called=False) as rasa:
        route = rasa.post(url__startswith=RASA_URL).mock(return_value=httpx.Response(200))
        resp = client.post("/api/v1/handoffs/T-000001/resume", json={"outcome": "x"})
    assert resp.status_code == 502
    assert code_of(resp) == "rasa_unavailable"
    assert "RASA_TOKEN" in resp.json()["detail"]["message"]
    assert route.call_count == 0
