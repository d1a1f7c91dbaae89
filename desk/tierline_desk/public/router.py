"""Every route of the public door: the store's signed events, the web chat and the demo shop."""

from __future__ import annotations

from fastapi import APIRouter

from . import attachments, chat, csat, inbound_mail, shop, store_events

router = APIRouter()
# The store's signed order events (STORE=medusa): no token or cookie, the signature is the proof.
for _module in (store_events, inbound_mail, chat, attachments, csat, shop):
    router.include_router(_module.router)
