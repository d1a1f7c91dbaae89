"""The desk's sign-in cookies: the console's session and the demo shop's shopper.

Both carry the same flags: the whole site, never readable by scripts, not sent on cross-site
requests, and Secure when CONSOLE_COOKIE_SECURE says the desk is served over HTTPS.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from .settings import get_settings


def _flags() -> dict[str, Any]:
    return {
        "path": "/",
        "httponly": True,
        "samesite": "lax",
        "secure": get_settings().console_cookie_secure,
    }


def set_sign_in_cookie(response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, **_flags())


def delete_sign_in_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, **_flags())
