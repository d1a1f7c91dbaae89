"""POST/GET /api/v1/delivery-reports: reports per ZIP and recurring delivery-route cases."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.desk import API_TOKEN, audit_rows, code_of, fresh_rows
from tests.utils.threads import run_together
from tierline_desk.models import Case, DeliveryReport
from tierline_desk.settings import get_settings

MAYA_ORDER = "112-4839201-5573910"  # ships to 94107
PRIYA_ORDER = "117-3141592-6535897"  # ships to 10027


@pytest.fixture(autouse=True)
def route_defaults(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shipped defaults (3 conversations within 30 days), whatever the environment says."""
    monkeypatch.setenv("ROUTE_REPORTS_THRESHOLD", "3")
    monkeypatch.setenv("ROUTE_WINDOW_DAYS", "30")
    get_settings.cache_clear()
    yield


def report(client: TestClient, conversation_id: str, **extra: Any) -> Any:
    return client.post(
        "/api/v1/delivery-reports",
        json={
            "conversation_id": conversation_id,
            "description": f"Parcel left at the wrong door ({conversation_id})",
            **extra,
        },
    )


def route_cases(session: Session) -> list[Case]:
    return fresh_rows(
        session, select(Case).where(Case.kind == "recurring_delivery_route").order_by(Case.id)
    )


def stored_reports(session: Session, postal_code: str) -> list[DeliveryReport]:
    return fresh_rows(
        session,
        select(DeliveryReport)
        .where(DeliveryReport.postal_code == postal_code)
        .order_by(DeliveryReport.id),
    )


def old_report(session: Session, conversation_id: str, postal_code: str, days_ago: float) -> None:
    session.add(
        DeliveryReport(
            postal_code=postal_code,
            conversation_id=conversation_id,
            description=f"An earlier problem ({conversation_id})",
            created_at=datetime.now(UTC) - timedelta(days=days_ago),
        )
    )
    session.commit()


# ------------------------------------------------------------------ the report
def test_a_report_is_stored_with_its_zip(client: TestClient, session: Session) -> None:
    resp = report(client, "conv-1", postal_code="30309", order_number=MAYA_ORDER)
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body == {
        "report_id": body["report_id"],
        "postal_code": "30309",
        "reports_in_window": 1,
        "route_case_number": None,
        "route_case_opened": False,
    }
    [row] = stored_reports(session, "30309")
    assert row.id == body["report_id"] and row.order_number == MAYA_ORDER
    assert row.conversation_id == "conv-1" and row.route_case_number is None
    listed = client.get("/api/v1/delivery-reports", params={"postal_code": "30309"}).json()
    assert [r["report_id"] for r in listed] == [body["report_id"]]
    assert listed[0]["description"] == "Parcel left at the wrong door (conv-1)"
    assert listed[0]["order_number"] == MAYA_ORDER and listed[0]["created_at"]


@pytest.mark.parametrize("given", ["30309-1234", "303091234", " 30309 1234 ", "30309"])
def test_zip_plus_4_is_kept_as_the_zip(client: TestClient, given: str) -> None:
    assert report(client, "conv-1", postal_code=given).json()["postal_code"] == "30309"
    listed = client.get("/api/v1/delivery-reports", params={"postal_code": "30309-9999"})
    assert len(listed.json()) == 1


def test_other_postal_codes_are_tidied(client: TestClient) -> None:
    assert report(client, "c", postal_code="k1a  0b1").json()["postal_code"] == "K1A 0B1"


def test_without_a_postal_code_the_orders_shipping_zip_is_used(client: TestClient) -> None:
    resp = report(client, "conv-1", order_number=MAYA_ORDER)
    assert resp.status_code == 201 and resp.json()["postal_code"] == "94107"


def test_no_postal_code_and_no_order_is_422(client: TestClient, session: Session) -> None:
    resp = report(client, "conv-1")
    assert resp.status_code == 422 and code_of(resp) == "postal_code_required"
    assert "postal_code" in resp.json()["detail"]["message"]
    assert "order_number" in resp.json()["detail"]["message"]
    assert session.scalars(select(DeliveryReport)).all() == []


def test_report_validation(client: TestClient) -> None:
    unknown = report(client, "c", order_number="999-9999999-9999999")
    assert unknown.status_code == 404 and code_of(unknown) == "order_not_found"
    assert code_of(report(client, "c", postal_code="30309!")) == "validation_error"
    assert code_of(report(client, "c", order_number="12-3")) == "invalid_order_number"
    missing = client.post("/api/v1/delivery-reports", json={"conversation_id": "c"})
    assert missing.status_code == 422
    wrong_token = client.post(
        "/api/v1/delivery-reports",
        json={"conversation_id": "c", "description": "x"},
        headers={"Authorization": "Bearer wrong"},
    )
    assert wrong_token.status_code == 401
    assert client.get("/api/v1/delivery-reports", headers={"Authorization": ""}).status_code == 401


# ------------------------------------------------------------------ recurring routes
def test_the_third_conversation_opens_a_route_case(client: TestClient, session: Session) -> None:
    first = report(client, "conv-a", order_number=MAYA_ORDER).json()
    second = report(client, "conv-b", postal_code="94107-0001").json()
    assert (first["reports_in_window"], second["reports_in_window"]) == (1, 2)
    assert first["route_case_number"] is None and second["route_case_number"] is None
    assert route_cases(session) == []

    third = report(client, "conv-c", postal_code="94107", order_number=PRIYA_ORDER).json()
    assert third["reports_in_window"] == 3
    assert third["route_case_opened"] is True
    number = third["route_case_number"]
    [case] = route_cases(session)
    assert case.case_number == number and case.postal_code == "94107"
    assert case.team == "executive_customer_relations" and case.response_channel == "email"
    assert case.status == "open"
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    for expected in (
        "94107",
        MAYA_ORDER,
        PRIYA_ORDER,
        "no order given",
        today,
        "Parcel left at the wrong door (conv-a)",
        "Parcel left at the wrong door (conv-c)",
    ):
        assert expected in case.description
    assert [r.route_case_number for r in stored_reports(session, "94107")] == [number] * 3
    [opened] = audit_rows(session, "route_case.open")
    assert opened.details["case_number"] == number
    assert opened.details["report_ids"] == [
        first["report_id"],
        second["report_id"],
        third["report_id"],
    ]
    assert [r.details["kind"] for r in audit_rows(session, "case.create")] == [
        "recurring_delivery_route"
    ]


def test_one_shopper_repeating_does_not_make_a_route(client: TestClient, session: Session) -> None:
    for _ in range(4):
        body = report(client, "conv-same", postal_code="60614").json()
        assert body["reports_in_window"] == 1 and body["route_case_number"] is None
    report(client, "conv-other", postal_code="60614")
    assert route_cases(session) == []
    third = report(client, "conv-third", postal_code="60614").json()
    assert third["route_case_opened"] is True and third["reports_in_window"] == 3
    # Every report that contributed is on the case, repeats included.
    assert {r.route_case_number for r in stored_reports(session, "60614")} == {
        third["route_case_number"]
    }


def test_reports_older_than_the_window_do_not_count(client: TestClient, session: Session) -> None:
    old_report(session, "conv-old-1", "10027", days_ago=31)
    old_report(session, "conv-old-2", "10027", days_ago=30.01)
    body = report(client, "conv-new", postal_code="10027").json()
    assert body["reports_in_window"] == 1 and body["route_case_number"] is None
    old_report(session, "conv-recent", "10027", days_ago=29.9)
    body = report(client, "conv-newer", postal_code="10027").json()
    assert body["reports_in_window"] == 3 and body["route_case_opened"] is True
    on_case = {r.conversation_id for r in stored_reports(session, "10027") if r.route_case_number}
    assert on_case == {"conv-new", "conv-recent", "conv-newer"}
    [case] = route_cases(session)
    assert "conv-old-1" not in case.description and "conv-recent" in case.description


def test_the_window_and_threshold_are_configurable(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROUTE_WINDOW_DAYS", "7")
    monkeypatch.setenv("ROUTE_REPORTS_THRESHOLD", "2")
    get_settings.cache_clear()
    old_report(session, "conv-old", "73301", days_ago=8)
    assert report(client, "conv-1", postal_code="73301").json()["route_case_opened"] is False
    assert report(client, "conv-2", postal_code="73301").json()["route_case_opened"] is True


def test_a_later_report_joins_the_open_case(client: TestClient, session: Session) -> None:
    for conv in ("a", "b", "c"):
        number = report(client, conv, postal_code="94107").json()["route_case_number"]
    later = report(client, "d", postal_code="94107-5555", order_number=MAYA_ORDER).json()
    assert later["route_case_opened"] is False
    assert later["route_case_number"] == number
    assert later["reports_in_window"] == 4
    [case] = route_cases(session)
    assert "Parcel left at the wrong door (d)" in case.description
    assert stored_reports(session, "94107")[-1].route_case_number == number
    [attached] = audit_rows(session, "route_case.attach")
    assert attached.details == {
        "case_number": number,
        "postal_code": "94107",
        "report_id": later["report_id"],
    }
    # Another ZIP is another route.
    elsewhere = report(client, "e", postal_code="94110").json()
    assert elsewhere["route_case_number"] is None and elsewhere["reports_in_window"] == 1


def test_after_a_route_case_is_closed_its_reports_do_not_count_again(
    client: TestClient, session: Session
) -> None:
    for conv in ("a", "b", "c"):
        first_case = report(client, conv, postal_code="94107").json()["route_case_number"]
    [case] = route_cases(session)
    case.status = "closed"
    case.closed_at = datetime.now(UTC)
    case.closed_by = "jordan.ecr"
    session.commit()
    assert report(client, "d", postal_code="94107").json() == {
        "report_id": stored_reports(session, "94107")[-1].id,
        "postal_code": "94107",
        "reports_in_window": 1,
        "route_case_number": None,
        "route_case_opened": False,
    }
    report(client, "e", postal_code="94107")
    again = report(client, "f", postal_code="94107").json()
    assert again["route_case_opened"] is True
    assert again["route_case_number"] not in (None, first_case)
    assert len(route_cases(session)) == 2


def _post_together(app: Any, bodies: list[dict[str, Any]]) -> list[Any]:
    """Each body from its own thread and client, all released at the same moment."""
    barrier = threading.Barrier(len(bodies))
    results: list[Any] = [None] * len(bodies)

    def worker(index: int) -> None:
        http = TestClient(app, headers={"Authorization": f"Bearer {API_TOKEN}"})
        try:
            barrier.wait(timeout=10)
            results[index] = http.post("/api/v1/delivery-reports", json=bodies[index])
        finally:
            http.close()

    run_together(worker, [(i,) for i in range(len(bodies))], timeout=60)
    return results


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_reports_open_exactly_one_case(
    client: TestClient, session: Session, round_: int
) -> None:
    bodies = [
        {"conversation_id": f"conv-{round_}-{i}", "postal_code": "02139", "description": "lost"}
        for i in range(8)
    ]
    results = _post_together(client.app, bodies)
    assert [r.status_code for r in results] == [201] * 8, [r.text for r in results]
    [case] = route_cases(session)
    assert sum(r.json()["route_case_opened"] for r in results) == 1
    rows = stored_reports(session, "02139")
    assert len(rows) == 8
    assert {r.route_case_number for r in rows} == {case.case_number}
    assert len(audit_rows(session, "route_case.open")) == 1
    assert len(audit_rows(session, "route_case.attach")) == 5


def test_the_same_request_repeated_concurrently_opens_nothing(
    client: TestClient, session: Session
) -> None:
    body = {"conversation_id": "conv-retry", "postal_code": "02139", "description": "lost"}
    results = _post_together(client.app, [body] * 6)
    assert [r.status_code for r in results] == [201] * 6
    assert {r.json()["reports_in_window"] for r in results} == {1}
    assert route_cases(session) == []
