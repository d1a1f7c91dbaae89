from __future__ import annotations

import re

import httpx
import respx
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.desk import RASA_URL, audit_rows, code_of
from tierline_desk.models import TranscriptRequest


def test_transcript_request(client: TestClient, session: Session) -> None:
    # Mailing the transcript itself is tested in tests/mail/; here Rasa is down.
    with respx.mock(assert_all_called=True) as rasa:
        rasa.get(url__startswith=RASA_URL).mock(side_effect=httpx.ConnectError("down"))
        resp = client.post(
            "/api/v1/transcript-requests",
            json={"conversation_id": "conv-77", "email": "maya.chen@example.com"},
        )
    assert resp.status_code == 201
    body = resp.json()
    assert re.fullmatch(r"TR-[A-Z0-9]{8}", body["request_id"])
    assert body == {
        "request_id": body["request_id"],
        "status": "pending",
        "email": "maya.chen@example.com",
        "message": body["message"],
    }
    row = session.get(TranscriptRequest, body["request_id"])
    assert row is not None and row.conversation_id == "conv-77"
    assert len(audit_rows(session, "transcript.request")) == 1


def test_transcript_request_needs_an_email(client: TestClient) -> None:
    resp = client.post(
        "/api/v1/transcript-requests", json={"conversation_id": "c", "email": "nope"}
    )
    assert resp.status_code == 422
    assert code_of(resp) == "validation_error"
