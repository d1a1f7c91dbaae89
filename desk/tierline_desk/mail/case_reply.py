"""An agent's reply on an email case: a plain-text mail written by a person.

Unlike the templates in :mod:`.templates` (automatic confirmations, multipart, marked
``Auto-Submitted``), this is the agent's own text with a short signature. It is threaded with
the case's earlier mails and its ``Reply-To`` is the case's own address (:mod:`.case_threads`),
so the shopper's answer comes back into the case. Send it with :func:`.sender.send`. The console
stores the rendered text (what the shopper receives) on the case, so a reply the mail server
refused can be sent again unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from ..models import utcnow
from ..settings import get_settings
from . import case_threads
from .case_threads import Thread
from .sender import is_address, mask_email
from .templates import human

KIND = "case_reply"


@dataclass(frozen=True)
class CaseReply:
    case_number: str
    kind: str
    to: str
    body: str
    agent_name: str
    thread: Thread
    # A closing reply: the signed link to rate the case (services/csat.py).
    survey_link: str | None = None


def kind_label(kind: str) -> str:
    """``trade_in_credit`` -> ``Trade in credit``."""
    return human(kind).capitalize()


def reply_subject(case_number: str, kind: str) -> str:
    return f"Re: your case {case_number} \N{EN DASH} {kind_label(kind)}"


def render_text(reply: CaseReply) -> str:
    survey = (
        f"How did we do? Rate how we handled your case (one click, one question):\n"
        f"{reply.survey_link}\n\n"
        if reply.survey_link
        else ""
    )
    return (
        f"{reply.body.strip()}\n\n"
        f"{survey}"
        f"--\n{reply.agent_name}\nTierline Support\n\n"
        f"Your case number is {reply.case_number}. Just reply to this email to add to your "
        "case; photos and PDFs are welcome.\n"
    )


def _domain(from_header: str) -> str:
    return parseaddr(from_header)[1].rpartition("@")[2] or "tierline.example"


def build(reply: CaseReply) -> EmailMessage:
    """The reply as a new plain-text message with a fresh Message-ID."""
    settings = get_settings()
    return message(
        to=reply.to,
        subject=reply_subject(reply.case_number, reply.kind),
        text=render_text(reply),
        message_id=make_msgid(domain=_domain(settings.smtp_from)),
        case_number=reply.case_number,
        thread=reply.thread,
    )


def message(
    *, to: str, subject: str, text: str, message_id: str, case_number: str, thread: Thread
) -> EmailMessage:
    """A plain-text message from SMTP_FROM, threaded and answered to the case's address.

    Also used to send a stored reply again, with its original Message-ID (so a mail client that
    did get the first attempt shows it once).
    """
    if not is_address(to):
        raise ValueError(f"not a usable recipient address: {mask_email(to)}")
    settings = get_settings()
    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = message_id
    msg["X-Tierline-Mail"] = KIND
    msg["X-Tierline-Reference"] = case_number
    case_threads.apply(msg, thread)
    msg.set_content(text)
    return msg
