from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.desk import audit_rows, code_of
from tierline_desk.api.schemas import HandoffRequest
from tierline_desk.models import Callback, HandoffTicket
from tierline_desk.services import handoffs

BODY = {
    "conversation_id": "conv-cb-1",
    "phone": "+14155550123",
    "window_start": "2026-12-01T17:00:00Z",
    "window_end": "2026-12-01T19:00:00Z",
    "reason": "Wants to talk about a refund",
    "customer_id": "C-1001",
    "order_number": "113-5550192-7781234",
}


def test_callback_is_scheduled_and_persisted(client: TestClient, session: Session) -> None:
    resp = client.post("/api/v1/callbacks", json=BODY)
    assert resp.status_code == 201
    body = resp.json()
    assert re.fullmatch(r"CB-[A-Z0-9]{8}", body["callback_id"])
    assert body["status"] == "scheduled"
    assert body["phone"] == "+14155550123"
    assert body["window_start"] == "2026-12-01T17:00:00Z"
    assert body["window_end"] == "2026-12-01T19:00:00Z"
    row = session.get(Callback, body["callback_id"])
    assert row is not None
    assert row.conversation_id == "conv-cb-1"
    assert row.order_number == "113-5550192-7781234"
    assert row.customer_id == "C-1001"
    rows = audit_rows(session, "callback.create")
    assert len(rows) == 1 and rows[0].order_number == "113-5550192-7781234"


def test_callback_list_filters_by_status(client: TestClient, session: Session) -> None:
    a = client.post("/api/v1/callbacks", json=BODY).json()
    b = client.post(
        "/api/v1/callbacks", json={**BODY, "window_start": "2026-11-30T15:00:00+02:00"}
    ).json()
    row = session.get(Callback, a["callback_id"])
    assert row is not None
    row.status = "completed"
    session.commit()
    listed = client.get("/api/v1/callbacks", params={"status": "scheduled"}).json()
    assert [c["callback_id"] for c in listed] == [b["callback_id"]]
    assert listed[0]["window_start"] == "2026-11-30T13:00:00Z"  # normalised to UTC
    assert len(client.get("/api/v1/callbacks").json()) == 2


@pytest.mark.parametrize(
    "change",
    [
        {"phone": "415-555-0123"},
        {"phone": "+0123"},
        {"window_end": "2026-12-01T16:00:00Z"},
        {"window_start": "tomorrow"},
        {"order_number": "113-555"},
        {"email": "not-an-email"},
    ],
)
def test_callback_validation(client: TestClient, session: Session, change: dict[str, str]) -> None:
    resp = client.post("/api/v1/callbacks", json={**BODY, **change})
    assert resp.status_code == 422
    expected = "invalid_order_number" if "order_number" in change else "validation_error"
    assert code_of(resp) == expected
    assert client.get("/api/v1/callbacks").json() == []
    assert audit_rows(session) == []


def _queue(session: Session, conversation_id: str) -> HandoffTicket:
    req = HandoffRequest.model_validate(
        {"conversation_id": conversation_id, "tier": 1, "reason": "Wants a person"}
    )
    ticket, _ = handoffs.create(session, req, "bot")
    session.commit()
    return ticket


def test_a_call_back_instead_of_waiting_takes_the_shopper_out_of_the_queue(
    client: TestClient, session: Session
) -> None:
    ticket = _queue(session, "conv-cb-1")
    resp = client.post("/api/v1/callbacks", json=BODY)
    assert resp.status_code == 201
    session.refresh(ticket)
    assert ticket.status == "resolved"
    assert ticket.outcome is not None and resp.json()["callback_id"] in ticket.outcome
    assert [r.details["ticket_number"] for r in audit_rows(session, "handoff.withdrawn")] == [
        ticket.ticket_number
    ]


def test_a_call_back_leaves_a_claimed_chat_alone(client: TestClient, session: Session) -> None:
    ticket = _queue(session, "conv-cb-1")
    ticket.status = "claimed"
    session.commit()
    assert client.post("/api/v1/callbacks", json=BODY).status_code == 201
    session.refresh(ticket)
    assert ticket.status == "claimed"
