"""CORS for the few endpoints the embeddable widget calls from a shop's own site.

Only these paths answer cross-origin requests (``CHAT_ALLOWED_ORIGINS``, with credentials:
the demo shop's sign-in cookie). Everything else, the agent console's API above all, sends no
CORS headers to any origin, so an allowed shop page can never read a console response or its
CSRF token. The websocket checks its ``Origin`` itself (public/chat.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# What static/chat/widget.js fetches cross-origin.
WIDGET_PATHS = frozenset({"/chat/api/session", "/chat/api/attachments"})


class WidgetCORS:
    """Starlette's CORS middleware, applied only to ``paths``."""

    def __init__(
        self, app: ASGIApp, *, allow_origins: Iterable[str], paths: frozenset[str] = WIDGET_PATHS
    ) -> None:
        self.app = app
        self.paths = paths
        self.cors = CORSMiddleware(
            app,
            allow_origins=list(allow_origins),
            allow_methods=["POST"],
            allow_headers=["content-type", "x-conversation-id", "x-conversation-token"],
            allow_credentials=True,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") in self.paths:
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
