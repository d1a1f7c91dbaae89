"""The store's order events: ``POST /store/events/medusa`` (docs/store-medusa.md, "Events").

Medusa's subscriber (desk/medusa/src/subscribers/tierline-order-events.ts) posts
``{"event", "id", "order_id"}`` for each order event, signed: ``X-Tierline-Signature:
sha256=<hex HMAC-SHA256 of the exact body, key TIERLINE_EVENTS_SECRET>``. A post whose signature
does not match (or when the desk has no secret) is refused with 401 before anything is read;
a signed one has its order read from Medusa into the index (a new order gets its Tierline
number), in one transaction. No bearer token: the signature is the proof.

The poller (store/medusa/adapter.py, ``poll_once``) catches what never arrives here.
"""

from __future__ import annotations

import hashlib
import hmac
import logging

from fastapi import APIRouter, Request
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool

from ..db import get_session_factory
from ..errors import ApiError
from ..settings import get_settings
from ..store import get_store
from .schemas import StoreEvent, StoreEventOut

router = APIRouter(prefix="/store/events", tags=["store events"])
log = logging.getLogger("tierline_desk.store_events")

SIGNATURE_HEADER = "X-Tierline-Signature"
MAX_BODY = 16 * 1024  # the subscriber's bodies are ~100 bytes


def signature(secret: str, body: bytes) -> str:
    """The header's value for ``body`` (what the subscriber sends)."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _refused() -> ApiError:
    return ApiError(401, "bad_signature", "The event's signature does not match.")


@router.post("/medusa", response_model=StoreEventOut)
async def medusa_event(request: Request) -> StoreEventOut:
    settings = get_settings()
    if settings.store != "medusa":
        raise ApiError(404, "store_events_off", "This desk does not run on a Medusa store.")
    body = await request.body()
    secret = settings.events_secret.get_secret_value() if settings.events_secret else ""
    if not secret.strip():
        log.error("a store event came, but TIERLINE_EVENTS_SECRET is not set: refused")
        raise _refused()
    if len(body) > MAX_BODY:
        raise _refused()
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
        raise _refused()
    try:
        event = StoreEvent.model_validate_json(body)
    except ValidationError:
        raise ApiError(422, "invalid_event", "The event is not {event, id, order_id}.") from None
    if not event.order_id:  # the subscriber could not tell the order: the poller will
        return StoreEventOut(event=event.event, order_id=None, order_number=None)
    number = await run_in_threadpool(_refresh, event.order_id)
    log.info("store event %s: order %s (%s) refreshed", event.event, event.order_id, number)
    return StoreEventOut(event=event.event, order_id=event.order_id, order_number=number)


def _refresh(order_id: str) -> str:
    store = get_store()
    refresh = getattr(store, "refresh", None)
    if refresh is None:  # pragma: no cover - STORE=medusa always builds the medusa adapter
        raise ApiError(404, "store_events_off", "This desk's store takes no events.")
    for attempt in (0, 1):
        with get_session_factory()() as session:
            try:
                number: str = refresh(session, order_id, what="the order's refresh")
                session.commit()
                return number
            except IntegrityError:
                # Another desk (or event) inserted the same new row meanwhile: read it again.
                session.rollback()
                if attempt:
                    raise
    raise AssertionError("unreachable")  # pragma: no cover
