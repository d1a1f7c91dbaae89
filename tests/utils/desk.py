"""The fake desk's address and token, its refusals, and what the actions sent it."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

DESK_URL = "http://desk.test"
DESK_TOKEN = "test-desk-token"

# The desk's API paths the actions call (docs/backend-api.md).
LOOKUP = "/api/v1/orders/lookup"
CASES = "/api/v1/cases"
HANDOFFS = "/api/v1/handoffs"


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


# The ways the desk fails a request, in the form failing() takes: down (no answer in time,
# a server error) or refusing (a 4xx answer with a code).
DESK_DOWN = [
    pytest.param({"status_code": 503, "json": {"detail": "maintenance"}}, id="503"),
    pytest.param({"status_code": 500}, id="500"),
    pytest.param({"side_effect": httpx.ConnectTimeout("timed out")}, id="connect-timeout"),
    pytest.param({"side_effect": httpx.ConnectError("refused")}, id="connect-error"),
    pytest.param({"side_effect": httpx.ReadTimeout("slow")}, id="read-timeout"),
]
DESK_REFUSALS = [
    pytest.param({"status_code": 401, "json": desk_error(401, "unauthorized")}, id="401"),
    pytest.param({"status_code": 404, "json": desk_error(404, "not_found")}, id="404"),
    pytest.param({"status_code": 422, "json": desk_error(422, "validation_error")}, id="422"),
]
DESK_FAILURES = DESK_DOWN + DESK_REFUSALS
