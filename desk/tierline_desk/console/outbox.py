"""Console: the mail the desk sent (the catcher's Maildir), for supervisors, specialists, admins.

Same data as the bearer-token ``/api/v1/outbox`` (tierline_desk/mail/outbox.py), behind the
console session instead. Read-only, so no CSRF token is needed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ..api.schemas import OutboxItem, OutboxMessage
from ..deps import AgentDep
from ..errors import ApiError
from ..mail import outbox
from ..models import Agent
from ..services.console_access import require_role
from ..settings import get_settings

router = APIRouter(prefix="/console/api/outbox", tags=["console"])

ROLES = ("supervisor", "specialist", "admin")


def _check(agent: Agent) -> None:
    require_role(agent, ROLES, "read the outbox")


@router.get("", response_model=list[OutboxItem])
def list_outbox(
    agent: AgentDep, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[OutboxItem]:
    _check(agent)
    mails = outbox.list_messages(get_settings().maildir, limit)
    return [OutboxItem.model_validate(m, from_attributes=True) for m in mails]


@router.get("/{message_id:path}", response_model=OutboxMessage)
def get_message(message_id: str, agent: AgentDep) -> OutboxMessage:
    _check(agent)
    found = outbox.find_message(get_settings().maildir, message_id)
    if found is None:
        raise ApiError(404, "message_not_found", f"No message {message_id} in the outbox.")
    return OutboxMessage.model_validate(found, from_attributes=True)
