"""The mail the desk sent, as the local catcher stored it (MAILDIR). For the agent console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..errors import ApiError
from ..mail import outbox
from ..settings import get_settings
from .schemas import OutboxItem, OutboxMessage

router = APIRouter(prefix="/outbox", tags=["outbox"])


@router.get("", response_model=list[OutboxItem])
def list_outbox(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[OutboxItem]:
    mails = outbox.list_messages(get_settings().maildir, limit)
    return [OutboxItem.model_validate(m, from_attributes=True) for m in mails]


@router.get("/{message_id:path}", response_model=OutboxMessage)
def get_message(message_id: str) -> OutboxMessage:
    found = outbox.find_message(get_settings().maildir, message_id)
    if found is None:
        raise ApiError(404, "message_not_found", f"No message {message_id} in the outbox.")
    return OutboxMessage.model_validate(found, from_attributes=True)
