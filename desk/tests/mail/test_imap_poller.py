"""The IMAP poller against a real Dovecot: unseen replies threaded into their cases, marked
seen and moved, and never imported twice (by Message-ID)."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.dovecot_server import PASSWORD, USER, dovecot
from tests.utils.email_cases import case_address, jpeg_bytes, make_email_case, shopper_mail
from tierline_desk.mail.imap_poller import poll_once
from tierline_desk.models import CaseMessage, InboundMail, MailAttachment
from tierline_desk.settings import get_settings

pytestmark = pytest.mark.services

DONE = "Tierline-Done"


@pytest.fixture
def imap_port(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    with dovecot() as port:
        for name, value in {
            "IMAP_HOST": "127.0.0.1",
            "IMAP_PORT": str(port),
            "IMAP_USER": USER,
            "IMAP_PASSWORD": PASSWORD,
            "IMAP_TLS": "none",
            "IMAP_MAILBOX": "INBOX",
            "IMAP_DONE_MAILBOX": DONE,
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        yield port


def _deliver(port: int, *mails: EmailMessage) -> None:
    """Put mails in the INBOX the way a delivery agent does (unseen)."""
    conn = imaplib.IMAP4("127.0.0.1", port)
    conn.login(USER, PASSWORD)
    for mail in mails:
        status, _ = conn.append("INBOX", "", imaplib.Time2Internaldate(0), mail.as_bytes())
        assert status == "OK"
    conn.logout()


def _count(port: int, mailbox: str, criteria: str) -> int:
    conn = imaplib.IMAP4("127.0.0.1", port)
    conn.login(USER, PASSWORD)
    status, _ = conn.select(f'"{mailbox}"')
    assert status == "OK", mailbox
    _, found = conn.uid("SEARCH", criteria)
    conn.logout()
    return len(found[0].split())


def test_unseen_mail_is_taken_in_once_marked_and_moved(imap_port: int, session: Session) -> None:
    case = make_email_case(session)
    reply = shopper_mail(
        to=case_address(case), attachments=[("box.jpg", "image/jpeg", jpeg_bytes())]
    )
    vacation = shopper_mail(to=case_address(case), headers=[("Auto-Submitted", "auto-replied")])
    _deliver(imap_port, reply, vacation)

    first = poll_once()
    assert sorted(o.status for o in first.outcomes) == ["quarantined", "threaded"]
    assert _count(imap_port, "INBOX", "ALL") == 0
    assert _count(imap_port, DONE, "SEEN") == 2

    assert poll_once().outcomes == []  # nothing unseen is left
    _deliver(imap_port, reply)  # the same mail delivered again
    again = poll_once()
    assert [o.status for o in again.outcomes] == ["duplicate"]
    assert _count(imap_port, DONE, "SEEN") == 3

    session.expire_all()
    rows = session.scalars(select(CaseMessage).where(CaseMessage.direction == "inbound")).all()
    assert [r.message_id for r in rows] == [reply["Message-ID"].strip("<>")]
    assert session.scalars(select(MailAttachment)).one().content_type == "image/jpeg"
    sources = {m.source for m in session.scalars(select(InboundMail))}
    assert sources == {"imap"}


def test_a_wrong_password_fails_the_pass_and_leaves_mail_unseen(
    imap_port: int, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = make_email_case(session)
    _deliver(imap_port, shopper_mail(to=case_address(case)))
    monkeypatch.setenv("IMAP_PASSWORD", "wrong")
    get_settings.cache_clear()
    with pytest.raises(imaplib.IMAP4.error):
        poll_once()
    assert _count(imap_port, "INBOX", "UNSEEN") == 1
    assert session.scalars(select(InboundMail)).first() is None
