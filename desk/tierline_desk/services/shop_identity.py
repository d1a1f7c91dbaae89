"""Signed identity tokens that tell the chat widget which shop customer is chatting.

A retailer's own server makes a token for the signed-in customer and puts it on the widget's
script tag (``data-identity="v1..."``); the demo shop puts one in its ``tierline_shop`` cookie.
The format is compact and easy to make in any language::

    v1.<customer_id>.<expires_unix>.<hex HMAC-SHA256(SHOP_IDENTITY_SECRET, "v1.<id>.<expires>")>

Customer ids may use letters, digits, ``-`` and ``_`` (never ``.``, the separator).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import UTC, datetime

from ..settings import SettingsError, get_settings

VERSION = "v1"
DEFAULT_TTL_SECONDS = 8 * 3600
MAX_TOKEN_CHARS = 512

CUSTOMER_ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
_TOKEN_PATTERN = re.compile(
    r"v1\.(?P<customer_id>[A-Za-z0-9_-]{1,64})"
    r"\.(?P<expires>[0-9]{1,12})"
    r"\.(?P<signature>[0-9a-f]{64})"
)


def _secret() -> bytes:
    secret = get_settings().shop_identity_secret.get_secret_value()
    if not secret:
        raise SettingsError(
            "SHOP_IDENTITY_SECRET is not set: export the secret shared with the shop's server "
            "(e.g. `export SHOP_IDENTITY_SECRET=$(openssl rand -hex 32)`) to sign chat identities."
        )
    return secret.encode("utf-8")


def _unix(now: datetime | None) -> int:
    moment = now if now is not None else datetime.now(UTC)
    if moment.tzinfo is None:  # naive: taken as UTC, never as the machine's local time
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def _signature(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode("ascii"), hashlib.sha256).hexdigest()


def issue_token(
    customer_id: str, ttl_seconds: int = DEFAULT_TTL_SECONDS, now: datetime | None = None
) -> str:
    """A token saying "this is ``customer_id``" until ``now + ttl_seconds``.

    Raises SettingsError when SHOP_IDENTITY_SECRET is empty, and ValueError for a customer id
    the format can't carry or a ttl that isn't positive.
    """
    if not CUSTOMER_ID_PATTERN.fullmatch(customer_id):
        raise ValueError(
            f"customer id {customer_id!r} can't go in an identity token: "
            "use 1-64 letters, digits, '-' or '_'"
        )
    if ttl_seconds <= 0:
        raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
    secret = _secret()
    payload = f"{VERSION}.{customer_id}.{_unix(now) + ttl_seconds}"
    return f"{payload}.{_signature(secret, payload)}"


def verify_token(token: str, now: datetime | None = None) -> str | None:
    """The customer id in ``token`` if it is well-formed, unexpired and correctly signed.

    Anything else, including a missing SHOP_IDENTITY_SECRET (nothing can be verified then),
    gives None; garbage input never raises.
    """
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    match = _TOKEN_PATTERN.fullmatch(token)
    if match is None:
        return None
    try:
        secret = _secret()
    except SettingsError:
        return None
    payload = f"{VERSION}.{match['customer_id']}.{match['expires']}"
    if not hmac.compare_digest(_signature(secret, payload), match["signature"]):
        return None
    if _unix(now) >= int(match["expires"]):
        return None
    return match["customer_id"]
