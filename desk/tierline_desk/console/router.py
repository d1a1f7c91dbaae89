"""Every route of the agents' door: the console API (session cookie + CSRF), its live
websocket (/console/ws) and its page."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    analytics,
    assignment,
    attachments,
    callbacks,
    cases,
    live,
    macros,
    mail_quarantine,
    notes,
    outbox,
    pages,
    presence,
    session,
    sla,
    tickets,
)

router = APIRouter()
for _module in (
    session,
    tickets,
    attachments,
    assignment,
    callbacks,
    cases,
    presence,
    live,
    outbox,
    mail_quarantine,
    analytics,
    macros,
    notes,
    sla,
    pages,
):
    router.include_router(_module.router)
