"""The local mail catcher: an SMTP server (aiosmtpd) that keeps every message in a Maildir.

``python -m tierline_desk.cli mail-catcher --port 8025 --maildir <repo>/var/mail``. Nothing is
relayed anywhere; each message is stored as one file (stdlib :class:`mailbox.Maildir`, so any
mail client or ``GET /api/v1/outbox`` can read it), with a ``Delivered-To`` line per envelope
recipient on top, the way a real delivery agent does.

Mail to the desk's own case address (CASE_REPLY_ADDRESS or a plus address of it: a shopper
answering a case) is not the outbox's: it goes into the desk's inbound processing
(:func:`.inbound.process`, the same as IMAP and the webhook), in the desk's database. If the
database cannot take it, the catcher answers 451 so the sender tries again later.
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import signal
import socket
import threading
from pathlib import Path
from types import FrameType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from . import case_threads

log = logging.getLogger("tierline_desk.mail.catcher")

DEFAULT_HOST = "127.0.0.1"


def open_maildir(path: Path) -> mailbox.Maildir:
    """The Maildir at ``path``, created (with parents and tmp/new/cur) when missing."""
    path.mkdir(parents=True, exist_ok=True)
    for sub in ("tmp", "new", "cur"):
        (path / sub).mkdir(exist_ok=True)
    return mailbox.Maildir(str(path), factory=None, create=False)


class MaildirHandler:
    """aiosmtpd handler: accept every message and add it to the Maildir."""

    def __init__(self, maildir: Path) -> None:
        self.path = maildir
        self.box = open_maildir(maildir)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        content = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogateescape")
        ours = [r for r in envelope.rcpt_tos if case_threads.is_case_address(r)]
        others = [r for r in envelope.rcpt_tos if r not in ours]
        if ours:
            try:
                await asyncio.get_running_loop().run_in_executor(None, _take_in, content, ours)
            except Exception as exc:
                log.warning("inbound mail not taken in (%s): asking to retry", type(exc).__name__)
                return "451 4.3.0 The desk cannot take this mail right now; try again later"
        if others:
            self._keep(content.replace(b"\r\n", b"\n"), others)
        return "250 Message accepted for delivery"

    def _keep(self, content: bytes, recipients: list[str]) -> None:
        delivered = "".join(f"Delivered-To: {rcpt}\n" for rcpt in recipients)
        key = self.box.add(delivered.encode("utf-8", "surrogateescape") + content)
        log.info("stored message %s (%d bytes, %d recipients)", key, len(content), len(recipients))


def _take_in(content: bytes, recipients: list[str]) -> None:
    # Imported on the first mail for the desk, not at start-up: the catcher starts fast.
    from ..db import get_session_factory
    from . import inbound

    with get_session_factory()() as session:
        outcome = inbound.process(session, content, source="smtp", envelope=recipients)
    log.info("inbound mail %s: %s", outcome.message_id, outcome.status)


class MaildirCatcher(Controller):
    """aiosmtpd's threaded controller; ``port=0`` picks a free port (see :attr:`port`)."""

    def __init__(self, maildir: Path, host: str = DEFAULT_HOST, port: int = 8025) -> None:
        self.handler_obj = MaildirHandler(maildir)
        super().__init__(self.handler_obj, hostname=host, port=port)

    def _trigger_server(self) -> None:
        # With port 0 the OS chose the port: learn it before aiosmtpd connects to itself.
        if isinstance(self.server, asyncio.Server) and self.server.sockets:
            self.port = int(self.server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]


def _check_bindable(host: str, port: int) -> None:
    """Fail at once (OSError) on a busy port; aiosmtpd would only say so after its timeout."""
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio does
        sock.bind(address)


def serve(maildir: Path, host: str = DEFAULT_HOST, port: int = 8025) -> None:
    """Run the catcher until SIGINT or SIGTERM (for ``make run``/honcho). Raises OSError if the
    port cannot be bound."""
    _check_bindable(host, port)
    catcher = MaildirCatcher(maildir, host, port)
    catcher.start()
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    log.info("mail catcher: smtp://%s:%d -> Maildir %s", host, catcher.port, maildir)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        catcher.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("mail catcher: stopped")
