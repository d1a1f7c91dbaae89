"""A real aiosmtpd server on a free port, writing to a temp Maildir, for the mail tests.

Imported by tests/mail/conftest.py and tests/api/test_outbox.py.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from tierline_common.ports import free_port

from tierline_desk.mail.catcher import MaildirCatcher
from tierline_desk.settings import get_settings


@dataclass
class Catcher:
    port: int
    maildir: Path

    def messages(self) -> list[EmailMessage]:
        """Every stored message, oldest first, read straight from the Maildir files."""
        if not (self.maildir / "new").is_dir():
            return []
        files = sorted(
            (p for sub in ("new", "cur") for p in (self.maildir / sub).iterdir()),
            key=lambda p: p.stat().st_mtime_ns,
        )
        out = []
        for path in files:
            msg = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(msg, EmailMessage)
            out.append(msg)
        return out

    def only(self) -> EmailMessage:
        msgs = self.messages()
        assert len(msgs) == 1, [m["Subject"] for m in msgs]
        return msgs[0]


def _part(msg: EmailMessage, subtype: str) -> str:
    body = msg.get_body(preferencelist=(subtype,))
    assert body is not None
    content = body.get_content()
    assert isinstance(content, str)
    return content


def text_of(msg: EmailMessage) -> str:
    return _part(msg, "plain")


def html_of(msg: EmailMessage) -> str:
    return _part(msg, "html")


def use_smtp(monkeypatch: pytest.MonkeyPatch, port: int, maildir: Path | None = None) -> None:
    monkeypatch.setenv("MAIL_ENABLED", "true")
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(port))
    monkeypatch.setenv("SMTP_TIMEOUT_SECONDS", "3")
    if maildir is not None:
        monkeypatch.setenv("MAILDIR", str(maildir))
    get_settings.cache_clear()


@pytest.fixture
def catcher(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Catcher]:
    """The desk's settings (after ``db``) pointed at a running catcher; MAILDIR is its Maildir."""
    maildir = tmp_path / "caught"
    server = MaildirCatcher(maildir, "127.0.0.1", 0)
    server.start()
    try:
        use_smtp(monkeypatch, server.port, maildir)
        yield Catcher(port=server.port, maildir=maildir)
    finally:
        server.stop()


@pytest.fixture
def dead_smtp(db: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """Mail switched on, but nothing listens on SMTP_PORT."""
    port = free_port()
    use_smtp(monkeypatch, port)
    return port


def maildir_count(path: Path) -> int:
    try:
        return len(mailbox.Maildir(str(path), create=False))
    except mailbox.NoSuchMailboxError:
        return 0
