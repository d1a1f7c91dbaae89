from __future__ import annotations

from fastapi.testclient import TestClient

from tests.utils.desk import code_of


def promo(client: TestClient, code: str, subtotal: str | None = None):  # type: ignore[no-untyped-def]
    params = {"subtotal": subtotal} if subtotal is not None else {}
    return client.get(f"/api/v1/promo-codes/{code}", params=params)


def test_valid_percent_code_case_insensitive(client: TestClient) -> None:
    resp = promo(client, "welcome10", "49.99")
    assert resp.status_code == 200
    body = resp.json()
    assert body["code"] == "WELCOME10"
    assert body["valid"] is True
    assert body["reason"] is None
    assert body["description"] == "10% off your order"
    assert body["discount_percent"] == 10
    assert body["discount_amount"] is None
    assert body["min_spend"] == "25.00"
    assert body["expires_at"].endswith("Z")


def test_valid_without_subtotal(client: TestClient) -> None:
    body = promo(client, "SAVE50").json()
    assert body["valid"] is True
    assert body["discount_amount"] == "50.00"
    assert body["discount_percent"] is None


def test_min_spend(client: TestClient) -> None:
    body = promo(client, "SAVE50", "199.99").json()
    assert body["valid"] is False
    assert body["reason"] == "min_spend_not_met"
    assert promo(client, "SAVE50", "200.00").json()["valid"] is True
    assert promo(client, "WELCOME10", "24.99").json()["reason"] == "min_spend_not_met"


def test_expired(client: TestClient) -> None:
    for code in ("FREESHIP", "spring15"):
        body = promo(client, code, "500").json()
        assert body["valid"] is False
        assert body["reason"] == "expired"
    assert promo(client, "FREESHIP").json()["free_shipping"] is True


def test_not_started(client: TestClient) -> None:
    body = promo(client, "HOLIDAY25", "100").json()
    assert body["valid"] is False
    assert body["reason"] == "not_started"
    assert body["discount_percent"] == 25


def test_unknown_code(client: TestClient) -> None:
    resp = promo(client, "NOPE99")
    assert resp.status_code == 404
    assert code_of(resp) == "promo_not_found"


def test_bad_subtotal(client: TestClient) -> None:
    assert promo(client, "WELCOME10", "-1").status_code == 422
    assert code_of(promo(client, "WELCOME10", "lots")) == "validation_error"
