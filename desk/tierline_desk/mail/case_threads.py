"""The email thread of a case: its reply address, its token, and the headers that keep it one.

Every mail about a case (the "case opened" confirmation, each reply from the console) is sent
with a Message-ID of its own; each later one carries ``In-Reply-To`` (the latest mail of the
case) and ``References`` (all of them, oldest first), so the shopper's mail client shows one
thread. ``Reply-To`` is the case's own address, ``cases+case-100001.<token>@<domain>`` (plus
addressing on CASE_REPLY_ADDRESS), and ``X-Tierline-Case-Token`` carries the same
``CASE-100001.<token>``. The token is an HMAC of the case number under MAIL_TOKEN_SECRET: it
cannot be guessed for another case, and :func:`verify` checks it on the way back in.

Without MAIL_TOKEN_SECRET replies go to CASE_REPLY_ADDRESS itself and come back matched by
In-Reply-To/References only (docs/email.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import parseaddr

from ..settings import get_settings

TOKEN_HEADER = "X-Tierline-Case-Token"
_TOKEN_CHARS = 16  # base32: 80 bits of the HMAC
_CASE_TOKEN_RE = re.compile(r"^(case-\d{1,12})\.([a-z2-7]{16})$", re.IGNORECASE)


@dataclass(frozen=True)
class Thread:
    """The threading headers of one outbound mail of a case."""

    reply_to: str
    token: str | None = None  # CASE-100001.<token>, for X-Tierline-Case-Token
    in_reply_to: str | None = None  # "<id>"
    references: tuple[str, ...] = field(default_factory=tuple)  # "<id>", oldest first


def _key() -> bytes | None:
    secret = get_settings().mail_token_secret
    value = secret.get_secret_value().strip() if secret is not None else ""
    return value.encode() if value else None


def _base() -> tuple[str, str]:
    """CASE_REPLY_ADDRESS as (local part, domain), both lower case."""
    address = parseaddr(get_settings().case_reply_address)[1].lower()
    local, _at, domain = address.rpartition("@")
    return local or "cases", domain or "tierline.example"


def token(case_number: str) -> str | None:
    """The case's token (16 base32 characters), or None without MAIL_TOKEN_SECRET."""
    key = _key()
    if key is None:
        return None
    digest = hmac.new(key, f"case-reply:{case_number.upper()}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:_TOKEN_CHARS]


def verify(case_number: str, given: str) -> bool:
    expected = token(case_number)
    return expected is not None and hmac.compare_digest(expected, given.lower())


def tagged(case_number: str) -> str | None:
    """``case-100001.<token>``: the plus tag and the left side of the root Message-ID."""
    value = token(case_number)
    return f"{case_number.lower()}.{value}" if value else None


def reply_address(case_number: str) -> str:
    local, domain = _base()
    tag = tagged(case_number)
    return f"{local}+{tag}@{domain}" if tag else f"{local}@{domain}"


def root_message_id(case_number: str) -> str | None:
    """The stable Message-ID of the case's first mail, ``<case-100001.<token>@domain>``."""
    tag = tagged(case_number)
    return f"<{tag}@{_base()[1]}>" if tag else None


@dataclass(frozen=True)
class Claim:
    """A case number and token found in an address, a header or a Message-ID."""

    case_number: str
    valid: bool


def _claim(text: str) -> Claim | None:
    match = _CASE_TOKEN_RE.fullmatch(text.strip())
    if match is None:
        return None
    number = match.group(1).upper()
    return Claim(number, verify(number, match.group(2)))


def is_case_address(address: str) -> bool:
    """CASE_REPLY_ADDRESS itself or any plus address of it (the mail is for the desk)."""
    local, _at, domain = address.strip().lower().rpartition("@")
    base_local, base_domain = _base()
    return domain == base_domain and (local == base_local or local.startswith(f"{base_local}+"))


def claim_in_address(address: str) -> Claim | None:
    """The claim in ``cases+case-100001.<token>@<domain>``; None for any other address.

    A plus tag on the reply address that is not a well-formed case token is a claim too
    (``valid`` False): someone wrote to a case address that we never gave out.
    """
    local, _at, domain = address.strip().lower().rpartition("@")
    base_local, base_domain = _base()
    if domain != base_domain or not local.startswith(f"{base_local}+"):
        return None
    tag = local[len(base_local) + 1 :]
    found = _claim(tag)
    return found if found is not None else Claim(tag[:32].upper(), False)


def claim_in_header(value: str) -> Claim | None:
    """The claim in an ``X-Tierline-Case-Token: CASE-100001.<token>`` header."""
    return _claim(value) or (Claim(value.strip()[:32].upper(), False) if value.strip() else None)


def claim_in_message_id(message_id: str) -> Claim | None:
    """The claim in a root Message-ID (``case-100001.<token>@<our domain>``), else None."""
    left, _at, domain = message_id.strip().strip("<>").lower().rpartition("@")
    if domain != _base()[1]:
        return None
    return _claim(left)


def opening(case_number: str) -> Thread:
    """The headers of the case's first mail (sent as :func:`root_message_id`)."""
    value = token(case_number)
    return Thread(
        reply_to=reply_address(case_number),
        token=f"{case_number.upper()}.{value}" if value else None,
    )


def thread(case_number: str, earlier_ids: list[str]) -> Thread:
    """The headers of a new mail of the case after ``earlier_ids`` (bare ids, oldest first)."""
    refs = [f"<{i}>" for i in earlier_ids if i]
    root = root_message_id(case_number)
    if root is not None and root not in refs:
        refs.insert(0, root)
    first = opening(case_number)
    return Thread(
        reply_to=first.reply_to,
        token=first.token,
        in_reply_to=refs[-1] if refs else None,
        references=tuple(refs),
    )


def apply(msg: EmailMessage, headers: Thread) -> None:
    """Put the thread's headers on ``msg`` (Reply-To, In-Reply-To, References, the token)."""
    del msg["Reply-To"]
    msg["Reply-To"] = headers.reply_to
    if headers.in_reply_to:
        msg["In-Reply-To"] = headers.in_reply_to
        msg["References"] = " ".join(headers.references)
    if headers.token:
        msg[TOKEN_HEADER] = headers.token
