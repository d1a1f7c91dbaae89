"""The fake desk's address and token, its refusals, and what the actions sent it."""

from __future__ import annotations

import json
from typing import Any

import respx

DESK_URL = "http://desk.test"
DESK_TOKEN = "test-desk-token"


def desk_error(status: int, code: str, message: str = "refused", **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "message": message, **extra}}


def sent_json(route: Any) -> dict[str, Any]:
    """The JSON body of the last request a respx route received."""
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body


def failing(route: respx.Route, failure: dict[str, Any]) -> respx.Route:
    """``route`` made to fail as ``failure`` says.

    ``failure`` is either ``{"side_effect": an httpx error to raise}`` or the arguments of
    the answer to give (``status_code``, ``json``).
    """
    if "side_effect" in failure:
        route.side_effect = failure["side_effect"]
        return route
    return route.respond(**failure)
