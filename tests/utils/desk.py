"""The fake desk's address and token, its refusals, and what the actions sent it."""

from __future__ import annotations

import json
from typing import Any

DESK_URL = "http://desk.test"
DESK_TOKEN = "test-desk-token"


def desk_error(status: int, code: str, message: str = "refused", **extra: Any) -> dict[str, Any]:
    return {"detail": {"code": code, "message": message, **extra}}


def sent_json(route: Any) -> dict[str, Any]:
    """The JSON body of the last request a respx route received."""
    body: dict[str, Any] = json.loads(route.calls.last.request.content)
    return body
