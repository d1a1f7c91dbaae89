"""Every route of the agents' door: the console API (session cookie + CSRF), its live
websocket (/console/ws) and its page."""

from __future__ import annotations

from fastapi import APIRouter

from . import (
    analytics,
    assignment,
    callbacks,
    cases,
    live,
    mail_quarantine,
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
    assignment,
    callbacks,
    cases,
    presence,
    live,
    outbox,
    mail_quarantine,
    analytics,
    sla,
    pages,
):
    router.include_router(_module.router)
