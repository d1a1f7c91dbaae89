"""POST /mail/inbound: a signed raw mail goes through the inbound processing; nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.email_cases import case_address, jpeg_bytes, make_email_case, shopper_mail
from tierline_desk.models import CaseMessage, InboundMail
from tierline_desk.public.store_events import signature
from tierline_desk.settings import get_settings

URL = "/mail/inbound"
SECRET = "inbound-webhook-test-secret"


@pytest.fixture
def signed(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("INBOUND_MAIL_SECRET", SECRET)
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    with TestClient(create_app()) as client:
        yield client


def _post(client: TestClient, raw: bytes, sig: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "message/rfc822"}
    headers["X-Tierline-Signature"] = sig if sig is not None else signature(SECRET, raw)
    return client.post(URL, content=raw, headers=headers)


def test_a_signed_reply_is_threaded_into_its_case_once(
    signed: TestClient, session: Session
) -> None:
    case = make_email_case(session)
    raw = shopper_mail(
        to=case_address(case), attachments=[("box.jpg", "image/jpeg", jpeg_bytes())]
    ).as_bytes()
    resp = _post(signed, raw)
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert (out["status"], out["case_number"], out["reason"]) == (
        "threaded",
        case.case_number,
        None,
    )
    again = _post(signed, raw).json()
    assert again["status"] == "duplicate"
    rows = session.scalars(select(CaseMessage).where(CaseMessage.direction == "inbound")).all()
    assert len(rows) == 1
    (kept,) = session.scalars(select(InboundMail)).all()
    assert kept.source == "webhook" and kept.status == "threaded"


def test_unsigned_or_wrongly_signed_mail_is_refused_unread(
    signed: TestClient, session: Session
) -> None:
    case = make_email_case(session)
    raw = shopper_mail(to=case_address(case)).as_bytes()
    for sig in ("", "sha256=" + "0" * 64, signature("another-secret", raw)):
        resp = _post(signed, raw, sig)
        assert resp.status_code == 401
        assert resp.json()["detail"]["code"] == "bad_signature"
    assert session.scalars(select(InboundMail)).first() is None


def test_without_a_secret_the_webhook_refuses_everything(client: TestClient) -> None:
    raw = b"From: a@example.com\r\n\r\nhello"
    resp = client.post(URL, content=raw, headers={"X-Tierline-Signature": signature("", raw)})
    assert resp.status_code == 401 and resp.json()["detail"]["code"] == "bad_signature"


def test_a_mail_over_the_limit_is_refused_with_413(
    signed: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INBOUND_MAIL_MAX_BYTES", "2048")
    get_settings.cache_clear()
    raw = b"From: a@example.com\r\n\r\n" + b"x" * 4096
    resp = _post(signed, raw)
    assert resp.status_code == 413
    assert resp.json()["detail"]["code"] == "mail_too_large"
