"""Inbound mail by webhook: ``POST /mail/inbound`` (docs/email.md, "Webhook").

For a mail provider (or a small script on the mail server) that hands each received mail over
HTTP. The body is the raw RFC 822 message, exactly as received; the request is signed:
``X-Tierline-Signature: sha256=<hex HMAC-SHA256 of the exact body, key INBOUND_MAIL_SECRET>``.
Unsigned, wrongly signed, or with no secret on the desk: 401 before anything is parsed. A body
over INBOUND_MAIL_MAX_BYTES: 413. Otherwise the mail goes through the same processing as the
local catcher's and IMAP's (:func:`tierline_desk.mail.inbound.process`); a retry of the same
mail answers ``duplicate`` and changes nothing.
"""

from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from ..db import get_session_factory
from ..errors import ApiError
from ..mail import inbound
from ..settings import get_settings
from .schemas import InboundMailOut
from .store_events import SIGNATURE_HEADER, signature

router = APIRouter(prefix="/mail", tags=["inbound mail"])
log = logging.getLogger("tierline_desk.mail.webhook")


async def _body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes ``limit`` (never all read into memory)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(
                413, "mail_too_large", f"The mail is over the desk's limit of {limit} bytes."
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/inbound", response_model=InboundMailOut)
async def inbound_mail(request: Request) -> InboundMailOut:
    settings = get_settings()
    secret = settings.inbound_mail_secret.get_secret_value() if settings.inbound_mail_secret else ""
    if not secret.strip():
        log.error("an inbound mail came, but INBOUND_MAIL_SECRET is not set: refused")
        raise ApiError(401, "bad_signature", "The mail's signature does not match.")
    body = await _body(request, settings.inbound_mail_max_bytes)
    given = request.headers.get(SIGNATURE_HEADER, "")
    if not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
        raise ApiError(401, "bad_signature", "The mail's signature does not match.")
    if not body.strip():
        raise ApiError(422, "empty_mail", "The body must be the raw RFC 822 mail; it was empty.")
    outcome = await run_in_threadpool(_process, body)
    return InboundMailOut(
        status=outcome.status,
        message_id=outcome.message_id,
        reason=outcome.reason,
        case_number=outcome.case_number,
    )


def _process(raw: bytes) -> inbound.Outcome:
    with get_session_factory()() as session:
        return inbound.process(session, raw, source="webhook")
