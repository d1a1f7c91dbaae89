from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.desk import audit_rows, code_of

CUSTOMER = {"id": "C-1004", "email": "sam.oconnor@example.com", "name": "Sam O'Connor"}


def open_case(client: TestClient, kind: str, **extra: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/cases",
        json={
            "kind": kind,
            "conversation_id": f"conv-{kind}",
            "customer": CUSTOMER,
            "description": "Details from the conversation",
            **extra,
        },
    )


@pytest.mark.parametrize("kind", ["trade_in_credit", "recurring_delivery_problem"])
def test_executive_kinds(client: TestClient, kind: str) -> None:
    resp = open_case(client, kind, order_number="118-2718281-8284590", postal_code="30309")
    assert resp.status_code == 201
    body = resp.json()
    assert body["kind"] == kind
    assert body["team"] == "executive_customer_relations"
    assert body["response_channel"] == "email"
    assert body["status"] == "open"


@pytest.mark.parametrize(
    "kind", ["damaged_item", "wrong_item", "missing_package", "payment_issue", "complaint"]
)
def test_associate_kinds(client: TestClient, kind: str) -> None:
    body = open_case(client, kind).json()
    assert body["team"] == "associates"
    assert body["response_channel"] == "chat"


def test_case_numbers_and_audit(client: TestClient, session: Session) -> None:
    first = open_case(client, "complaint").json()["case_number"]
    second = open_case(client, "trade_in_credit", order_number="118-2718281-8284590").json()
    assert first == "CASE-100001"
    assert second["case_number"] == "CASE-100002"
    stored = client.get(f"/api/v1/cases/{second['case_number']}").json()
    assert stored["customer"] == CUSTOMER
    assert stored["order_number"] == "118-2718281-8284590"
    rows = audit_rows(session, "case.create")
    assert [r.details["case_number"] for r in rows] == ["CASE-100001", "CASE-100002"]
    assert rows[1].details["team"] == "executive_customer_relations"


def test_case_validation(client: TestClient) -> None:
    assert code_of(open_case(client, "lost_my_cat")) == "validation_error"
    assert code_of(open_case(client, "complaint", order_number="1-2-3")) == "invalid_order_number"
    resp = client.post("/api/v1/cases", json={"kind": "complaint", "conversation_id": "c"})
    assert resp.status_code == 422


def test_unknown_case(client: TestClient) -> None:
    assert code_of(client.get("/api/v1/cases/CASE-999999")) == "case_not_found"
