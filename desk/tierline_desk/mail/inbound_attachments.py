"""Files that come in with a shopper's email: checked, then kept as :class:`MailAttachment`.

Emailed files pass the same checks as the web chat's (tierline_desk/attachments/checks.py):
judged by their bytes, never by the name or the Content-Type the sender claims; photos (JPEG,
PNG, HEIC) are re-encoded, so no EXIF location survives; PDFs with scripts or launch actions,
SVGs and decompression bombs are refused. Each is at most INBOUND_ATTACHMENT_MAX_BYTES. Anything
else is refused with a reason the console shows next to the message (nothing is lost silently).

Storage goes through :func:`store_checked` / :func:`store_attachment` (``owner``, file name,
bytes -> id), the one interface the rest of the desk uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from ..attachments import checks as file_checks
from ..models import INTEGER_MAX, MailAttachment
from ..settings import get_settings

_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+")


@dataclass(frozen=True)
class Checked:
    """A file that passed: its clean name and the content type its bytes show."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Refused:
    filename: str
    reason: str


def clean_filename(name: str | None) -> str:
    """A name safe to show and to put in Content-Disposition (no paths, no control chars)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" ._")
    return base[:120] or "attachment"


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count / 1024:g} KB" if count >= 1024 else f"{count} bytes"


def check(name: str | None, data: bytes) -> Checked | Refused:
    """The file as it will be kept (photos re-encoded), or why it is not kept."""
    filename = clean_filename(name)
    settings = get_settings()
    limit = settings.inbound_attachment_max_bytes
    if len(data) > limit:
        return Refused(filename, f"larger than {_size(limit)}")
    try:
        checked = file_checks.check(data, max_pixels=settings.attachment_max_pixels)
    except file_checks.Refused as refused:
        return Refused(filename, refused.message.rstrip("."))
    return Checked(filename, checked.content_type, checked.data)


def store_checked(session: Session, owner: str, checked: Checked) -> int:
    """Keep a checked file for ``owner`` (not committed); its id."""
    row = MailAttachment(
        owner=owner,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(checked.data),
        data=checked.data,
    )
    session.add(row)
    session.flush()
    return row.id


def store_attachment(session: Session, owner: str, filename: str, data: bytes) -> int:
    """Check and keep a file for ``owner`` (not committed); its id. Raises ValueError for a
    file :func:`check` refuses."""
    checked = check(filename, data)
    if isinstance(checked, Refused):
        raise ValueError(f"{checked.filename}: {checked.reason}")
    return store_checked(session, owner, checked)


def get(session: Session, attachment_id: int) -> MailAttachment | None:
    return session.get(MailAttachment, attachment_id) if 0 < attachment_id <= INTEGER_MAX else None


def for_owners(session: Session, owners: Sequence[str]) -> dict[str, list[MailAttachment]]:
    """Each owner's attachments (metadata and bytes), oldest first."""
    if not owners:
        return {}
    found: dict[str, list[MailAttachment]] = {}
    rows = session.scalars(
        select(MailAttachment)
        .options(defer(MailAttachment.data))  # the console lists them; bytes come one by one
        .where(MailAttachment.owner.in_(owners))
        .order_by(MailAttachment.id)
    )
    for row in rows:
        found.setdefault(row.owner, []).append(row)
    return found
