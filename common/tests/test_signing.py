"""The signatures the desk makes and the bot's REST channel checks: hex HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac

from tierline_common.signing import sign_command, sign_customer_id

SECRET = "identity-secret"
CUSTOMER = "C-1001"
SENDER = "web-0123456789abcdef01234567"


def test_signature_is_hex_hmac_sha256() -> None:
    signature = hmac.new(SECRET.encode(), CUSTOMER.encode(), hashlib.sha256).hexdigest()
    assert sign_customer_id(CUSTOMER, SECRET) == signature


def test_the_command_signature_is_hex_hmac_over_sender_and_text() -> None:
    expected = hmac.new(
        SECRET.encode(), f"command\0{SENDER}\0/affirm".encode(), hashlib.sha256
    ).hexdigest()
    assert sign_command(SENDER, "/affirm", SECRET) == expected
