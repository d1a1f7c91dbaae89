"""Turn a :class:`~.templates.Mail` into a MIME message and send it over SMTP.

:func:`send` never raises: a mail that cannot be sent is logged (recipient masked, no
traceback, since SMTP errors can quote the address) and ``False`` comes back. The shopper's
operation has already been committed by then and its answer does not depend on the mail.
"""

from __future__ import annotations

import logging
import re
import smtplib
import socket
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from ..models import utcnow
from ..settings import get_settings
from . import case_threads
from .templates import Mail, render_html, render_text

log = logging.getLogger("tierline_desk.mail")

# Same shape the API accepts (schemas.EMAIL_RE), and no control characters, so a recipient
# can never smuggle extra headers in.
_ADDRESS_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


def is_address(value: str | None) -> bool:
    return bool(value) and len(value or "") <= 320 and bool(_ADDRESS_RE.fullmatch(value or ""))


def mask_email(address: str | None) -> str:
    """``maya.chen@example.com`` -> ``m***@example.com``, for logs."""
    local, at, domain = (address or "").strip().rpartition("@")
    if not at or not local or not domain:
        return "***"
    return f"{local[0]}***@{domain}"


def _sender_domain(from_header: str) -> str:
    _name, addr = parseaddr(from_header)
    domain = addr.rpartition("@")[2]
    return domain or "tierline.example"


def build_message(mail: Mail) -> EmailMessage:
    """A multipart/alternative message (plain text first, then HTML) with proper headers."""
    if not is_address(mail.to):
        raise ValueError(f"not a usable recipient address: {mask_email(mail.to)}")
    settings = get_settings()
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = format_datetime(utcnow())
    root = case_threads.root_message_id(mail.thread_of_case) if mail.thread_of_case else None
    msg["Message-ID"] = root or make_msgid(domain=_sender_domain(settings.smtp_from))
    if mail.thread_of_case:
        case_threads.apply(msg, case_threads.opening(mail.thread_of_case))
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies, please
    msg["X-Tierline-Mail"] = mail.kind
    msg["X-Tierline-Reference"] = mail.reference
    msg.set_content(render_text(mail))
    msg.add_alternative(render_html(mail), subtype="html")
    return msg


def _describe(exc: BaseException) -> str:
    """The error without anything that could quote an address."""
    text = type(exc).__name__
    if isinstance(exc, smtplib.SMTPResponseException):
        text += f" {exc.smtp_code}"
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        text += " " + ",".join(str(code) for code, _msg in exc.recipients.values())
    elif isinstance(exc, OSError) and exc.strerror:
        text += f" ({exc.strerror})"
    return text


def send(msg: EmailMessage) -> bool:
    """Deliver ``msg`` to SMTP_HOST:SMTP_PORT; True when the server accepted it. Never raises."""
    kind = msg.get("X-Tierline-Mail", "mail")
    ref = msg.get("X-Tierline-Reference", "-")
    to = mask_email(msg.get("To"))
    try:
        settings = get_settings()
        if not settings.mail_enabled:
            log.info("mail disabled (MAIL_ENABLED=false): %s %s to %s not sent", kind, ref, to)
            return False
        with smtplib.SMTP(
            settings.smtp_host,
            settings.smtp_port,
            local_hostname=socket.gethostname() or "localhost",
            timeout=settings.smtp_timeout_seconds,
        ) as smtp:
            smtp.send_message(msg)
    except Exception as exc:
        log.warning("could not send %s mail %s to %s via SMTP: %s", kind, ref, to, _describe(exc))
        return False
    log.info("sent %s mail %s to %s (%s)", kind, ref, to, msg.get("Message-ID"))
    return True
