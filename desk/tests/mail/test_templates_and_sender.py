"""Templates for the agent console (not wired yet), message building, masking, sending."""

from __future__ import annotations

import smtplib
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi import BackgroundTasks

from tests.utils.mail_catcher import Catcher, html_of, text_of
from tierline_desk.mail import notify, templates
from tierline_desk.mail.sender import build_message, is_address, mask_email, send
from tierline_desk.settings import get_settings


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize(
    ("address", "masked"),
    [
        ("maya.chen@example.com", "m***@example.com"),
        ("  M@Example.COM ", "M***@Example.COM"),
        ("no-at-sign", "***"),
        ("@example.com", "***"),
        ("", "***"),
        (None, "***"),
    ],
)
def test_mask_email(address: str | None, masked: str) -> None:
    assert mask_email(address) == masked


def test_is_address_refuses_header_injection() -> None:
    assert is_address("ada@example.com")
    assert not is_address("ada@example.com\r\nBcc: eve@example.com")
    assert not is_address("ada@example.com\nX: y")
    assert not is_address("ada example@example.com")
    assert not is_address("a" * 320 + "@example.com")
    with pytest.raises(ValueError, match="not a usable recipient address") as err:
        build_message(templates.refund_issued(**{**REFUND, "to": "ada@example.com\r\nBcc: e@x.io"}))
    assert "ada@" not in str(err.value)


REFUND = {
    "to": "ada@example.com",
    "name": "Ada Park",
    "order_number": "130-1234567-7654321",
    "refund_id": "RF-ABCD2345",
    "amount": Decimal("1042.5"),
    "expected_by": date(2026, 12, 4),
}


def test_refund_issued(db: str) -> None:
    msg = build_message(templates.refund_issued(**REFUND))  # type: ignore[arg-type]
    assert msg["To"] == "ada@example.com"
    assert msg["Subject"] == "Your refund of $1,042.50 is on its way (RF-ABCD2345)"
    assert msg["X-Tierline-Mail"] == "refund_issued"
    text = flat(text_of(msg))
    for expected in (
        "Hi Ada,",
        "RF-ABCD2345",
        "130-1234567-7654321",
        "$1,042.50",
        "your original payment method",
        "Friday, December 4, 2026",
        "What happens next",
    ):
        assert expected in text
    assert "RF-ABCD2345" in html_of(msg)


def test_replacement_shipped(db: str) -> None:
    mail = templates.replacement_shipped(
        to="ada@example.com",
        name=None,
        order_number="130-1234567-7654321",
        items=["Electric Kettle (1.7 L)"],
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        estimated_delivery=date(2026, 12, 3),
    )
    msg = build_message(mail)
    assert "130-1234567-7654321" in msg["Subject"]
    text = flat(text_of(msg))
    assert text.startswith("Hello,")
    for expected in ("Electric Kettle (1.7 L)", "1Z999AA10123456784", "Thursday, December 3, 2026"):
        assert expected in text
    no_tracking = templates.replacement_shipped(
        to="ada@example.com", name="Ada", order_number="130-1234567-7654321", items=["Kettle"]
    )
    assert "tracking number as soon as" in flat(templates.render_text(no_tracking))


def test_promotional_certificate(db: str) -> None:
    mail = templates.promotional_certificate(
        to="ada@example.com",
        name="Ada",
        code="SORRY20",
        value="$20 off",
        reason="the late delivery",
        expires_at=datetime(2027, 1, 31, 23, 59, tzinfo=UTC),
        min_spend=Decimal("50"),
    )
    msg = build_message(mail)
    assert msg["Subject"] == "A thank-you from Tierline: $20 off with code SORRY20"
    text = flat(text_of(msg))
    for expected in ("SORRY20", "$20 off your next order", "$50.00", "January 31, 2027 at 23:59"):
        assert expected in text
    assert "sorry for the late delivery" in text


def test_html_is_escaped_and_carries_the_same_facts(db: str) -> None:
    mail = templates.refund_issued(**{**REFUND, "name": "<img src=x onerror=alert(1)>"})  # type: ignore[arg-type]
    html = templates.render_html(mail)
    assert "<img" not in html and "&lt;img" in html
    for _label, value in mail.facts:
        assert templates.html.escape(value) in html


def test_messages_have_unique_ids_and_use_smtp_from(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMTP_FROM", "Help <help@shop.test>")
    get_settings.cache_clear()
    a = build_message(templates.refund_issued(**REFUND))  # type: ignore[arg-type]
    b = build_message(templates.refund_issued(**REFUND))  # type: ignore[arg-type]
    assert a["From"] == "Help <help@shop.test>"
    assert a["Message-ID"] != b["Message-ID"]
    assert str(a["Message-ID"]).endswith("@shop.test>")
    assert a["Auto-Submitted"] == "auto-generated"


def test_send_delivers_to_the_catcher(catcher: Catcher) -> None:
    msg = build_message(templates.refund_issued(**REFUND))  # type: ignore[arg-type]
    assert send(msg) is True
    got = catcher.only()
    assert got["Message-ID"] == msg["Message-ID"]
    assert got["Delivered-To"] == "ada@example.com"


def test_send_reports_refusals_without_raising(
    catcher: Catcher, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise smtplib.SMTPRecipientsRefused({"ada@example.com": (550, b"no ada@example.com")})

    monkeypatch.setattr(smtplib.SMTP, "send_message", refuse)
    assert send(build_message(templates.refund_issued(**REFUND))) is False  # type: ignore[arg-type]
    assert "SMTPRecipientsRefused 550" in caplog.text
    assert "a***@example.com" in caplog.text
    assert "ada@example.com" not in caplog.text
    assert catcher.messages() == []


def test_schedule_swallows_template_errors(db: str, caplog: pytest.LogCaptureFixture) -> None:
    tasks = BackgroundTasks()

    def broken() -> templates.Mail:
        raise KeyError("boom")

    assert notify.schedule(tasks, "test", broken) is False
    assert notify.schedule(tasks, "test", lambda: None) is False
    assert tasks.tasks == []
    assert "could not prepare the test mail: KeyError" in caplog.text
    assert notify.schedule(tasks, "ok", lambda: templates.refund_issued(**REFUND)) is True  # type: ignore[arg-type]
    assert len(tasks.tasks) == 1
