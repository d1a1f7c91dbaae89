"""Resuming a paused Rasa conversation through Rasa's HTTP API."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from .settings import get_settings


class RasaUnavailable(Exception):
    """Rasa could not be reached, rejected the call, or is not configured."""


RESUME_EVENTS = [{"event": "resume"}, {"event": "action", "name": "action_listen"}]


def resume_conversation(conversation_id: str, outcome: str) -> None:
    """Append ``resume`` and ``action_listen``, then trigger ``EXTERNAL_handback``.

    A paused conversation never ran ``action_listen`` after the handoff, so without it the
    bot's rules would not see the handback as a fresh user turn and would fall back.

    Raises :class:`RasaUnavailable` on any failure (network, timeout, non-2xx, no token).
    """
    settings = get_settings()
    token = settings.rasa_token.get_secret_value()
    if not token:
        raise RasaUnavailable("RASA_TOKEN is not configured")
    base = f"{settings.rasa_base_url()}/conversations/{quote(conversation_id, safe='')}"
    params = {"token": token}
    try:
        with httpx.Client(timeout=settings.rasa_timeout_seconds) as client:
            resp = client.post(f"{base}/tracker/events", params=params, json=RESUME_EVENTS)
            resp.raise_for_status()
            resp = client.post(
                f"{base}/trigger_intent",
                params=params,
                json={"name": "EXTERNAL_handback", "entities": {"handback_outcome": outcome}},
            )
            resp.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise RasaUnavailable(
            f"Rasa answered {exc.response.status_code} to {exc.request.url.path}"
        ) from exc
    except httpx.HTTPError as exc:
        raise RasaUnavailable(f"Rasa could not be reached: {type(exc).__name__}") from exc
