"""Returns, cancellations, callbacks and specialist cases mail the shopper, once, after commit."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.desk import JORDAN, MAYA, SAM, audit_rows
from tests.utils.mail_catcher import Catcher, html_of, text_of, use_smtp
from tierline_desk.models import Callback, Case, Order, Return
from tierline_desk.settings import get_settings

DELIVERED = "113-5550192-7781234"  # Maya, delivered, SKU-RS-3310 returnable
PROCESSING = "114-2093847-1122334"  # Maya, processing
SHIPPED = "112-4839201-5573910"  # Maya, shipped

CALLBACK = {
    "conversation_id": "conv-cb-1",
    "phone": "+14155550123",
    "window_start": "2026-12-01T17:00:00Z",
    "window_end": "2026-12-01T19:00:00Z",
    "reason": "Wants to talk about a refund",
    "order_number": DELIVERED,
}


def ask_return(client: TestClient, reason: str = "Too small"):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/returns",
        json={"order_number": DELIVERED, "sku": "SKU-RS-3310", "reason": reason, **MAYA},
    )


def open_case(client: TestClient, kind: str, customer: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/cases",
        json={
            "kind": kind,
            "conversation_id": f"conv-{kind}",
            "order_number": "118-2718281-8284590",
            "customer": customer,
            "description": "Trade-in credit of $180 never arrived <b>after 6 weeks</b>",
        },
    )


# ------------------------------------------------------------------ returns
def test_return_mails_the_authorisation_once(client: TestClient, catcher: Catcher) -> None:
    resp = ask_return(client)
    assert resp.status_code == 201
    rma = resp.json()["rma_number"]

    msg = catcher.only()
    assert msg["To"] == "maya.chen@example.com"
    assert msg["From"] == "Tierline Support <support@tierline.example>"
    assert rma in msg["Subject"]
    assert msg["X-Tierline-Mail"] == "return_authorized"
    assert msg["X-Tierline-Reference"] == rma
    assert re.fullmatch(r"<[^<>@\s]+@tierline\.example>", str(msg["Message-ID"]))
    assert msg["Date"].datetime is not None  # a parseable RFC 5322 date
    assert msg.get_content_type() == "multipart/alternative"
    text = text_of(msg)
    assert text.startswith("Hi Maya,")
    for expected in (rma, DELIVERED, "Trailblazer Running Shoes", "$89.95", "What happens next"):
        assert expected in text
    by = date.fromisoformat(resp.json()["return_by"])
    assert f"{by:%A, %B} {by.day}, {by.year}" in text
    assert rma in html_of(msg) and "<table" in html_of(msg)

    # Asking again is idempotent: 200, and no second mail.
    again = ask_return(client, reason="asking again")
    assert again.status_code == 200
    assert again.json()["rma_number"] == rma
    assert len(catcher.messages()) == 1


def test_refused_return_sends_nothing(client: TestClient, catcher: Catcher) -> None:
    resp = client.post(
        "/api/v1/returns",
        json={"order_number": SHIPPED, "sku": "SKU-HP-1001", "reason": "x", **MAYA},
    )
    assert resp.status_code == 409
    assert catcher.messages() == []


# ------------------------------------------------------------------ cancellations
def test_cancel_mails_the_refund_once(client: TestClient, catcher: Catcher) -> None:
    resp = client.post(f"/api/v1/orders/{PROCESSING}/cancel", json={**MAYA, "reason": "oops"})
    assert resp.status_code == 200
    refund = resp.json()["refunds"][0]

    msg = catcher.only()
    assert msg["To"] == "maya.chen@example.com"
    assert PROCESSING in msg["Subject"] and "cancelled" in msg["Subject"]
    assert msg["X-Tierline-Reference"] == refund["refund_id"]
    text = text_of(msg)
    for expected in (PROCESSING, refund["refund_id"], "$77.99", "oops", "What happens next"):
        assert expected in text

    again = client.post(f"/api/v1/orders/{PROCESSING}/cancel", json=MAYA)
    assert again.status_code == 200
    assert len(catcher.messages()) == 1


def test_cancelling_a_seeded_cancelled_order_sends_nothing(
    client: TestClient, catcher: Catcher
) -> None:
    resp = client.post(
        "/api/v1/orders/122-8888888-9999999/cancel", json={"email": "lee.wong@example.com"}
    )
    assert resp.status_code == 200
    assert catcher.messages() == []


def test_refused_cancel_sends_nothing(client: TestClient, catcher: Catcher) -> None:
    assert client.post(f"/api/v1/orders/{SHIPPED}/cancel", json=MAYA).status_code == 409
    assert catcher.messages() == []


# ------------------------------------------------------------------ callbacks
def test_callback_mails_the_address_given(client: TestClient, catcher: Catcher) -> None:
    resp = client.post("/api/v1/callbacks", json={**CALLBACK, "email": "ada@example.com"})
    assert resp.status_code == 201
    cb = resp.json()["callback_id"]
    msg = catcher.only()
    assert msg["To"] == "ada@example.com"
    assert cb in msg["Subject"]
    text = text_of(msg)
    for expected in (cb, "+14155550123", "17:00", "19:00", DELIVERED, "What happens next"):
        assert expected in text
    assert "Tuesday, December 1, 2026" in text


def test_callback_falls_back_to_the_customer_record(client: TestClient, catcher: Catcher) -> None:
    resp = client.post("/api/v1/callbacks", json={**CALLBACK, "customer_id": "C-1002"})
    assert resp.status_code == 201
    msg = catcher.only()
    assert msg["To"] == JORDAN["email"]
    assert text_of(msg).startswith("Hi Jordan,")
    assert resp.json()["callback_id"] in msg["Subject"]


def test_callback_without_any_address_sends_nothing(client: TestClient, catcher: Catcher) -> None:
    assert client.post("/api/v1/callbacks", json=CALLBACK).status_code == 201
    assert catcher.messages() == []


# ------------------------------------------------------------------ cases
@pytest.mark.parametrize("kind", ["trade_in_credit", "recurring_delivery_problem"])
def test_specialist_case_mails_the_case_number(
    client: TestClient, catcher: Catcher, kind: str
) -> None:
    resp = open_case(client, kind, {"id": "C-1004", **SAM, "name": "Sam O'Connor"})
    assert resp.status_code == 201
    body = resp.json()
    assert body["team"] == "executive_customer_relations"
    msg = catcher.only()
    assert msg["To"] == SAM["email"]
    assert body["case_number"] in msg["Subject"]
    assert msg["X-Tierline-Reference"] == body["case_number"]
    text = text_of(msg)
    assert text.startswith("Hi Sam,")
    assert body["case_number"] in text and "118-2718281-8284590" in text
    assert "<b>after 6 weeks</b>" in " ".join(text.split())  # plain text as typed ...
    assert "&lt;b&gt;after 6 weeks&lt;/b&gt;" in html_of(msg)  # ... and escaped in HTML


def test_specialist_case_with_only_a_customer_id(client: TestClient, catcher: Catcher) -> None:
    assert open_case(client, "trade_in_credit", {"id": "C-1004"}).status_code == 201
    assert catcher.only()["To"] == SAM["email"]


def test_associate_cases_send_nothing(client: TestClient, catcher: Catcher) -> None:
    resp = open_case(client, "damaged_item", {"id": "C-1004", **SAM})
    assert resp.json()["team"] == "associates"
    assert catcher.messages() == []


def test_case_with_a_header_injection_address_sends_nothing_and_still_opens(
    client: TestClient, catcher: Catcher, session: Session
) -> None:
    resp = open_case(client, "trade_in_credit", {"email": "x@example.com\r\nBcc: y@example.com"})
    assert resp.status_code == 201
    assert session.scalar(select(Case).where(Case.case_number == resp.json()["case_number"]))
    assert catcher.messages() == []


# ------------------------------------------------------------------ switched off / server down
def test_mail_enabled_false_sends_nothing(
    client: TestClient, catcher: Catcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_ENABLED", "false")
    get_settings.cache_clear()
    assert ask_return(client).status_code == 201
    assert catcher.messages() == []


def test_smtp_down_changes_nothing_for_the_shopper(
    client: TestClient, dead_smtp: int, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tierline_desk.mail")
    ret = ask_return(client)
    assert ret.status_code == 201
    cancel = client.post(f"/api/v1/orders/{PROCESSING}/cancel", json=MAYA)
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    cb = client.post("/api/v1/callbacks", json={**CALLBACK, "email": "ada@example.com"})
    assert cb.status_code == 201
    case = open_case(client, "trade_in_credit", {"id": "C-1004"})
    assert case.status_code == 201

    # Everything was committed before the mail was tried.
    session.expire_all()
    assert session.get(Return, ret.json()["rma_number"]) is not None
    assert session.get(Order, PROCESSING).status == "cancelled"  # type: ignore[union-attr]
    assert session.get(Callback, cb.json()["callback_id"]) is not None
    assert session.scalar(select(Case).where(Case.case_number == case.json()["case_number"]))
    assert len(audit_rows(session, "return.create")) == 1
    assert len(audit_rows(session, "order.cancel")) == 1

    # Each failure is logged, with the address masked.
    failures = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(failures) == 4, failures
    assert any("m***@example.com" in f for f in failures)
    assert any("a***@example.com" in f for f in failures)
    assert any("s***@example.com" in f for f in failures)
    assert not any(
        "maya.chen" in f or "ada@" in f or "sam.oconnor" in f for f in caplog.text.splitlines()
    )


@pytest.fixture
def silent_smtp(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """A server that accepts the TCP connection and then never says a word."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        port = int(sock.getsockname()[1])
        use_smtp(monkeypatch, port)
        monkeypatch.setenv("SMTP_TIMEOUT_SECONDS", "0.5")
        get_settings.cache_clear()
        yield port


def test_a_hanging_smtp_server_is_cut_off_by_the_timeout(
    client: TestClient, silent_smtp: int, session: Session
) -> None:
    started = time.monotonic()
    resp = ask_return(client)
    assert resp.status_code == 201
    assert time.monotonic() - started < 5
    session.expire_all()
    assert session.get(Return, resp.json()["rma_number"]) is not None
