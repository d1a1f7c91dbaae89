"""GET /api/v1/outbox: the catcher's Maildir, newest first, and one message with its text."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.utils.desk import MAYA, code_of
from tests.utils.mail_catcher import Catcher, catcher
from tierline_desk.settings import get_settings

__all__ = ["catcher"]  # the fixture, imported for use here


def smtp_send(port: int, subject: str, message_id: str, body: str = "Plain body.\n") -> None:
    msg = EmailMessage()
    msg["From"] = "Tierline Support <support@tierline.example>"
    msg["To"] = "ada@example.com"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 01 Dec 2026 17:00:00 +0000"
    msg["Message-ID"] = message_id
    msg.set_content(body)
    msg.add_alternative(f"<p>{body}</p>", subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(msg)


def test_outbox_lists_newest_first_and_shows_one(client: TestClient, catcher: Catcher) -> None:
    smtp_send(catcher.port, "first", "<one@tierline.example>", "The first body.\n")
    ret = client.post(
        "/api/v1/returns",
        json={"order_number": "113-5550192-7781234", "sku": "SKU-RS-3310", "reason": "x", **MAYA},
    )
    assert ret.status_code == 201
    rma = ret.json()["rma_number"]

    listed = client.get("/api/v1/outbox")
    assert listed.status_code == 200
    items = listed.json()
    assert [i["subject"].split(":")[0] for i in items] == ["Your return is approved", "first"]
    newest, oldest = items
    assert newest["to"] == "maya.chen@example.com"
    assert newest["kind"] == "return_authorized" and newest["reference"] == rma
    assert newest["sender"] == "Tierline Support <support@tierline.example>"
    assert newest["date"] is not None and newest["delivered_at"] >= oldest["delivered_at"]
    assert oldest == {
        "message_id": "one@tierline.example",
        "to": "ada@example.com",
        "sender": "Tierline Support <support@tierline.example>",
        "subject": "first",
        "date": "2026-12-01T17:00:00Z",
        "delivered_at": oldest["delivered_at"],
        "kind": None,
        "reference": None,
    }
    assert set(newest) == set(oldest)

    # One message, by its Message-ID with or without the angle brackets, URL-encoded or not.
    for ident in ("one@tierline.example", quote("<one@tierline.example>", safe="")):
        one = client.get(f"/api/v1/outbox/{ident}")
        assert one.status_code == 200, ident
        body = one.json()
        assert body["text"] == "The first body.\n"
        assert body["html"] == "<p>The first body.\n</p>\n"
        assert body["subject"] == "first"

    mailed = client.get(f"/api/v1/outbox/{quote(newest['message_id'], safe='')}").json()
    assert rma in mailed["text"] and "What happens next" in mailed["text"]
    assert rma in mailed["html"]

    assert len(client.get("/api/v1/outbox", params={"limit": 1}).json()) == 1


def test_unknown_message_is_404(client: TestClient, catcher: Catcher) -> None:
    smtp_send(catcher.port, "first", "<one@tierline.example>")
    resp = client.get("/api/v1/outbox/nope@tierline.example")
    assert resp.status_code == 404
    assert code_of(resp) == "message_not_found"


def test_missing_maildir_is_an_empty_outbox(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILDIR", str(tmp_path / "never-created"))
    get_settings.cache_clear()
    assert client.get("/api/v1/outbox").json() == []
    assert client.get("/api/v1/outbox/x@y.z").status_code == 404
    assert not (tmp_path / "never-created").exists()


def test_outbox_needs_the_token(client: TestClient) -> None:
    resp = client.get("/api/v1/outbox", headers={"Authorization": "Bearer wrong"})
    assert resp.status_code == 401
    assert client.get("/api/v1/outbox", params={"limit": 0}).status_code == 422
