"""Files that come in with a shopper's email: checked, then kept as :class:`MailAttachment`.

Only images (JPEG, PNG, GIF, WebP) and PDFs are kept, judged by their bytes, never by the name
or the Content-Type the sender claims: an image must open and verify with Pillow, a PDF must
start with ``%PDF-``. Each is at most INBOUND_ATTACHMENT_MAX_BYTES. Anything else is refused
with a reason the console shows next to the message (nothing is lost silently).

Storage goes through :func:`store_attachment` (``owner``, file name, bytes -> id), the one
interface the rest of the desk uses, so it can move to a shared attachment store unchanged.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from ..models import INTEGER_MAX, MailAttachment
from ..settings import get_settings

# Pillow format -> the content type we serve it as.
_IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}
_PDF_MAGIC = b"%PDF-"
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


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are (image/* or application/pdf), else None."""
    if data.startswith(_PDF_MAGIC):
        return "application/pdf"
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    return _IMAGE_TYPES.get(kind or "")


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):g} MB"
    return f"{count / 1024:g} KB" if count >= 1024 else f"{count} bytes"


def check(name: str | None, data: bytes) -> Checked | Refused:
    filename = clean_filename(name)
    limit = get_settings().inbound_attachment_max_bytes
    if len(data) > limit:
        return Refused(filename, f"larger than {_size(limit)}")
    if not data:
        return Refused(filename, "empty")
    content_type = sniff(data)
    if content_type is None:
        return Refused(filename, "not an image (JPEG, PNG, GIF, WebP) or a PDF")
    return Checked(filename, content_type, data)


def store_attachment(session: Session, owner: str, filename: str, data: bytes) -> int:
    """Keep a file for ``owner`` (not committed); its id. ``data`` must have passed
    :func:`check` (raises ValueError otherwise)."""
    checked = check(filename, data)
    if isinstance(checked, Refused):
        raise ValueError(f"{checked.filename}: {checked.reason}")
    row = MailAttachment(
        owner=owner,
        filename=checked.filename,
        content_type=checked.content_type,
        size=len(data),
        data=data,
    )
    session.add(row)
    session.flush()
    return row.id


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
