"""Answer a case's latest mail as its shopper: for trying inbound mail locally (``make run``).

``python -m tierline_desk.cli reply-as-shopper CASE-100001 "Here is the photo" --attach box.jpg``
reads the newest mail of the case from the catcher's Maildir (MAILDIR), writes the answer a mail
client would (to its Reply-To, with In-Reply-To/References, the text quoted below), and sends it
over SMTP to SMTP_HOST:SMTP_PORT: the local catcher, which hands it to the desk.
"""

from __future__ import annotations

import mimetypes
import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path

from ..settings import get_settings


def latest_case_mail(maildir: Path, case_number: str) -> EmailMessage | None:
    """The newest mail the desk sent about ``case_number`` (X-Tierline-Reference)."""
    files = [
        p for sub in ("new", "cur") if (maildir / sub).is_dir() for p in (maildir / sub).iterdir()
    ]
    for path in sorted(files, key=lambda p: p.stat().st_mtime_ns, reverse=True):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        if isinstance(msg, EmailMessage) and msg.get("X-Tierline-Reference") == case_number:
            return msg
    return None


def build_reply(mail: EmailMessage, text: str, attachments: list[Path]) -> EmailMessage:
    """The shopper's answer to ``mail``, threaded as a mail client threads it."""
    reply = EmailMessage()
    reply["From"] = str(mail["To"])
    reply["To"] = str(mail.get("Reply-To") or mail["From"])
    subject = str(mail["Subject"])
    reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    reply["Message-ID"] = make_msgid(domain=parseaddr(str(mail["To"]))[1].rpartition("@")[2])
    reply["In-Reply-To"] = str(mail["Message-ID"])
    reply["References"] = f"{mail.get('References', '')} {mail['Message-ID']}".strip()
    body = mail.get_body(preferencelist=("plain",))
    earlier = body.get_content() if body is not None else ""
    quoted = "\n".join(f"> {line}" for line in str(earlier).splitlines())
    reply.set_content(f"{text}\n\nOn {mail['Date']}, {mail['From']} wrote:\n{quoted}\n")
    for path in attachments:
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        reply.add_attachment(
            path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name
        )
    return reply


def send(reply: EmailMessage) -> None:
    """Over SMTP to SMTP_HOST:SMTP_PORT (raises OSError/SMTPException when refused)."""
    settings = get_settings()
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    ) as smtp:
        smtp.send_message(reply)
