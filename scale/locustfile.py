"""Locust shoppers for ``make test-scaled``: multi-turn web chats through the public door.

Each Locust user is one shopper at a time: it opens a new session (a unique conversation id),
talks through one of :data:`SCRIPTS` with think time between turns (order lookups that call the
actions and the desk, some ending in a handoff to a person), fetches the desk's history at the
end and audits it (scale/shopper.py). At the end of the run every conversation's audit is
written to ``$SCALE_RESULTS`` (JSON) for scale/test_scaled.py to judge.

Environment: ``SHOP_IDENTITY_SECRET`` (to sign in demo customers), ``SCALE_RESULTS``,
``SCALE_THINK_MIN`` / ``SCALE_THINK_MAX`` (seconds, default 3 / 8), ``SCALE_REPLY_TIMEOUT``
(default 30 s).
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from locust import HttpUser, between, events, task
from locust.env import Environment

from shopper import (
    APOLOGY_START,
    RECEIVED_AT,
    ShopperChat,
    audit,
    identity_token,
    shopper_address,
)


@dataclass(frozen=True)
class Script:
    name: str
    customer_id: str | None
    turns: tuple[str, ...]
    handoff: bool = False


SCRIPTS: tuple[Script, ...] = (
    Script(
        "track_signed_in",
        "C-1001",
        ("hi", "where is my order 112-4839201-5573910", "thanks, that's all"),
    ),
    Script(
        "track_by_email",
        None,
        ("where is my package?", "119-1010101-2020202", "sam.oconnor@example.com", "thanks"),
    ),
    Script(
        "refund_status",
        "C-1005",
        ("has my refund for 120-4444444-5555555 gone through?", "ok thank you"),
    ),
    Script("promo", None, ("is the code WELCOME10 still valid?", "great, thanks")),
    Script(
        "lost_package_handoff",
        "C-1003",
        ("where is my order 116-7777777-0000001", "I want to talk to a representative"),
        handoff=True,
    ),
    Script(
        "representative",
        "C-1002",
        ("hello", "I want to talk to a representative"),
        handoff=True,
    ),
)
# Handoffs are a minority of chats, as in a real shop.
WEIGHTS = (3, 2, 2, 2, 1, 1)

# How long a handed-off shopper waits for the associate before leaving.
AGENT_WAIT_SECONDS = 90.0

_results: list[dict[str, Any]] = []
_results_lock = threading.Lock()
# Conversations under way; those still here when Locust quits were cut off by the end of the
# run (stopped mid-conversation), and are reported as such rather than judged.
_in_flight: dict[int, dict[str, Any]] = {}


def _float_env(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


class Shopper(HttpUser):
    wait_time = between(1, 3)  # between conversations

    def on_start(self) -> None:
        self.forwarded = {"X-Forwarded-For": shopper_address()}
        self.client.headers.update(self.forwarded)

    @task
    def converse(self) -> None:
        entry: dict[str, Any] = {"script": "?", "cut_off": True, "at": time.time()}
        with _results_lock:
            _in_flight[id(entry)] = entry
        # Not in a finally: a shopper stopped at the end of the run (GreenletExit) stays in
        # flight, to be reported as cut off.
        self._converse(entry)
        with _results_lock:
            _in_flight.pop(id(entry), None)

    def _converse(self, in_flight: dict[str, Any]) -> None:
        script = random.choices(SCRIPTS, weights=WEIGHTS)[0]
        think_min = _float_env("SCALE_THINK_MIN", 3)
        think_max = _float_env("SCALE_THINK_MAX", 8)
        reply_timeout = _float_env("SCALE_REPLY_TIMEOUT", 30)
        body: dict[str, Any] = {"conversation_id": None, "token": None}
        if script.customer_id:
            body["identity"] = identity_token(
                script.customer_id, os.environ["SHOP_IDENTITY_SECRET"]
            )
        session = self._open_session(body)
        if session is None:
            _record({"script": script.name, "session_failed": True, "at": time.time()})
            return
        base = str(self.host).replace("http://", "ws://").replace("https://", "wss://")
        ws_url = base + "/chat/ws"
        chat = ShopperChat(
            ws_url, session["conversation_id"], session["token"], script.name, self.forwarded
        )
        in_flight.update(script=script.name, conversation_id=session["conversation_id"])
        started = time.time()
        apology_seconds: list[float] = []
        apology_at: list[float] = []
        agent_seconds: float | None = None
        try:
            chat.connect()
            chat.drain(0.5)
            last_turn_from = 0  # where in chat.log.live the last turn's lines start
            for text in script.turns:
                last_turn_from = len(chat.log.live)
                turn = chat.say(text, reply_timeout)
                answered = turn.replied_at is not None
                self.environment.events.request.fire(
                    request_type="WS",
                    name=f"turn ({script.name})",
                    response_time=((turn.replied_at or time.monotonic()) - turn.sent_at) * 1000,
                    response_length=len(turn.replies),
                    exception=None if answered else TimeoutError("no reply"),
                    context={},
                )
                chat.idle(random.uniform(think_min, think_max))
                # After the shopper's thinking time: an apology that came later than the reply
                # timeout (an answer lost with a crashed desk) is judged too.
                apologised = any(
                    str(r.get("text", "")).startswith(APOLOGY_START) for r in turn.replies
                )
                if apologised:
                    apology_seconds.append(
                        round((turn.replied_at or time.monotonic()) - turn.sent_at, 2)
                    )
                    apology_at.append(turn.sent_wall)
                    self.environment.events.request.fire(
                        request_type="WS",
                        name="apology",
                        response_time=0,
                        response_length=0,
                        exception=RuntimeError("the desk apologised"),
                        context={},
                    )
            if script.handoff:  # the last turn asked for a person
                agent_seconds = self._talk_with_the_agent(
                    chat, reply_timeout, since=last_turn_from, asked=turn.sent_at
                )
            chat.drain(1.0)
            chat.close()
            chat.fetch_history()
        except Exception as exc:  # recorded and judged, not hidden
            _record(
                {
                    "script": script.name,
                    "conversation_id": chat.log.conversation_id,
                    "crashed": f"{type(exc).__name__}: {exc}"[:300],
                    "at": time.time(),
                    "turns": len(chat.log.turns),
                }
            )
            chat.close()
            return
        result = audit(chat.log)
        _record(
            {
                "script": script.name,
                "conversation_id": chat.log.conversation_id,
                "handoff": script.handoff,
                "turns": len(chat.log.turns),
                "lines": len(chat.log.replay),
                "reconnects": chat.log.reconnects,
                "error_frames": [e.get("code") for e in chat.log.errors],
                "apology_seconds": apology_seconds,
                "apology_at": apology_at,
                "agent_seconds": agent_seconds,
                "unanswered_at": [t.sent_wall for t in chat.log.turns if t.replied_at is None],
                # (sent at, seconds to the first reply) of every answered turn: latency figures
                "turn_seconds": [
                    (t.sent_wall, round(t.replied_at - t.sent_at, 3))
                    for t in chat.log.turns
                    if t.replied_at is not None
                ],
                "started": started,
                "finished": time.time(),
                **asdict(result),
            }
        )

    def _talk_with_the_agent(
        self, chat: ShopperChat, reply_timeout: float, since: int, asked: float
    ) -> float | None:
        """Wait for the associate (test_scaled.py's shift works the queue), answer them, and
        wait for the bot to take the chat back. Seconds from asking for a person until the
        associate spoke (their line may have come while the shopper was thinking), or None."""
        line = chat.wait_for(lambda f: f.get("sender") == "agent", AGENT_WAIT_SECONDS, since)
        if line is None:
            return None
        waited = float(line[RECEIVED_AT]) - asked
        seq = int(line["seq"])
        from_here = len(chat.log.live)
        chat.say("thanks, that helps", reply_timeout)
        chat.wait_for(
            lambda f: f.get("sender") == "bot" and int(f["seq"]) > seq, reply_timeout, from_here
        )
        return round(waited, 2)

    def _open_session(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """POST /chat/api/session, retried with a backoff on 5xx like the widget does."""
        delay = 0.5
        for _ in range(8):
            with self.client.post("/chat/api/session", json=body, catch_response=True) as resp:
                if resp.status_code == 200:
                    session: dict[str, Any] = resp.json()
                    return session
                resp.failure(f"session: {resp.status_code}")
                if 0 < resp.status_code < 500:
                    return None
            time.sleep(delay)
            delay = min(delay * 2, 4.0)
        return None


def _record(item: dict[str, Any]) -> None:
    with _results_lock:
        _results.append(item)


def _write_results(environment: Environment, **_kwargs: Any) -> None:
    path = os.environ.get("SCALE_RESULTS")
    if path:
        with _results_lock:
            Path(path).write_text(json.dumps(_results + list(_in_flight.values())))


events.quitting.add_listener(_write_results)  # type: ignore[no-untyped-call]  # locust: untyped
