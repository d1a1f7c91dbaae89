"""Inbound mail (mail/inbound.py): what lands in a case's thread, and what is quarantined."""

from __future__ import annotations

import io
from email.message import EmailMessage

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from tierline_harness.hostile import hostile_mails

from tests.utils.attachments import photo as phone_photo
from tests.utils.desk import audit_rows
from tests.utils.email_cases import (
    add_sent_reply,
    case_address,
    jpeg_bytes,
    make_email_case,
    pdf_bytes,
    shopper_mail,
)
from tierline_desk.mail import case_threads, inbound
from tierline_desk.models import Case, CaseMessage, InboundMail, MailAttachment
from tierline_desk.settings import get_settings


def _inbound(session: Session, case: Case) -> list[CaseMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(CaseMessage).where(
                CaseMessage.case_number == case.case_number, CaseMessage.direction == "inbound"
            )
        )
    )


def _take(session: Session, msg: EmailMessage, **kw: object) -> inbound.Outcome:
    return inbound.process(session, msg.as_bytes(), source="smtp", **kw)  # type: ignore[arg-type]


def _quarantined(session: Session) -> list[InboundMail]:
    session.expire_all()
    return list(session.scalars(select(InboundMail).where(InboundMail.status == "quarantined")))


def test_a_reply_to_the_case_address_lands_in_the_thread_with_its_photo_and_pdf(
    session: Session,
) -> None:
    case = make_email_case(session, status="answered")
    photo, pdf = phone_photo(), pdf_bytes()
    msg = shopper_mail(
        to=case_address(case),
        text="The box arrived crushed, photo attached.\n\nOn Mon, Tierline wrote:\n> Hello",
        attachments=[("box.jpg", "image/jpeg", photo), ("receipt.pdf", "application/pdf", pdf)],
    )
    out = _take(session, msg)
    assert out.status == "threaded" and out.case_number == case.case_number, out
    (row,) = _inbound(session, case)
    assert row.body == "The box arrived crushed, photo attached."
    assert row.quoted is not None and "> Hello" in row.quoted
    assert row.from_email == "priya.n@example.com" and row.sent is True
    assert f"<{row.message_id}>" == msg["Message-ID"]
    files = list(session.scalars(select(MailAttachment).where(MailAttachment.owner.like("%:%"))))
    assert [(f.filename, f.content_type) for f in files] == [
        ("box.jpg", "image/jpeg"),
        ("receipt.pdf", "application/pdf"),
    ]
    # The photo is kept re-encoded, as the web chat keeps one: same picture, no EXIF location.
    with Image.open(io.BytesIO(files[0].data)) as kept:
        assert kept.size == (640, 480) and not kept.getexif()
    assert files[1].data == pdf
    assert session.get(Case, case.id).status == "open"  # type: ignore[union-attr]
    (audit,) = audit_rows(session, "case.email_in")
    assert audit.details["attachments"] == 2


def test_the_same_mail_twice_is_taken_once(session: Session) -> None:
    case = make_email_case(session)
    msg = shopper_mail(to=case_address(case))
    assert _take(session, msg).status == "threaded"
    again = _take(session, msg)
    assert again.status == "duplicate" and again.message_id == msg["Message-ID"].strip("<>")
    assert len(_inbound(session, case)) == 1


def test_a_reply_matched_by_in_reply_to_of_a_mail_the_desk_sent(session: Session) -> None:
    case = make_email_case(session)
    add_sent_reply(session, case, "Could you send a photo?")
    # Sent to the plain support address (no token): the threading headers find the case.
    msg = shopper_mail(to="support@tierline.example", in_reply_to="<sent-1@tierline.example>")
    out = _take(session, msg)
    assert out.status == "threaded" and out.case_number == case.case_number


def test_the_root_message_id_of_the_case_mail_finds_the_case(session: Session) -> None:
    case = make_email_case(session)
    root = case_threads.root_message_id(case.case_number)
    assert root is not None
    msg = shopper_mail(to="support@tierline.example", in_reply_to=root)
    assert _take(session, msg).case_number == case.case_number


def test_the_subject_alone_never_finds_a_case(session: Session) -> None:
    case = make_email_case(session)
    msg = shopper_mail(to="support@tierline.example", subject=f"Re: your case {case.case_number}")
    out = _take(session, msg)
    assert (out.status, out.reason) == ("quarantined", "no_case")
    assert _inbound(session, case) == []
    (kept,) = _quarantined(session)
    assert kept.subject == f"Re: your case {case.case_number}"
    assert "Here is the photo" in kept.excerpt
    assert audit_rows(session, "mail.quarantined")[0].details["reason"] == "no_case"


def test_a_forged_token_is_quarantined(session: Session) -> None:
    case = make_email_case(session)
    other = make_email_case(session, "CASE-900002")
    # The real token of one case on the other case's number.
    good = case_threads.token(other.case_number)
    forged = f"cases+{case.case_number.lower()}.{good}@tierline.example"
    out = _take(session, shopper_mail(to=forged))
    assert (out.status, out.reason) == ("quarantined", "forged_token")
    header = [(case_threads.TOKEN_HEADER, f"{case.case_number}.aaaaaaaaaaaaaaaa")]
    out = _take(session, shopper_mail(to="support@tierline.example", headers=header))
    assert out.reason == "forged_token"
    fake_root = f"<{case.case_number.lower()}.bbbbbbbbbbbbbbbb@tierline.example>"
    out = _take(session, shopper_mail(to="support@tierline.example", in_reply_to=fake_root))
    assert out.reason == "forged_token"
    assert _inbound(session, case) == [] and _inbound(session, other) == []


def test_a_stranger_writing_to_the_case_address_is_quarantined(session: Session) -> None:
    case = make_email_case(session)
    out = _take(session, shopper_mail(to=case_address(case), sender="mallory@evil.example"))
    assert (out.status, out.reason, out.case_number) == (
        "quarantined",
        "unknown_sender",
        case.case_number,
    )
    assert _inbound(session, case) == []
    dmarc = [("Authentication-Results", "mx.tierline.example; dmarc=fail header.from=example.com")]
    out = _take(session, shopper_mail(to=case_address(case), headers=dmarc))
    assert out.reason == "failed_authentication"


def test_auto_replies_and_bounces_are_quarantined(session: Session) -> None:
    case = make_email_case(session)
    to = case_address(case)
    cases = {
        "auto_reply": [
            shopper_mail(to=to, headers=[("Auto-Submitted", "auto-replied")]),
            shopper_mail(to=to, headers=[("X-Autoreply", "yes")]),
            shopper_mail(to=to, headers=[("Precedence", "bulk")]),
            shopper_mail(to=to, subject="Out of Office: back on Monday"),
            shopper_mail(to=to, subject="Automatic reply: your case"),
        ],
        "bounce": [shopper_mail(to=to, sender="MAILER-DAEMON@mail.example.com")],
    }
    report = shopper_mail(to=to)
    report.replace_header("Content-Type", "multipart/report; report-type=delivery-status")
    cases["bounce"].append(report)
    for reason, mails in cases.items():
        for msg in mails:
            out = _take(session, msg)
            assert (out.status, out.reason) == ("quarantined", reason), msg["Subject"]
    assert _inbound(session, case) == []
    assert len(_quarantined(session)) == 7


def test_attachments_are_judged_by_their_bytes(session: Session) -> None:
    case = make_email_case(session)
    msg = shopper_mail(
        to=case_address(case),
        attachments=[
            ("photo.jpg", "image/jpeg", b"MZ\x90\x00 this is a program"),  # renamed .exe
            ("big.png", "image/png", jpeg_bytes((3000, 3000))),
        ],
    )
    out = _take(session, msg)
    assert out.status == "threaded"
    (row,) = _inbound(session, case)
    assert "[Attachment photo.jpg not kept: We can only take photos (JPEG, PNG or HEIC)" in row.body
    # A real JPEG named .png is kept as what it is.
    (kept,) = session.scalars(select(MailAttachment))
    assert (kept.filename, kept.content_type) == ("big.png", "image/jpeg")


def test_an_oversized_attachment_is_refused_with_a_note(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INBOUND_ATTACHMENT_MAX_BYTES", "100")
    get_settings.cache_clear()
    case = make_email_case(session)
    photo = [("box.jpg", "image/jpeg", jpeg_bytes())]
    out = _take(session, shopper_mail(to=case_address(case), attachments=photo))
    assert out.status == "threaded"
    (row,) = _inbound(session, case)
    assert "[Attachment box.jpg not kept: larger than 100 bytes.]" in row.body
    assert session.scalars(select(MailAttachment)).first() is None


def test_hostile_mails_are_refused_cleanly_and_pollute_no_case(session: Session) -> None:
    """The hostile corpus's raw mails, sent to a real case's own address by its shopper."""
    case = make_email_case(session, "CASE-100001")
    outcomes = {
        name: inbound.process(session, raw, source="webhook")
        for name, raw in hostile_mails(to=case_address(case)).items()
    }
    assert outcomes["spoofed-token"].reason == "forged_token"
    assert outcomes["not-a-mail"].reason == "no_case"
    assert outcomes["no-headers-at-all"].reason == "no_case"
    for name in ("html-with-script", "attachment-renamed", "broken-mime", "unknown-charset"):
        assert outcomes[name].status == "threaded", (name, outcomes[name])
    by_id = {m.message_id: m for m in _inbound(session, case)}
    html = by_id["hostile-html@mail.example.com"]
    assert "Photo" in html.body and "<script" not in html.body and "onerror" not in html.body
    renamed = by_id["hostile-renamed@mail.example.com"]
    assert "[Attachment photo.jpg not kept: We can only take photos" in renamed.body
    assert session.scalars(select(MailAttachment)).first() is None
    assert all(o.status in ("threaded", "quarantined") for o in outcomes.values()), outcomes
