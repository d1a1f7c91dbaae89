"""Read the catcher's Maildir: what the desk has "sent", newest first (``GET /api/v1/outbox``).

Read-only: a missing Maildir is simply an empty outbox, and nothing is ever moved or marked.
"""

from __future__ import annotations

import email
import mailbox
import re
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from pathlib import Path

from pydantic import ConfigDict

from ..api.schemas import OutboxMessage

# Python's Maildir names new files "<seconds>.M<microseconds>P<pid>Q<n>.<host>".
_KEY_TIME_RE = re.compile(r"^(\d+)\.M(\d+)P")


class StoredMail(OutboxMessage):
    """A message as the outbox API shows it, plus the Maildir key it is filed under."""

    model_config = ConfigDict(frozen=True)

    key: str


def normalize_message_id(value: str) -> str:
    """``<abc@host>``, ``abc@host`` and surrounding blanks all name the same message."""
    return value.strip().removeprefix("<").removesuffix(">").strip()


def _open(path: Path) -> mailbox.Maildir | None:
    try:
        return mailbox.Maildir(str(path), factory=None, create=False)
    except mailbox.NoSuchMailboxError:
        return None


def _delivered_at(box: mailbox.Maildir, key: str) -> datetime:
    match = _KEY_TIME_RE.match(key)
    if match:
        return datetime.fromtimestamp(int(match[1]) + int(match[2]) / 1e6, UTC)
    return datetime.fromtimestamp(box.get_message(key).get_date(), UTC)


def _part_text(msg: EmailMessage, subtype: str) -> str | None:
    part = msg.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        content = part.get_content()
    except (LookupError, ValueError):  # unknown charset, broken encoding
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else None


def _header(msg: EmailMessage, name: str) -> str:
    value = msg.get(name)
    return str(value).strip() if value is not None else ""


def _read(box: mailbox.Maildir, key: str) -> StoredMail:
    msg = email.message_from_bytes(box.get_bytes(key), policy=policy.default)
    assert isinstance(msg, EmailMessage)
    try:
        date_header = msg.get("Date")
        date = getattr(date_header, "datetime", None) if date_header is not None else None
    except (TypeError, ValueError):
        date = None
    return StoredMail(
        key=key,
        message_id=normalize_message_id(_header(msg, "Message-ID")),
        to=_header(msg, "To"),
        sender=_header(msg, "From"),
        subject=_header(msg, "Subject"),
        date=date if isinstance(date, datetime) else None,
        delivered_at=_delivered_at(box, key),
        kind=_header(msg, "X-Tierline-Mail") or None,
        reference=_header(msg, "X-Tierline-Reference") or None,
        text=_part_text(msg, "plain") or "",
        html=_part_text(msg, "html"),
    )


def list_messages(path: Path, limit: int | None = None) -> list[StoredMail]:
    """Every message in the Maildir at ``path``, newest delivery first."""
    box = _open(path)
    if box is None:
        return []
    mails = [_read(box, key) for key in box.iterkeys()]
    mails.sort(key=lambda m: (m.delivered_at, m.key), reverse=True)
    return mails if limit is None else mails[:limit]


def find_message(path: Path, message_id: str) -> StoredMail | None:
    wanted = normalize_message_id(message_id)
    if not wanted:
        return None
    return next((m for m in list_messages(path) if m.message_id == wanted), None)
