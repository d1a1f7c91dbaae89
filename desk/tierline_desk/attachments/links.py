"""Short-lived signed links: the only way an attachment's bytes are served.

A link names the attachment, the variant (``file`` or ``thumb``) and an expiry, signed with
HMAC-SHA256 under ``TIERLINE_IDENTITY_SECRET`` (``tierline_common.signing``). The desk hands
links out only where the viewer may see the conversation: the shopper's own chat, an agent who
may open the ticket or case, a transcript emailed at the shopper's request.
"""

from __future__ import annotations

import hmac
import re
import time
from typing import Literal
from urllib.parse import urlencode

from tierline_common.signing import sign_attachment_link

from ..settings import get_settings, require_secret

Variant = Literal["file", "thumb"]
VARIANTS: tuple[Variant, ...] = ("file", "thumb")
PATH_PREFIX = "/attachments"
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")


def _secret() -> str:
    return require_secret(get_settings().identity_secret, "TIERLINE_IDENTITY_SECRET")


def signed_path(
    attachment_id: str,
    variant: Variant,
    *,
    ttl_seconds: int | None = None,
    now: float | None = None,
) -> str:
    """``/attachments/<id>/<variant>?expires=..&sig=..``, working for ``ttl_seconds``."""
    ttl = ttl_seconds if ttl_seconds is not None else get_settings().attachment_link_seconds
    expires = int(now if now is not None else time.time()) + ttl
    signature = sign_attachment_link(attachment_id, variant, expires, _secret())
    query = urlencode({"expires": expires, "sig": signature})
    return f"{PATH_PREFIX}/{attachment_id}/{variant}?{query}"


def verify(
    attachment_id: str, variant: str, expires: int, signature: str, *, now: float | None = None
) -> bool:
    """Whether the link is one the desk made and has not expired (never raises)."""
    if variant not in VARIANTS or not _SIGNATURE.fullmatch(signature):
        return False
    if expires <= int(now if now is not None else time.time()):
        return False
    expected = sign_attachment_link(attachment_id, variant, expires, _secret())
    return hmac.compare_digest(expected, signature)
