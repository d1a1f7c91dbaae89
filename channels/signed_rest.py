"""Rasa's REST channel, with a signed-in customer id that cannot be forged.

The backend relays web chat to ``/webhooks/rest/webhook``. When the shopper is signed in,
it sends ``metadata: {"customer_id": ..., "customer_signature": hex(HMAC-SHA256(secret,
customer_id))}``. This channel passes ``customer_id`` on to the tracker only when the
signature matches, so actions can trust it as proof of who the shopper is.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint
from sanic.request import Request

from rasa_runtime.garbage_collection import freeze_startup_objects

logger = logging.getLogger(__name__)


def sign_customer_id(customer_id: str, secret: str) -> str:
    return hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()


def verified_customer_id(metadata: Any, secret: str) -> str | None:
    """The customer id in ``metadata`` if its signature is valid, else None."""
    if not secret or not isinstance(metadata, dict):
        return None
    customer_id = metadata.get("customer_id")
    signature = metadata.get("customer_signature")
    if not isinstance(customer_id, str) or not isinstance(signature, str) or not customer_id:
        return None
    expected = sign_customer_id(customer_id, secret)
    matches = hmac.compare_digest(expected.encode(), signature.encode())
    return customer_id if matches else None


class SignedRestInput(RestInput):
    """``rest`` channel whose metadata carries only a verified customer id."""

    def __init__(self, identity_secret: str = "") -> None:
        self.identity_secret = identity_secret

    @classmethod
    def name(cls) -> str:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(identity_secret=str((credentials or {}).get("identity_secret") or ""))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """Rasa's REST routes; once the server has started (model loaded), freeze the heap."""
        webhook: Blueprint = super().blueprint(on_new_message)
        webhook.listener("after_server_start")(freeze_startup_objects)
        return webhook

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        body = request.json if isinstance(request.json, dict) else {}
        customer_id = verified_customer_id(body.get("metadata"), self.identity_secret)
        if body.get("metadata") and customer_id is None:
            logger.info("dropped unsigned or wrongly signed customer id from message metadata")
        return {"customer_id": customer_id} if customer_id else {}
