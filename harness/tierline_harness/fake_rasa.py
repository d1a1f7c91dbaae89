"""A fake Rasa: the REST channel and the two HTTP API routes the desk calls, answering like the bot.

One implementation for the desk's tests (mounted on respx in front of the desk's HTTP client,
desk/tests/utils/web_chat.py) and the bench's ``--smoke`` run (a real HTTP server that Locust
talks to, :meth:`FakeRasa.serving`). Standard library only: the desk installs the harness for its
tests without the harness's own tools.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Message = dict[str, Any]
WEBHOOK = "/webhooks/rest/webhook"
TRACKER_EVENTS = re.compile(r"/conversations/[^/]+/tracker/events")
TRIGGER_INTENT = re.compile(r"/conversations/[^/]+/trigger_intent")


def echo(text: str) -> list[Message]:
    """The default answer: the shopper's words said back."""
    return [{"recipient_id": "x", "text": f"You said: {text}"}]


class FakeRasa:
    """What Rasa was sent, and how it answers: ``replies`` to each message, ``down`` (500),
    ``action_failed`` (the signed REST channel's 502 after a failed action)."""

    def __init__(
        self,
        replies: Callable[[str], list[Message]] = echo,
        token: str | None = None,
    ) -> None:
        self.replies = replies
        self.token = token  # what the HTTP API routes require as ?token=, when set
        self.received: list[dict[str, Any]] = []
        self.events: list[Any] = []
        self.down = False
        self.action_failed = False

    def answer(self, url: str, body: bytes) -> tuple[int, Any]:
        """The status and JSON body Rasa would answer a POST of ``body`` to ``url``."""
        parts = urlsplit(url)
        payload = json.loads(body)
        if parts.path == WEBHOOK:
            return self._webhook(payload)
        if self.token is not None and parse_qs(parts.query).get("token") != [self.token]:
            return 401, {"error": "a wrong or missing token"}
        if TRACKER_EVENTS.fullmatch(parts.path):
            self.events.append(payload)
            return 200, {}
        if TRIGGER_INTENT.fullmatch(parts.path):
            self.events.append(payload)
            outcome = payload["entities"]["handback_outcome"]
            back = {"recipient_id": "x", "text": f"I'm back. Outcome: {outcome}"}
            return 200, {"messages": [back]}
        return 404, {"error": f"no route {parts.path}"}

    def _webhook(self, body: dict[str, Any]) -> tuple[int, Any]:
        self.received.append(body)
        if self.down:
            return 500, {"error": "boom"}
        if self.action_failed:
            return 502, {"error": "action_failed", "messages": self.replies(body["message"])}
        return 200, self.replies(body["message"])

    @contextlib.contextmanager
    def serving(self) -> Iterator[str]:
        """A real HTTP server on a free loopback port answering as :meth:`answer`; its URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                status, payload = fake.answer(self.path, self.rfile.read(length))
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    # Locust stops its shoppers mid-request at the end of a run; nothing is wrong.
                    self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
