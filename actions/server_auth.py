"""A shared secret between Rasa and the action server (rasa-sdk 3.6 has no authentication).

Rasa sends ``X-Tierline-Action-Token: ${ACTION_SERVER_TOKEN}`` with every action call
(endpoints.yml, ``action_endpoint.headers``); a Sanic request middleware refuses ``/webhook``
and ``/actions`` calls without the right token (401, constant-time compare). ``/health`` stays
open. The action server also listens on 127.0.0.1 only (Procfile: ``SANIC_HOST``), so this is
a second wall: another local process or a mis-bound port still cannot run actions.

Installed through rasa-sdk's start-up hook (``rasa_sdk_plugins``, see actions/logging_setup.py);
without ACTION_SERVER_TOKEN the action server refuses to start (``make`` writes one into .env).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pluggy
from sanic import response
from sanic.response import HTTPResponse

from actions.settings import SettingsError, get_settings

TOKEN_HEADER = "X-Tierline-Action-Token"
PROTECTED_PATHS = ("/webhook", "/actions")
hookimpl = pluggy.HookimplMarker("rasa_sdk")


def refusal(path: str, headers: Mapping[str, str], expected: str) -> HTTPResponse | None:
    """A 401 for a protected path without the right token; None lets the request through."""
    if not path.startswith(PROTECTED_PATHS):
        return None
    given = headers.get(TOKEN_HEADER) or headers.get(TOKEN_HEADER.lower()) or ""
    if hmac.compare_digest(given.encode(), expected.encode()):
        return None
    return response.json(
        {"error": f"missing or wrong {TOKEN_HEADER}: only Rasa may call the action server"},
        status=401,
    )


def token_middleware(expected: str) -> Callable[[Any], Awaitable[HTTPResponse | None]]:
    """The Sanic request middleware for ``expected`` (a non-empty secret)."""
    if not expected:
        raise SettingsError(
            "ACTION_SERVER_TOKEN is not set: run `make` (it writes one into .env) or export "
            "the same secret for Rasa (endpoints.yml) and the action server."
        )

    async def require_token(request: Any) -> HTTPResponse | None:
        return refusal(request.path, request.headers, expected)

    return require_token


@hookimpl  # type: ignore[misc]
def attach_sanic_app_extensions(app: Any) -> None:
    """rasa-sdk's start-up hook: every action call must carry the shared secret."""
    app.register_middleware(token_middleware(get_settings().action_server_token), "request")
