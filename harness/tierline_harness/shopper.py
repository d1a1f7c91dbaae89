"""One shopper's web chat, spoken over the real websocket, and what it saw.

The client follows docs/web-chat.md like the widget does: it opens a session, says hello with
the highest ``seq`` it rendered, sends each message with a ``client_id`` and, after a dropped
connection, reconnects and resends whatever was not acknowledged. It keeps every frame so the
conversation can be checked afterwards against the desk's own history (:func:`audit`).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import websocket

APOLOGY_START = "I'm sorry, I couldn't come up with an answer"
REPLY_SENDERS = frozenset({"bot", "system", "agent"})
RECV_SLICE_SECONDS = 5.0
READY_TIMEOUT_SECONDS = 15.0
RECEIVED_AT = "_received_at"  # added to each message frame: when it arrived (monotonic)


_next_address = itertools.count()


def shopper_address() -> str:
    """A distinct client address per simulated shopper, from 198.18.0.0/15 (RFC 2544: for
    benchmarks). Every simulated shopper really connects from 127.0.0.1, which the desks trust
    as a proxy (uvicorn ``--proxy-headers``), so nginx's X-Forwarded-For carries this address
    to the desk's per-IP limits as a real client's would; otherwise 500 shoppers would share
    one IP's budget of new chats."""
    n = next(_next_address) % (2 * 65536)
    return str(ipaddress.IPv4Address("198.18.0.0") + n)


def with_backoff[T](
    call: Callable[[], T],
    attempts: int,
    errors: tuple[type[BaseException], ...],
    first: float,
    cap: float,
) -> T:
    """``call()``, tried up to ``attempts`` times on ``errors``, waiting ``first`` seconds,
    doubling up to ``cap``; the last error is raised."""
    delay = first
    for _ in range(attempts - 1):
        try:
            return call()
        except errors:
            time.sleep(delay)
            delay = min(delay * 2, cap)
    return call()


def identity_token(customer_id: str, secret: str, ttl: int = 8 * 3600) -> str:
    """The retailer's signed identity token (docs/web-chat.md, "Identity")."""
    body = f"v1.{customer_id}.{int(time.time()) + ttl}"
    return body + "." + hmac.new(secret.encode(), body.encode(), hashlib.sha256).hexdigest()


@dataclass
class Turn:
    text: str
    client_id: str
    sent_at: float
    sent_wall: float = field(default_factory=time.time)
    seq: int | None = None  # from the ack
    replied_at: float | None = None
    replies: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ChatLog:
    """Everything one conversation's client saw."""

    conversation_id: str
    script: str
    live: list[dict[str, Any]] = field(default_factory=list)  # message frames, arrival order
    turns: list[Turn] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # error frames
    reconnects: int = 0
    replay: list[dict[str, Any]] = field(default_factory=list)  # the desk's history, at the end


class ChatClosed(Exception):
    """The websocket closed or failed."""


class ShopperChat:
    def __init__(
        self,
        ws_url: str,
        conversation_id: str,
        token: str,
        script: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.ws_url = ws_url
        self.token = token
        self.headers = [f"{name}: {value}" for name, value in (headers or {}).items()]
        self.log = ChatLog(conversation_id, script)
        self.last_seq = 0
        self.unacked: dict[str, Turn] = {}
        self.ws: websocket.WebSocket | None = None

    # ---- connection

    def connect(self, attempts: int = 20) -> None:
        errors = (OSError, websocket.WebSocketException, ChatClosed)
        with_backoff(self._open, attempts, errors, first=0.2, cap=3.0)

    def _hello(self, last_seq: int) -> str:
        return json.dumps(
            {
                "type": "hello",
                "conversation_id": self.log.conversation_id,
                "token": self.token,
                "last_seq": last_seq,
            }
        )

    def _open(self) -> None:
        self.close()
        ws = websocket.create_connection(self.ws_url, timeout=15, header=self.headers)
        ws.send(self._hello(self.last_seq))
        self.ws = ws
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while True:
            frame = self._recv(deadline - time.monotonic())
            if frame is None:
                if time.monotonic() >= deadline:
                    raise ChatClosed("no ready frame")
                continue
            if frame.get("type") == "ready":
                break
            self._record(frame)
        for turn in list(self.unacked.values()):  # like the widget: resend, same client_id
            self._send_turn(turn)

    def reconnect(self) -> None:
        self.log.reconnects += 1
        self.connect()

    def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                self.ws.close(timeout=1)
            self.ws = None

    # ---- frames

    def _recv(self, timeout: float) -> dict[str, Any] | None:
        """The next frame, or None when nothing came within ``timeout``."""
        if self.ws is None:
            raise ChatClosed("not connected")
        # websocket-client answers a ping inside recv() and then waits the whole timeout again,
        # so a wait longer than the server's ping interval (uvicorn: 20 s) would never end.
        # Callers loop until their own deadline; a slice that returns None early is harmless.
        self.ws.settimeout(min(max(timeout, 0.01), RECV_SLICE_SECONDS))
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except (OSError, websocket.WebSocketException) as exc:
            raise ChatClosed(str(exc)) from exc
        if not raw:
            raise ChatClosed("closed")
        frame = json.loads(raw)
        if not isinstance(frame, dict):
            raise ChatClosed("bad frame")
        return frame

    def _record(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "message":
            frame[RECEIVED_AT] = time.monotonic()
            self.log.live.append(frame)
            seq = frame.get("seq")
            if isinstance(seq, int) and seq > self.last_seq:
                self.last_seq = seq
            if frame.get("sender") == "shopper" and isinstance(seq, int):
                # Our own line, pushed back: it was stored even if its ack was lost with a socket.
                self._stored(str(frame.get("client_id")), seq)
            turn = self.log.turns[-1] if self.log.turns else None
            if turn is not None:
                self._attribute_replies(turn)
        elif kind == "ack":
            seq = frame.get("seq")
            if isinstance(seq, int):
                self._stored(str(frame.get("client_id")), seq)
        elif kind == "error":
            self.log.errors.append(frame)

    def _stored(self, client_id: str, seq: int) -> None:
        """The desk stored our message ``client_id`` as ``seq`` (from its ack or its line)."""
        turn = self.unacked.pop(client_id, None)
        if turn is None:
            return
        turn.seq = seq
        self._attribute_replies(turn)

    def _attribute_replies(self, turn: Turn) -> None:
        """Every reply line after ``turn`` that has arrived, whatever came first: after a
        reconnect the desk replays the stored answer before it acknowledges the resent
        message, so a reply can arrive before the turn's ``seq`` is known."""
        if turn.seq is None:
            return
        counted = {id(reply) for reply in turn.replies}
        for frame in self.log.live:
            seq = frame.get("seq")
            if (
                isinstance(seq, int)
                and seq > turn.seq
                and frame.get("sender") in REPLY_SENDERS
                and id(frame) not in counted
            ):
                turn.replies.append(frame)
                if turn.replied_at is None:
                    turn.replied_at = float(frame[RECEIVED_AT])

    def _send_turn(self, turn: Turn) -> None:
        if self.ws is None:
            raise ChatClosed("not connected")
        try:
            self.ws.send(
                json.dumps({"type": "message", "client_id": turn.client_id, "text": turn.text})
            )
        except (OSError, websocket.WebSocketException) as exc:
            raise ChatClosed(str(exc)) from exc

    def _read(self, timeout: float) -> bool:
        """Read and record the next frame; False when none came within ``timeout``. A dropped
        socket is reopened (which resends what was not acknowledged) and counts as a frame."""
        try:
            frame = self._recv(timeout)
        except ChatClosed:
            self.reconnect()
            return True
        if frame is None:
            return False
        self._record(frame)
        return True

    # ---- the conversation

    def say(self, text: str, reply_timeout: float) -> Turn:
        """Send one message and wait for the first reply after it (or the timeout)."""
        turn = Turn(text, secrets.token_hex(8), time.monotonic())
        self.log.turns.append(turn)
        self.unacked[turn.client_id] = turn
        try:
            self._send_turn(turn)
        except ChatClosed:
            self.reconnect()  # resends it
        deadline = turn.sent_at + reply_timeout
        while turn.replied_at is None and time.monotonic() < deadline:
            self._read(deadline - time.monotonic())
        # Let the rest of a multi-message answer arrive before the shopper answers.
        self.drain(0.3)
        return turn

    def wait_for(
        self, match: Callable[[dict[str, Any]], bool], timeout: float, since: int | None = None
    ) -> dict[str, Any] | None:
        """Read frames until a message line matches (returned) or ``timeout`` passes (None).

        ``since``: the index in ``log.live`` to look from (lines that came while the shopper
        was thinking count); by default only lines that arrive from now on."""
        start = len(self.log.live) if since is None else since
        deadline = time.monotonic() + timeout
        while True:
            for frame in self.log.live[start:]:
                if match(frame):
                    return frame
            start = len(self.log.live)
            if time.monotonic() >= deadline:
                return None
            self._read(deadline - time.monotonic())

    def idle(self, seconds: float) -> None:
        """Keep reading (as a browser tab does) while the shopper thinks for ``seconds``: frames
        are recorded and the server's pings answered, so a quiet chat is not dropped."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self._read(left)

    def drain(self, quiet: float) -> None:
        """Read frames until none comes for ``quiet`` seconds."""
        while self._read(quiet):
            pass

    def fetch_history(self, attempts: int = 10) -> None:
        """A fresh connection with ``last_seq=0``: the desk's whole history, for the audit."""
        errors = (OSError, websocket.WebSocketException, ValueError)
        self.log.replay = with_backoff(self._history, attempts, errors, first=0.5, cap=4.0)

    def _history(self) -> list[dict[str, Any]]:
        """Every line the desk replays, until it has been quiet for 2 s after the first one.

        The quiet window starts at the first line, not at the hello: a desk slow to answer is
        not an empty history (that counted every turn of the conversation as lost). Every
        audited conversation has lines, so a history with none is an error (retried).
        """
        replay: list[dict[str, Any]] = []
        ws = websocket.create_connection(self.ws_url, timeout=15, header=self.headers)
        try:
            ws.send(self._hello(0))
            while True:
                ws.settimeout(2.0 if replay else READY_TIMEOUT_SECONDS)
                try:
                    frame = json.loads(ws.recv())
                except websocket.WebSocketTimeoutException:
                    if replay:
                        return replay
                    raise
                if isinstance(frame, dict) and frame.get("type") == "message":
                    replay.append(frame)
        finally:
            with contextlib.suppress(OSError, websocket.WebSocketException):
                ws.close(timeout=1)


@dataclass
class Audit:
    lost: int = 0
    reordered: int = 0
    duplicated: int = 0
    empty: int = 0
    apologies: int = 0
    unanswered: int = 0

    def add(self, other: Audit) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def unanswered_turns(log: ChatLog, lines_after: int = 4) -> list[dict[str, Any]]:
    """Each turn that got no reply: when it was sent, its text and ``seq``, and the first
    lines the desk stored after it (sender, when, first words), to tell a reply that never
    came from one that came after the shopper stopped waiting."""
    stored = sorted(
        (f for f in log.replay if isinstance(f.get("seq"), int)), key=lambda f: int(f["seq"])
    )
    found: list[dict[str, Any]] = []
    for turn in log.turns:
        if turn.replied_at is not None:
            continue
        after = [f for f in stored if turn.seq is not None and int(f["seq"]) > turn.seq]
        found.append(
            {
                "at": turn.sent_wall,
                "text": turn.text[:60],
                "seq": turn.seq,
                "stored_after": [
                    f"{f.get('sender')} {str(f.get('created_at', ''))[11:19]} "
                    f"{str(f.get('text') or '')[:40]!r}"
                    for f in after[:lines_after]
                ],
            }
        )
    return found


def audited(log: ChatLog) -> dict[str, Any]:
    """What the load records of a finished conversation's log: the audit's counts, and each
    turn that got no reply described (``unanswered_turns``; ``unanswered`` is their count)."""
    return {**asdict(audit(log)), "unanswered_turns": unanswered_turns(log)}


def audit(log: ChatLog) -> Audit:
    """Compare what the shopper saw with what the desk stored.

    - lost: a message the shopper sent that the desk never stored, or a stored line (up to the
      last one the shopper saw) that never reached the shopper;
    - reordered: a line that arrived after a line with a higher ``seq``;
    - duplicated: a line that arrived twice, or a shopper message stored twice;
    - empty: a bot line with neither text nor buttons, or a turn with no reply at all
      (``unanswered`` counts the latter on its own).
    """
    result = Audit()
    live_seqs = [f["seq"] for f in log.live if isinstance(f.get("seq"), int)]
    seen: set[int] = set()
    highest = 0
    for seq in live_seqs:
        if seq in seen:
            result.duplicated += 1
            continue
        seen.add(seq)
        if seq < highest:
            result.reordered += 1
        highest = max(highest, seq)
    stored = {f["seq"]: f for f in log.replay if isinstance(f.get("seq"), int)}
    result.lost += sum(1 for seq in stored if seq <= highest and seq not in seen)
    stored_client_ids = [
        f.get("client_id") for f in stored.values() if f.get("sender") == "shopper"
    ]
    for turn in log.turns:
        count = stored_client_ids.count(turn.client_id)
        if count == 0:
            result.lost += 1
        elif count > 1:
            result.duplicated += count - 1
        if turn.replied_at is None:
            result.unanswered += 1
    result.empty += result.unanswered
    for frame in stored.values():
        if frame.get("sender") != "bot":
            continue
        if not (frame.get("text") or "").strip() and not frame.get("buttons"):
            result.empty += 1
        if str(frame.get("text") or "").startswith(APOLOGY_START):
            result.apologies += 1
    return result
