"""Rasa's REST channel, with a signed-in customer id that cannot be forged.

The backend relays web chat to ``/webhooks/rest/webhook``. When the shopper is signed in,
it sends ``metadata: {"customer_id": ..., "customer_signature": ...}``, the signature made by
``tierline_common.signing.sign_customer_id``. This channel passes ``customer_id`` on to the
tracker only when the signature matches, so actions can trust it as proof of who the shopper is.

Unlike Rasa's REST channel, a message that fails inside Rasa is answered with an error status,
never with a 200 and whatever was said before the failure, and the shopper's text is never
logged: 500 when handling it raised, 503 while the conversation database is down (see
tracker_stores/guarded_sql.py), and 502 ``{"error": "action_failed", "messages": [...]}`` when
a custom action failed (the action server died or answered an error): Rasa only logs that and
carries on without the action, so the channel watches for that log record while it handles the
message. The desk shows what was said, then apologises and offers a person.
``GET /webhooks/rest/health`` reports the tracker store's health.

A text that starts like a command (``/intent{...}``, after spaces, invisible characters or
slash look-alikes) forces an intent, so it is passed on only with ``metadata.command_signature``
(``tierline_common.signing.sign_command``): the desk signs the payloads of buttons the bot
offered, and nothing else. Any other such text reaches Rasa as plain words
(:func:`plain_text`), a second line behind the desk's own cleaning of what shoppers type.
"""

from __future__ import annotations

import contextvars
import hmac
import logging
import unicodedata
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from tierline_common.signing import sign_command, sign_customer_id

from rasa_runtime.garbage_collection import freeze_startup_objects
from tracker_stores.guarded_sql import active_store

logger = logging.getLogger(__name__)

# What rasa.core.processor logs (and otherwise ignores) when a custom action fails.
ACTION_FAILED_LOG = "Encountered an exception while running action"
_action_failures: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "tierline_action_failures", default=None
)


class ActionFailureWatch(logging.Filter):
    """Notes, for the message being handled in this context, that a custom action failed."""

    def filter(self, record: logging.LogRecord) -> bool:
        failures = _action_failures.get()
        if failures is not None and str(record.msg).startswith(ACTION_FAILED_LOG):
            failures.append(str(record.msg)[:200])
        return True


def watch_action_failures() -> None:
    """Install the watch on Rasa's processor logger (once)."""
    processor_logger = logging.getLogger("rasa.core.processor")
    if not any(isinstance(f, ActionFailureWatch) for f in processor_logger.filters):
        processor_logger.addFilter(ActionFailureWatch())


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


# Characters that look like a solidus (or that NFKC turns into one); see the desk's
# services/typed_text.py, which keeps the same list for what shoppers type.
SLASH_LOOKALIKES = frozenset(
    "/\uff0f\u2044\u2215\u29f8\u2571\u27cb\u2f03\u3033\u1735\u2cc6\u30ce\u31d3\u4e3f\U0001d23a"
)
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})


def _skippable(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in _INVISIBLE


def is_command_like(text: str) -> bool:
    """Whether ``text`` (or its NFKC form) starts, past invisible characters, with a slash."""
    for ch in unicodedata.normalize("NFKC", text):
        if not _skippable(ch):
            return ch in SLASH_LOOKALIKES
    return False


def plain_text(text: str) -> str:
    """``text`` with no leading slash, look-alike or invisible character left.

    Text that is not command-like is returned unchanged.
    """
    if not is_command_like(text):
        return text
    text = unicodedata.normalize("NFKC", text)
    start = 0
    while start < len(text) and (_skippable(text[start]) or text[start] in SLASH_LOOKALIKES):
        start += 1
    return text[start:].strip()


def offered_command(metadata: Any, sender_id: str, text: str, secret: str) -> bool:
    """Whether the desk signed ``text`` as the payload of a button the bot offered."""
    if not secret or not isinstance(metadata, dict):
        return False
    signature = metadata.get("command_signature")
    if not isinstance(signature, str):
        return False
    expected = sign_command(sender_id, text, secret)
    return hmac.compare_digest(expected.encode(), signature.encode())


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

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        body = request.json if isinstance(request.json, dict) else {}
        metadata = body.get("metadata")
        customer_id = verified_customer_id(metadata, self.identity_secret)
        if isinstance(metadata, dict) and metadata.get("customer_id") and customer_id is None:
            logger.info("dropped unsigned or wrongly signed customer id from message metadata")
        return {"customer_id": customer_id} if customer_id else {}

    def message_text(self, request: Request, sender_id: str) -> str | None:
        """The message's text; a command only when the desk signed it as an offered button."""
        text = self._extract_message(request)
        if not isinstance(text, str):
            return None
        if not is_command_like(text):
            return text
        body = request.json if isinstance(request.json, dict) else {}
        if offered_command(body.get("metadata"), sender_id, text, self.identity_secret):
            return text
        logger.warning("unsigned command-like text for %s relayed as plain text", sender_id)
        return plain_text(text)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        """``/webhook`` (no streaming) and ``/health``, with honest failure statuses.

        Once the server has started (model loaded), start-up objects are frozen out of the
        garbage collector (rasa_runtime/garbage_collection.py).
        """
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        watch_action_failures()

        async def alive(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        async def health(request: Request) -> HTTPResponse:
            store = active_store()
            if store is None:
                return response.json({"status": "ok", "tracker_store": None})
            store.probe()  # one SELECT 1: a readiness probe should see an outage at once
            state = store.health.as_dict()
            return response.json(
                {"status": state["status"], "tracker_store": state},
                status=200 if state["status"] == "ok" else 503,
            )

        async def receive(request: Request) -> HTTPResponse:
            sender_id = await self._extract_sender(request)
            store = active_store()
            if store is not None and store.is_down() and not store.probe():
                return _unavailable()
            collector = CollectingOutputChannel()
            message = UserMessage(
                self.message_text(request, str(sender_id)),
                collector,
                sender_id,
                input_channel=self._extract_input_channel(request),
                metadata=self.get_metadata(request),
            )
            failures: list[str] = []
            token = _action_failures.set(failures)
            try:
                await on_new_message(message)
            except Exception as error:
                logger.error("message for %s failed: %s", sender_id, type(error).__name__)
                return response.json({"error": "failed"}, status=500)
            finally:
                _action_failures.reset(token)
            if store is not None and store.was_spoiled(str(sender_id)):
                return _unavailable()
            if failures:
                return response.json(
                    {"error": "action_failed", "messages": collector.messages}, status=502
                )
            return response.json(collector.messages)

        webhook.add_route(alive, "/", methods=["GET"])
        webhook.add_route(health, "/health", methods=["GET"])
        webhook.add_route(receive, "/webhook", methods=["POST"])
        webhook.listener("after_server_start")(freeze_startup_objects)
        return webhook


def _unavailable() -> HTTPResponse:
    return response.json(
        {"error": "tracker_store_unavailable", "message": "Conversations can't be read now."},
        status=503,
    )
