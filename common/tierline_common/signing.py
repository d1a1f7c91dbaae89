"""The HMAC signatures the desk puts on what it relays and the bot's REST channel checks.

Both are hex HMAC-SHA256 with the identity secret (TIERLINE_IDENTITY_SECRET): the desk signs
(desk/tierline_desk/rasa_client.py), rasa_extensions/channels/signed_rest.py verifies.
"""

from __future__ import annotations

import hashlib
import hmac


def sign_customer_id(customer_id: str, secret: str) -> str:
    """The signature of a signed-in shopper's customer id: HMAC-SHA256(secret, customer_id)."""
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def sign_command(sender_id: str, text: str, secret: str) -> str:
    """The signature of an offered button's payload, for one conversation.

    HMAC-SHA256(secret, "command" NUL sender id NUL payload).
    """
    message = f"command\0{sender_id}\0{text}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_attachment_link(attachment_id: str, variant: str, expires: int, secret: str) -> str:
    """The signature of a link to an attachment's bytes, valid until ``expires`` (unix time).

    HMAC-SHA256(secret, "attachment" NUL id NUL variant NUL expires): the desk makes and checks
    these links (desk/tierline_desk/attachments/links.py); no one else can make one.
    """
    message = f"attachment\0{attachment_id}\0{variant}\0{expires}"
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()
