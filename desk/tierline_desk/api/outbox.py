"""The mail the desk sent, as the local catcher stored it (MAILDIR). For the agent console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..errors import ApiError
from ..mail import outbox
from ..settings import get_settings
from .schemas import OutboxItem, OutboxMessage

router = APIRouter(prefix="/outbox", tags=["outbox"])


def outbox_item(m: outbox.StoredMail) -> OutboxItem:
    return OutboxItem(
        message_id=m.message_id,
        to=m.to,
        sender=m.sender,
        subject=m.subject,
        date=m.date,
        delivered_at=m.delivered_at,
        kind=m.kind,
        reference=m.reference,
    )


@router.get("", response_model=list[OutboxItem])
def list_outbox(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[OutboxItem]:
    return [outbox_item(m) for m in outbox.list_messages(get_settings().maildir, limit)]


@router.get("/{message_id:path}", response_model=OutboxMessage)
def get_message(message_id: str) -> OutboxMessage:
    found = outbox.find_message(get_settings().maildir, message_id)
    if found is None:
        raise ApiError(404, "message_not_found", f"No message {message_id} in the outbox.")
    return OutboxMessage(**outbox_item(found).model_dump(), text=found.text, html=found.html)
