"""Bearer-token check for every /api/v1 route (constant-time compare)."""

from __future__ import annotations

import re
import secrets
from typing import Annotated

from fastapi import Header

from .errors import ApiError
from .settings import get_settings

_ACTOR_RE = re.compile(r"^[A-Za-z0-9_.@:+-]{1,100}$")


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "Bearer"})


def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
    if not authorization:
        raise _unauthorized("Missing bearer token.")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Authorization must be 'Bearer <token>'.")
    expected = get_settings().api_token().encode()
    if not secrets.compare_digest(token.strip().encode(), expected):
        raise _unauthorized("Invalid bearer token.")


def get_actor(x_desk_actor: Annotated[str | None, Header()] = None) -> str:
    """Who is acting, for the audit log: the optional ``X-Desk-Actor`` header, else ``bot``."""
    if x_desk_actor and _ACTOR_RE.fullmatch(x_desk_actor.strip()):
        return x_desk_actor.strip()
    return "bot"
