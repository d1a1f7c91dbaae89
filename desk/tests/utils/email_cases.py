"""Email cases both ways: a case with a shopper's address, and the shopper's replies as raw mail.

The mails are built with the stdlib ``email`` package the way a mail client would write them
(``In-Reply-To``/``References`` from the mail answered, quoted text, attachments).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import make_msgid

from PIL import Image
from sqlalchemy.orm import Session

from tierline_desk.mail import case_threads
from tierline_desk.models import Case, CaseMessage, utcnow

SHOPPER = {"id": "C-1003", "email": "priya.n@example.com", "name": "Priya Natarajan"}
ECR = "executive_customer_relations"


def make_email_case(session: Session, number: str = "CASE-900001", status: str = "open") -> Case:
    case = Case(
        case_number=number,
        kind="trade_in_credit",
        team=ECR,
        status=status,
        response_channel="email",
        conversation_id=f"conv-{number.lower()}",
        order_number="118-2718281-8284590",
        customer=dict(SHOPPER),
        description="Trade-in credit for my old phone never arrived",
        created_at=utcnow(),
    )
    session.add(case)
    session.commit()
    return case


def add_sent_reply(
    session: Session, case: Case, body: str, message_id: str = "sent-1@tierline.example"
) -> None:
    """A specialist's reply on ``case`` that the mail server accepted (committed)."""
    session.add(
        CaseMessage(
            case_number=case.case_number,
            direction="outbound",
            author="jordan.ecr",
            to_email=SHOPPER["email"],
            subject="Re: your case",
            body=body,
            message_id=message_id,
            sent=True,
        )
    )
    session.commit()


def jpeg_bytes(size: tuple[int, int] = (8, 6)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (255, 255, 255)).save(out, "PDF")
    return out.getvalue()


def shopper_mail(
    *,
    to: str,
    text: str = "Here is the photo of the box.",
    sender: str = SHOPPER["email"],
    subject: str = "Re: your case",
    answering: EmailMessage | None = None,
    in_reply_to: str | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    headers: Sequence[tuple[str, str]] = (),
) -> EmailMessage:
    """A reply as a mail client writes it; ``answering`` (a mail we sent) fills the threading
    headers and the quoted text. ``attachments``: (filename, mime type, bytes)."""
    msg = EmailMessage()
    msg["From"] = f"Priya <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="mail.example.com")
    body = text
    if answering is not None:
        msg["In-Reply-To"] = str(answering["Message-ID"])
        refs = str(answering.get("References", "")).split()
        msg["References"] = " ".join([*refs, str(answering["Message-ID"])])
        body_part = answering.get_body(preferencelist=("plain",))
        earlier = body_part.get_content() if body_part is not None else ""
        quoted = "\n".join(f"> {line}" for line in str(earlier).splitlines())
        body = f"{text}\n\nOn Mon, 7 Dec 2026 at 10:00, Tierline Support wrote:\n{quoted}\n"
    elif in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in headers:
        msg[name] = value
    msg.set_content(body)
    for filename, mime, data in attachments:
        maintype, subtype = mime.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def case_address(case: Case) -> str:
    return case_threads.reply_address(case.case_number)
