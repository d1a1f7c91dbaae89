"""Every route of the bot's door, under ``/api/v1`` and behind the bearer token."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..auth import require_token
from . import (
    callbacks,
    cases,
    delivery_reports,
    handoffs,
    orders,
    outbox,
    policies,
    promos,
    returns,
    transcripts,
)

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_token)])
for _module in (
    orders,
    returns,
    promos,
    callbacks,
    handoffs,
    cases,
    transcripts,
    policies,
    delivery_reports,
    outbox,  # the mail catcher's Maildir (tierline_desk/mail)
):
    router.include_router(_module.router)
