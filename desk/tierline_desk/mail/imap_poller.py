"""Production inbound mail: the desk reads a mailbox over IMAP (docs/email.md, "IMAP").

Every IMAP_POLL_SECONDS the desk logs in to IMAP_HOST, reads the unseen messages of
IMAP_MAILBOX (``BODY.PEEK[]``: reading does not mark them), hands each raw message to
:func:`.inbound.process` (the same function the local catcher and the webhook use), and only
after that committed marks it ``\\Seen`` and, when IMAP_DONE_MAILBOX is set, moves it there.
A crash in between leaves the message unseen; read again, it is a ``duplicate`` by its
Message-ID and is only marked. Several desks polling one mailbox are safe for the same reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..db import get_session_factory
from ..settings import Settings, get_settings, require_secret
from . import inbound

log = logging.getLogger("tierline_desk.mail.imap")


class ImapError(RuntimeError):
    """The server refused a command (login, select, fetch...)."""


@dataclass
class PollResult:
    outcomes: list[inbound.Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)


def _connect(settings: Settings) -> imaplib.IMAP4:
    host = settings.imap_host or ""
    timeout = settings.smtp_timeout_seconds * 6
    if settings.imap_tls == "ssl":
        return imaplib.IMAP4_SSL(
            host, settings.imap_port, ssl_context=ssl.create_default_context(), timeout=timeout
        )
    conn = imaplib.IMAP4(host, settings.imap_port, timeout=timeout)
    if settings.imap_tls == "starttls":
        conn.starttls(ssl.create_default_context())
    return conn


def _ok(answer: tuple[str, Sequence[object]], what: str) -> Sequence[object]:
    status, data = answer
    if status != "OK":
        said = b" ".join(d for d in data if isinstance(d, bytes)).decode("utf-8", "replace")
        raise ImapError(f"IMAP {what} refused: {status} {said[:200]}")
    return data


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _raw(data: Sequence[object]) -> bytes | None:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def poll_once(settings: Settings | None = None) -> PollResult:
    """One pass over the unseen messages. Raises OSError/ImapError when the server fails."""
    settings = settings or get_settings()
    password = require_secret(settings.imap_password, "IMAP_PASSWORD")
    result = PollResult()
    conn = _connect(settings)
    try:
        _ok(conn.login(settings.imap_user, password), "login")
        done = settings.imap_done_mailbox.strip()
        if done:
            conn.create(_quoted(done))  # "already exists" is fine
        _ok(conn.select(_quoted(settings.imap_mailbox)), "select")
        (found,) = _ok(conn.uid("SEARCH", "UNSEEN"), "search")
        uids = found.decode("ascii").split() if isinstance(found, bytes) else []
        for uid in uids:
            raw = _raw(_ok(conn.uid("FETCH", uid, "(BODY.PEEK[])"), "fetch"))
            if raw is None:
                continue
            with get_session_factory()() as session:
                outcome = inbound.process(session, raw, source="imap")
            result.outcomes.append(outcome)
            _ok(conn.uid("STORE", uid, "+FLAGS", "(\\Seen)"), "store")
            if done:
                _ok(conn.uid("MOVE", uid, _quoted(done)), "move")
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()
    if result.outcomes:
        log.info(
            "imap: %d threaded, %d quarantined, %d already taken",
            result.count("threaded"),
            result.count("quarantined"),
            result.count("duplicate"),
        )
    return result


async def poll_forever(seconds: float) -> None:
    """The desk's background poller (started when IMAP_HOST is set); never raises."""
    while True:
        try:
            await asyncio.to_thread(poll_once)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("imap: this pass failed (%s); next in %.0f s", type(exc).__name__, seconds)
        await asyncio.sleep(seconds)
