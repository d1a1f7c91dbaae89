"""The web chat's files: the shopper's upload, and serving a file through a signed link.

Upload: ``POST /chat/api/attachments`` (multipart, one ``file`` part), with the conversation's
id and token in ``X-Conversation-Id`` / ``X-Conversation-Token`` (the same secret the websocket
hello carries). The body is read as a stream and refused as soon as it passes the size limit;
the file's type is read from its content (attachments/checks.py). The chat message then names
the returned id (docs/web-chat.md).

Serving: ``GET /attachments/{id}/{file|thumb}?expires=..&sig=..``: only links the desk signed
and handed out to someone allowed to see the conversation (attachments/links.py).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..attachments import links, service
from ..attachments.schemas import AttachmentOut
from ..db import run_in_session as db
from ..errors import ApiError
from ..models import Attachment
from ..services import chat
from ..settings import get_settings

router = APIRouter(tags=["web chat"])

# Room in the body for the multipart boundary and part headers around the file.
MULTIPART_OVERHEAD = 16 * 1024
# The served files: nothing in them may run, load or be sniffed into something else.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "sandbox",
    "Cache-Control": "private, max-age=300",
    "Referrer-Policy": "no-referrer",
    # The widget on a shop's own site shows thumbnails from the desk: the signed link is
    # the permission, not the page's origin.
    "Cross-Origin-Resource-Policy": "cross-origin",
}


class _TooLarge(Exception):
    pass


async def _capped(request: Request, limit: int) -> AsyncGenerator[bytes, None]:
    """The request body, stopped (never read further) once it passes ``limit`` bytes."""
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise _TooLarge
        yield chunk


def _refused(refused: service.Refused, status: int = 422) -> ApiError:
    return ApiError(status, refused.code, refused.message)


@router.post("/chat/api/attachments", response_model=AttachmentOut, status_code=201)
async def upload(
    request: Request,
    conversation_id: Annotated[str | None, Header(alias="X-Conversation-Id")] = None,
    token: Annotated[str | None, Header(alias="X-Conversation-Token")] = None,
) -> AttachmentOut:
    """Check and keep one file for the shopper's conversation; its id goes on a message."""
    conversation = await db(lambda s: chat.authenticate(s, conversation_id, token))
    if conversation is None or conversation.mode == "closed":
        raise ApiError(
            401, "bad_conversation", "Unknown or closed chat; reload the page to start a new one."
        )
    known_id = conversation.conversation_id
    max_bytes = get_settings().attachment_max_bytes
    try:
        await db(lambda s: service.check_room(s, known_id))
    except service.Refused as refused:
        raise _refused(refused, 409) from None
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes + MULTIPART_OVERHEAD:
        raise _refused(service.too_large(max_bytes), 413)
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(
            415, "not_multipart", "Send the file as multipart/form-data, in a part named file."
        )
    try:
        form = await MultiPartParser(
            request.headers,
            _capped(request, max_bytes + MULTIPART_OVERHEAD),
            max_files=1,
            max_fields=2,
        ).parse()
    except _TooLarge:
        raise _refused(service.too_large(max_bytes), 413) from None
    except MultiPartException as exc:
        raise ApiError(400, "bad_upload", f"The upload could not be read: {exc.message}") from None
    part = form.get("file")
    try:
        if not isinstance(part, UploadFile):
            raise ApiError(400, "bad_upload", "Send one file, in a multipart part named file.")
        data = await part.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise _refused(service.too_large(max_bytes), 413)
        filename = part.filename

        def save(session: Session) -> Attachment:
            return service.save(session, known_id, filename, data)

        try:
            attachment = await db(save)
        except service.Refused as refused:
            raise _refused(refused) from None
    finally:
        await form.close()
    return AttachmentOut(**service.describe(attachment))


@router.get("/attachments/{attachment_id}/{variant}")
async def serve(
    attachment_id: str,
    variant: str,
    expires: Annotated[int, Query(ge=0, le=2**40)],
    sig: Annotated[str, Query(max_length=64)],
) -> Response:
    """A file (or its thumbnail), for a link the desk signed and that has not expired."""
    if not links.verify(attachment_id, variant, expires, sig):
        raise ApiError(
            403,
            "link_expired",
            "This link has expired or is not valid. Open the chat or the ticket again for a "
            "fresh one.",
        )
    which: links.Variant = "thumb" if variant == "thumb" else "file"
    stored = await db(lambda s: service.read(s, attachment_id, which))
    if stored is None:
        raise ApiError(404, "not_found", "That file is no longer here.")
    name = stored.attachment.filename if which == "file" else "thumbnail.jpg"
    # Photos show in the page; a PDF downloads (a browser's PDF viewer could run its scripts).
    disposition = "inline" if stored.content_type.startswith("image/") else "attachment"
    headers = {
        **FILE_HEADERS,
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(name)}",
    }
    return Response(stored.data, media_type=stored.content_type, headers=headers)
