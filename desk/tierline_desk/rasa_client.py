"""Talking to Rasa: relaying web chat to its REST channel, pausing and resuming conversations.

Rasa listens on 127.0.0.1 only; the desk is the one public door. The REST channel gets the
shopper's customer id in signed metadata (tierline_common.signing), never as text
the browser could forge. The HTTP API calls carry RASA_TOKEN.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
from tierline_common.pooled import Pooled
from tierline_common.signing import sign_command, sign_customer_id

from .settings import get_settings


class RasaUnavailable(Exception):
    """Rasa could not be reached, rejected the call, failed, or is not configured.

    ``said`` holds what the bot did say before a custom action failed (the signed REST channel
    answers 502 ``{"error": "action_failed", "messages": [...]}``), to show before apologising.
    """

    def __init__(self, message: str, said: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.said = said or []


RESUME_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]
PAUSE_EVENTS = [{"event": "pause"}]


def _new_async_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=get_settings().chat_reply_timeout_seconds,
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50),
    )


def _new_sync_client() -> httpx.Client:
    return httpx.Client(limits=httpx.Limits(max_connections=50, max_keepalive_connections=10))


_async_client = Pooled(_new_async_client)
# The console's sync handlers (pause, resume, transcripts) share one client from any thread:
# a client per call built a TLS context each time (~10 ms of CPU, even for plain HTTP) and
# kept no connection alive; a claim and a hand-back were most of a busy desk's CPU.
_sync_client = Pooled(_new_sync_client)


def sync_client() -> httpx.Client:
    """The shared client for calls from sync code; each call passes its own timeout."""
    return _sync_client.get()


async def close() -> None:
    async_client = _async_client.take()
    if async_client is not None:
        await async_client.aclose()
    sync = _sync_client.take()
    if sync is not None:
        sync.close()


def bot_messages(payload: Any) -> list[dict[str, Any]]:
    """Text and buttons from Rasa's output (REST webhook list or trigger_intent ``messages``)."""
    out: list[dict[str, Any]] = []
    if not isinstance(payload, list):
        return out
    for item in payload:
        if not isinstance(item, dict):
            continue
        text = item.get("text")
        text = text.strip() if isinstance(text, str) else ""
        buttons = [
            {"title": str(b["title"]), "payload": str(b["payload"])}
            for b in item.get("buttons") or []
            if isinstance(b, dict) and b.get("title") and b.get("payload")
        ]
        if text or buttons:
            out.append({"text": text, "buttons": buttons})
    return out


async def send_message(
    conversation_id: str, text: str, customer_id: str | None, *, command: bool = False
) -> list[dict[str, Any]]:
    """Send one shopper message to the REST channel; the bot's replies (text + buttons).

    ``command``: ``text`` is the payload of a button the bot offered; it is signed as such
    (``command_signature``), the only way the channel lets a text starting with ``/`` through.
    Raises :class:`RasaUnavailable` on any failure. An empty list means Rasa said nothing.
    """
    settings = get_settings()
    body: dict[str, Any] = {"sender": conversation_id, "message": text}
    secret = settings.identity_secret.get_secret_value()
    metadata: dict[str, str] = {}
    if customer_id and secret:
        metadata["customer_id"] = customer_id
        metadata["customer_signature"] = sign_customer_id(customer_id, secret)
    if command and secret:
        metadata["command_signature"] = sign_command(conversation_id, text, secret)
    if metadata:
        body["metadata"] = metadata
    try:
        resp = await _async_client.get().post(
            f"{settings.rasa_base_url()}/webhooks/rest/webhook", json=body
        )
        resp.raise_for_status()
        return bot_messages(resp.json())
    except httpx.HTTPStatusError as exc:
        raise RasaUnavailable(
            f"Rasa answered {exc.response.status_code}", said=_said_before_failure(exc.response)
        ) from exc
    except httpx.HTTPError as exc:
        raise RasaUnavailable(f"Rasa could not be reached: {type(exc).__name__}") from exc
    except ValueError as exc:
        raise RasaUnavailable("Rasa's reply was not JSON") from exc


def _said_before_failure(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    if not isinstance(body, dict) or body.get("error") != "action_failed":
        return []
    return bot_messages(body.get("messages"))


def _api(conversation_id: str) -> tuple[str, dict[str, str]]:
    settings = get_settings()
    token = settings.rasa_token.get_secret_value()
    if not token:
        raise RasaUnavailable("RASA_TOKEN is not configured")
    base = f"{settings.rasa_base_url()}/conversations/{quote(conversation_id, safe='')}"
    return base, {"token": token}


def pause_conversation(conversation_id: str) -> None:
    """Append ``pause``: a person has the conversation, the bot stays silent until resumed."""
    base, params = _api(conversation_id)
    settings = get_settings()
    try:
        sync_client().post(
            f"{base}/tracker/events",
            params=params,
            json=PAUSE_EVENTS,
            timeout=settings.rasa_timeout_seconds,
        ).raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise RasaUnavailable(f"Rasa answered {exc.response.status_code} to the pause") from exc
    except httpx.HTTPError as exc:
        raise RasaUnavailable(f"Rasa could not be reached: {type(exc).__name__}") from exc


def resume_conversation(conversation_id: str, outcome: str) -> list[dict[str, Any]]:
    """Append ``resume`` and ``action_listen``, then trigger ``EXTERNAL_handback``.

    A paused conversation never ran ``action_listen`` after the handoff, so without it the
    bot's rules would not see the handback as a fresh user turn and would fall back.
    Returns what the bot said (text + buttons).

    Raises :class:`RasaUnavailable` on any failure (network, timeout, non-2xx, no token).
    """
    settings = get_settings()
    base, params = _api(conversation_id)
    client, timeout = sync_client(), settings.chat_reply_timeout_seconds
    try:
        resp = client.post(
            f"{base}/tracker/events", params=params, json=RESUME_EVENTS, timeout=timeout
        )
        resp.raise_for_status()
        resp = client.post(
            f"{base}/trigger_intent",
            params=params,
            json={"name": "EXTERNAL_handback", "entities": {"handback_outcome": outcome}},
            timeout=timeout,
        )
        resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise RasaUnavailable(
            f"Rasa answered {exc.response.status_code} to {exc.request.url.path}"
        ) from exc
    except httpx.HTTPError as exc:
        raise RasaUnavailable(f"Rasa could not be reached: {type(exc).__name__}") from exc
    try:
        reply = resp.json()
    except ValueError:
        return []  # resumed; the bot's words just aren't readable
    return bot_messages(reply.get("messages") if isinstance(reply, dict) else None)
