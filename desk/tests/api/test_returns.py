from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.utils.desk import JORDAN, LEE, MAYA, PRIYA, audit_rows, code_of
from tierline_desk.models import Return
from tierline_desk.settings import get_settings

DELIVERED = "113-5550192-7781234"


def ask(
    client: TestClient,
    number: str,
    sku: str,
    proof: dict[str, str] = MAYA,
    reason: str = "Too small",
):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/returns", json={"order_number": number, "sku": sku, "reason": reason, **proof}
    )


def test_return_inside_window(client: TestClient, session: Session) -> None:
    resp = ask(client, DELIVERED, "SKU-RS-3310")
    assert resp.status_code == 201
    body = resp.json()
    assert re.fullmatch(r"RMA-[A-Z0-9]{6}", body["rma_number"])
    assert body["order_number"] == DELIVERED
    assert body["sku"] == "SKU-RS-3310"
    assert body["item_name"].startswith("Trailblazer Running Shoes")
    assert body["reason"] == "Too small"
    assert body["refund_estimate"] == "89.95"
    assert body["label_url"] == f"/returns/{body['rma_number']}/label"
    assert body["rma_number"] in body["drop_off_instructions"]
    assert body["return_by"] == (datetime.now(UTC) + timedelta(days=14)).date().isoformat()
    order = client.post("/api/v1/orders/lookup", json={"order_number": DELIVERED, **MAYA}).json()
    statuses = {i["sku"]: i["return_status"] for i in order["items"]}
    assert statuses == {"SKU-RS-3310": "authorized", "SKU-RJ-4420": None}
    rows = audit_rows(session, "return.create")
    assert len(rows) == 1 and rows[0].details["rma_number"] == body["rma_number"]


def test_return_is_idempotent(client: TestClient, session: Session) -> None:
    before = session.scalar(select(func.count()).select_from(Return))
    first = ask(client, DELIVERED, "SKU-RJ-4420")
    second = ask(client, DELIVERED, "SKU-RJ-4420", reason="asking again")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json() == first.json()
    assert session.scalar(select(func.count()).select_from(Return)) == (before or 0) + 1
    assert len(audit_rows(session, "return.create")) == 1


def test_return_outside_window(client: TestClient) -> None:
    resp = ask(client, "111-8765432-1098765", "SKU-BL-7100", JORDAN)
    assert resp.status_code == 409
    assert code_of(resp) == "outside_return_window"
    deadline = (datetime.now(UTC) - timedelta(days=45)).date() + timedelta(days=30)
    assert resp.json()["detail"]["return_deadline"] == deadline.isoformat()


def test_return_window_is_configurable(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "60")
    get_settings.cache_clear()
    assert ask(client, "111-8765432-1098765", "SKU-BL-7100", JORDAN).status_code == 201
    monkeypatch.setenv("RETURN_WINDOW_DAYS", "7")
    get_settings.cache_clear()
    resp = ask(client, DELIVERED, "SKU-RS-3310")
    assert code_of(resp) == "outside_return_window"


@pytest.mark.parametrize(
    ("number", "sku", "proof"),
    [
        ("112-4839201-5573910", "SKU-HP-1001", MAYA),
        ("114-2093847-1122334", "SKU-CG-5100", MAYA),
        ("116-7777777-0000001", "SKU-YM-8100", PRIYA),
    ],
)
def test_return_not_delivered(
    client: TestClient, number: str, sku: str, proof: dict[str, str]
) -> None:
    resp = ask(client, number, sku, proof)
    assert resp.status_code == 409
    assert code_of(resp) == "not_delivered"


def test_return_non_returnable(client: TestClient, session: Session) -> None:
    resp = ask(client, "124-5050505-6060606", "SKU-EB-1700", JORDAN)
    assert resp.status_code == 409
    assert code_of(resp) == "not_returnable"
    assert audit_rows(session) == []


def test_return_unknown_item(client: TestClient) -> None:
    resp = ask(client, DELIVERED, "SKU-NOPE")
    assert resp.status_code == 404
    assert code_of(resp) == "item_not_found"


def test_return_existing_seeded_return_is_given_back(client: TestClient) -> None:
    resp = ask(client, "120-4444444-5555555", "SKU-EM-1400", LEE)
    assert resp.status_code == 200
    assert resp.json()["rma_number"] == "RMA-LW4E20"


def test_return_checks_ownership_and_number(client: TestClient) -> None:
    assert code_of(ask(client, DELIVERED, "SKU-RS-3310", JORDAN)) == "verification_failed"
    assert code_of(ask(client, DELIVERED, "SKU-RS-3310", {})) == "verification_required"
    assert code_of(ask(client, "113-555", "SKU-RS-3310")) == "invalid_order_number"
    assert code_of(ask(client, "999-5550192-7781234", "SKU-RS-3310")) == "order_not_found"
