"""The one entry point for attachments: save a checked file, send it with a message, list,
describe (with fresh signed links) and read it back. Routers and mail call only this."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import INTEGER_MAX, Attachment, AttachmentOrderLine, utcnow
from ..settings import get_settings
from . import checks, links
from .checks import Refused
from .stores import get_blob_store

__all__ = ["Refused", "Stored", "describe", "for_conversation", "read", "save"]

ATTACHMENT_ID = re.compile(r"^att-[0-9a-f]{24}$")
# At most this many files on one chat message.
MAX_PER_MESSAGE = 5
_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()-]+")


@dataclass(frozen=True)
class Stored:
    """What ``read`` gives back: the row and its bytes."""

    attachment: Attachment
    data: bytes
    content_type: str


def display_name(filename: str | None, extension: str) -> str:
    """A safe name to show and to offer as the download name, with the real extension."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _NAME_UNSAFE.sub("_", stem).strip(" ._")[:80] or "attachment"
    return f"{stem}.{extension}"


def count_for_conversation(session: Session, conversation_id: str) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(Attachment)
            .where(Attachment.conversation_id == conversation_id)
        )
        or 0
    )


def check_room(session: Session, conversation_id: str) -> None:
    """Refused ``too_many_files`` once the conversation has ATTACHMENT_MAX_PER_CONVERSATION."""
    limit = get_settings().attachment_max_per_conversation
    if count_for_conversation(session, conversation_id) >= limit:
        raise Refused(
            "too_many_files",
            f"This chat already has {limit} files, the most we can take. "
            "Describe anything else in words, or start a new chat.",
        )


def save(session: Session, conversation_id: str, filename: str | None, data: bytes) -> Attachment:
    """Check ``data`` (raises :class:`Refused`), store it and its thumbnail, and commit.

    Nothing is stored for a refused file; if the commit fails, the stored bytes are removed.
    """
    settings = get_settings()
    check_room(session, conversation_id)
    if len(data) > settings.attachment_max_bytes:
        raise too_large(settings.attachment_max_bytes)
    checked = checks.check(data, max_pixels=settings.attachment_max_pixels)
    attachment_id = f"att-{secrets.token_hex(12)}"
    key = f"{attachment_id}.{checked.extension}"
    store = get_blob_store()
    attachment = Attachment(
        attachment_id=attachment_id,
        conversation_id=conversation_id,
        kind=checked.kind,
        content_type=checked.content_type,
        filename=display_name(filename, checked.extension),
        size=len(checked.data),
        width=checked.width,
        height=checked.height,
        sha256=hashlib.sha256(checked.data).hexdigest(),
        storage_key=key,
        has_thumbnail=checked.thumbnail is not None,
        created_at=utcnow(),
    )
    try:
        store.put(session, key, checked.data)
        if checked.thumbnail is not None:
            store.put(session, thumbnail_key(key), checked.thumbnail)
        session.add(attachment)
        session.commit()
    except BaseException:
        session.rollback()
        store.delete(session, key)
        store.delete(session, thumbnail_key(key))
        raise
    return attachment


def too_large(limit: int) -> Refused:
    return Refused(
        "file_too_large",
        f"That file is larger than {limit / (1024 * 1024):.0f} MB, the most we can take. "
        "Please send a smaller photo or PDF.",
    )


def thumbnail_key(key: str) -> str:
    return f"{key}.thumb.jpg"


def unsent(
    session: Session, conversation_id: str, attachment_ids: Sequence[Any]
) -> list[Attachment]:
    """This conversation's attachments named by ``attachment_ids`` that no message carries yet,
    in the order named; raises :class:`Refused` for anything else (never says whose a file is)."""
    if len(attachment_ids) > MAX_PER_MESSAGE:
        raise Refused(
            "too_many_files",
            f"A message can carry up to {MAX_PER_MESSAGE} files; send the rest next.",
        )
    ids = [i for i in attachment_ids if isinstance(i, str) and ATTACHMENT_ID.fullmatch(i)]
    if len(ids) != len(attachment_ids) or len(set(ids)) != len(ids):
        raise Refused(
            "unknown_attachment", "That file isn't uploaded to this chat; attach it again."
        )
    rows = {
        a.attachment_id: a
        for a in session.scalars(
            select(Attachment).where(
                Attachment.conversation_id == conversation_id,
                Attachment.attachment_id.in_(ids),
                Attachment.message_seq.is_(None),
            )
        )
    }
    if len(rows) != len(ids):
        raise Refused(
            "unknown_attachment", "That file isn't uploaded to this chat; attach it again."
        )
    return [rows[i] for i in ids]


def attach_to_message(
    session: Session, conversation_id: str, attachment_ids: Collection[str], seq: int
) -> None:
    """Mark the attachments as carried by message ``seq`` and commit (a retry is harmless).

    They show the order line named for the conversation, if any (:func:`tag_order_line`)."""
    if not attachment_ids:
        return
    line = session.get(AttachmentOrderLine, conversation_id)
    values: dict[str, Any] = {"message_seq": seq}
    if line is not None:
        values |= {"order_number": line.order_number, "sku": line.sku}
    session.execute(
        update(Attachment)
        .where(
            Attachment.conversation_id == conversation_id,
            Attachment.attachment_id.in_(list(attachment_ids)),
            Attachment.message_seq.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def for_conversation(session: Session, conversation_id: str) -> list[Attachment]:
    """The files sent in this conversation (carried by a message), oldest first."""
    return list(
        session.scalars(
            select(Attachment)
            .where(
                Attachment.conversation_id == conversation_id,
                Attachment.message_seq.is_not(None),
            )
            .order_by(Attachment.message_seq, Attachment.id)
        )
    )


def by_message(
    session: Session, conversation_id: str, seqs: Collection[int]
) -> dict[int, list[Attachment]]:
    """The attachments of each of these messages (only messages that have some)."""
    wanted = [s for s in seqs if 0 < s <= INTEGER_MAX]
    if not wanted:
        return {}
    found: dict[int, list[Attachment]] = {}
    for attachment in session.scalars(
        select(Attachment)
        .where(Attachment.conversation_id == conversation_id, Attachment.message_seq.in_(wanted))
        .order_by(Attachment.id)
    ):
        assert attachment.message_seq is not None
        found.setdefault(attachment.message_seq, []).append(attachment)
    return found


def tag_order_line(
    session: Session, conversation_id: str, order_number: str | None, sku: str | None
) -> None:
    """Name the order line the conversation's photos show: those sent so far that name none,
    and those sent from now on (no commit)."""
    if order_number is None:
        return
    line = session.get(AttachmentOrderLine, conversation_id)
    if line is None:
        line = AttachmentOrderLine(conversation_id=conversation_id, order_number=order_number)
        session.add(line)
    line.order_number, line.sku, line.updated_at = order_number, sku, utcnow()
    session.execute(
        update(Attachment)
        .where(Attachment.conversation_id == conversation_id, Attachment.order_number.is_(None))
        .values(order_number=order_number, sku=sku)
        .execution_options(synchronize_session=False)
    )


def describe(
    attachment: Attachment, *, ttl_seconds: int | None = None, order_number: str | None = None
) -> dict[str, Any]:
    """What a viewer allowed to see the conversation gets: the facts and fresh signed links.

    ``order_number``: the order of the ticket or case shown around it, for a file sent before
    any order line was named."""
    thumb = (
        links.signed_path(attachment.attachment_id, "thumb", ttl_seconds=ttl_seconds)
        if attachment.has_thumbnail
        else None
    )
    return {
        "id": attachment.attachment_id,
        "kind": attachment.kind,
        "name": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "width": attachment.width,
        "height": attachment.height,
        "order_number": attachment.order_number or order_number,
        "sku": attachment.sku,
        "url": links.signed_path(attachment.attachment_id, "file", ttl_seconds=ttl_seconds),
        "thumbnail_url": thumb,
    }


def read(session: Session, attachment_id: str, variant: links.Variant) -> Stored | None:
    """The bytes of a file (or its thumbnail); None when there is no such file."""
    if not ATTACHMENT_ID.fullmatch(attachment_id):
        return None
    attachment = session.scalar(select(Attachment).where(Attachment.attachment_id == attachment_id))
    if attachment is None or (variant == "thumb" and not attachment.has_thumbnail):
        return None
    key = attachment.storage_key if variant == "file" else thumbnail_key(attachment.storage_key)
    data = get_blob_store().get(session, key)
    if data is None:
        return None
    content_type = attachment.content_type if variant == "file" else "image/jpeg"
    return Stored(attachment, data, content_type)
