"""Every Locust shopper of the harness, for the benchmarks and the scaled run.

Run headless with the class named on the command line:

- the bench (tierline_harness/bench/run.py): ``RestShopper`` (the scripted conversations over
  Rasa's REST channel, a new sender id each time), ``LongShopper`` (one signed-in conversation
  of LONG_TURNS turns over the REST channel) and ``WebChatShopper`` (the same conversations
  through the desk's public web chat: session + websocket). Every turn is recorded (name,
  start, milliseconds, sensible or not) and written as JSON lines to ``$BENCH_SAMPLES`` when
  Locust quits; run.py computes the figures from those samples. Environment:
  ``BENCH_IDENTITY_SECRET``, ``BENCH_SHOP_SECRET``, ``BENCH_USERS``, ``BENCH_THINK_S``.
- ``make test-scaled`` (tierline_harness/scaled.py): ``ScaledShopper``, one shopper at a time
  per Locust user: it opens a new session (a unique conversation id), talks through one of
  :data:`SCRIPTS` with think time between turns (order lookups that call the actions and the
  desk, some ending in a handoff to a person), fetches the desk's history at the end and audits
  it (tierline_harness/shopper.py). At the end of the run every conversation's audit is written
  to ``$SCALE_RESULTS`` (JSON) for scaled.py to judge. Environment: ``SHOP_IDENTITY_SECRET`` (to
  sign in demo customers), ``SCALE_RESULTS``, ``SCALE_THINK_MIN`` / ``SCALE_THINK_MAX``
  (seconds, default 3 / 8), ``SCALE_REPLY_TIMEOUT`` (default 30 s).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import websocket
from locust import FastHttpUser, HttpUser, between, constant, events, task
from locust.env import Environment
from locust.exception import StopUser
from tierline_common.signing import sign_customer_id

from tierline_harness.bench.conversations import (
    CONVERSATIONS,
    LONG_CUSTOMER_ID,
    LONG_LOOP,
    LONG_TURNS,
    Conversation,
    Turn,
    is_sensible,
)
from tierline_harness.shopper import (
    APOLOGY_START,
    RECEIVED_AT,
    ShopperChat,
    audited,
    identity_token,
    shopper_address,
)

# ---------------------------------------------------------------- the bench's shoppers

SAMPLES: list[dict[str, Any]] = []
_next_conversation = itertools.cycle(CONVERSATIONS)
_long_finished = 0


def signed_metadata(customer_id: str) -> dict[str, str]:
    """What the desk passes to Rasa for a signed-in shopper (the signed REST channel checks it)."""
    signature = sign_customer_id(customer_id, os.environ["BENCH_IDENTITY_SECRET"])
    return {"customer_id": customer_id, "customer_signature": signature}


def _record_turn(
    name: str,
    response_time: float,
    exception: BaseException | None,
    context: dict[str, Any],
    **_: Any,
) -> None:
    if not os.environ.get("BENCH_SAMPLES"):  # the scaled run judges its own way
        return
    SAMPLES.append(
        {
            "name": name,
            "start": context.get("start", time.time()),
            "ms": response_time,
            "ok": exception is None,
            "reason": "" if exception is None else str(exception)[:200],
            "turn": context.get("turn", 0),
            "sender": context.get("sender", ""),
        }
    )


def _write_samples(**_: Any) -> None:
    path = os.environ.get("BENCH_SAMPLES")
    if path:
        with open(path, "w") as sink:
            for sample in SAMPLES:
                sink.write(json.dumps(sample) + "\n")


events.request.add_listener(_record_turn)  # type: ignore[no-untyped-call]  # locust: untyped
events.quitting.add_listener(_write_samples)  # type: ignore[no-untyped-call]


def _texts(body: Any) -> list[str]:
    if not isinstance(body, list):
        return []
    return [str(m.get("text", "")) for m in body if isinstance(m, dict)]


class RestChannelUser(FastHttpUser):
    """A shopper on Rasa's REST channel: turns back to back, each answer checked (:meth:`say`)."""

    abstract = True  # Locust runs only its subclasses
    wait_time = constant(0)
    network_timeout = 120.0
    connection_timeout = 30.0

    def say(self, sender: str, turn: Turn, number: int, name: str, customer: str | None) -> bool:
        """One turn; False when the answer was not sensible (the conversation stops)."""
        body: dict[str, Any] = {"sender": sender, "message": turn.text}
        if customer is not None:
            body["metadata"] = signed_metadata(customer)
        context = {"start": time.time(), "turn": number, "sender": sender}
        with self.client.post(
            "/webhooks/rest/webhook", json=body, name=name, catch_response=True, context=context
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return False
            try:
                texts = _texts(response.json())
            except ValueError:
                response.failure("not JSON")
                return False
            ok, reason = is_sensible(turn, texts)
            if not ok:
                response.failure(f"{reason}: {' | '.join(texts)[:150]}")
                return False
            response.success()
            return True


class RestShopper(RestChannelUser):
    """Scripted conversations over Rasa's REST channel, back to back."""

    @task
    def converse(self) -> None:
        """One whole conversation, with a sender id no one used before."""
        conversation = next(_next_conversation)
        sender = f"bench-{uuid.uuid4().hex}"
        for number, turn in enumerate(conversation.turns, start=1):
            name = f"{conversation.name} {number}"
            if not self.say(sender, turn, number, name, conversation.customer_id):
                return


class LongShopper(RestChannelUser):
    """One conversation of LONG_TURNS turns; Locust stops once every long shopper is done."""

    @task
    def converse(self) -> None:
        """LONG_TURNS turns of the loop, then stop (a failed turn does not end it)."""
        global _long_finished
        sender = f"bench-long-{uuid.uuid4().hex}"
        turns = itertools.islice(itertools.cycle(LONG_LOOP), LONG_TURNS)
        for number, turn in enumerate(turns, start=1):
            self.say(sender, turn, number, f"turn {number:03d}", LONG_CUSTOMER_ID)
        _long_finished += 1
        users = int(os.environ.get("BENCH_USERS", "1"))
        if _long_finished >= users and self.environment.runner is not None:
            self.environment.runner.quit()
        raise StopUser()


class WebChatShopper(HttpUser):
    """The same conversations through the desk: POST /chat/api/session, then /chat/ws.

    Like a person, the shopper reads the answer and types the next message: a think time of
    BENCH_THINK_S seconds (uniform between the two numbers) before each turn after the first,
    and before opening the chat the first time.
    """

    wait_time = constant(0)

    def on_start(self) -> None:
        """Shoppers open the chat at different moments, not all in the same millisecond."""
        self._think()

    def _think(self) -> None:
        low, _, high = os.environ.get("BENCH_THINK_S", "1-3").partition("-")
        time.sleep(random.uniform(float(low), float(high or low)))  # gevent-patched by Locust

    def _frame(self, ws: websocket.WebSocket) -> dict[str, Any]:
        raw = ws.recv()
        frame: dict[str, Any] = json.loads(raw)
        return frame

    def _bot_reply(self, ws: websocket.WebSocket) -> tuple[float, list[str]]:
        """Waits for the first bot message frame; then gathers the rest of the burst."""
        while True:
            frame = self._frame(ws)
            if frame.get("type") == "message" and frame.get("sender") == "bot":
                arrived = time.perf_counter()
                texts = [str(frame.get("text", ""))]
                break
        ws.settimeout(0.15)
        try:
            while True:
                frame = self._frame(ws)
                if frame.get("type") == "message" and frame.get("sender") == "bot":
                    texts.append(str(frame.get("text", "")))
        except websocket.WebSocketTimeoutException:
            pass
        finally:
            ws.settimeout(60)
        return arrived, texts

    def _converse(self, conversation: Conversation, ws: websocket.WebSocket) -> None:
        for number, turn in enumerate(conversation.turns, start=1):
            name = f"webchat {conversation.name} {number}"
            if number > 1:
                self._think()
            start, began = time.time(), time.perf_counter()
            ws.send(
                json.dumps({"type": "message", "client_id": uuid.uuid4().hex, "text": turn.text})
            )
            exception: Exception | None = None
            texts: list[str] = []
            try:
                arrived, texts = self._bot_reply(ws)
            except (websocket.WebSocketException, OSError) as error:
                arrived, exception = time.perf_counter(), error
            if exception is None:
                ok, reason = is_sensible(turn, texts)
                if not ok:
                    exception = RuntimeError(f"{reason}: {' | '.join(texts)[:150]}")
            events.request.fire(  # type: ignore[no-untyped-call]
                request_type="WS",
                name=name,
                response_time=(arrived - began) * 1000,
                response_length=sum(len(t) for t in texts),
                exception=exception,
                context={"start": start, "turn": number},
            )
            if exception is not None:
                return

    @task
    def converse(self) -> None:
        """A new web chat session per conversation (the widget's first visit)."""
        conversation = next(_next_conversation)
        identity = None
        if conversation.customer_id:
            secret = os.environ["BENCH_SHOP_SECRET"]
            identity = identity_token(conversation.customer_id, secret, ttl=3600)
        session = self.client.post(
            "/chat/api/session",
            json={"conversation_id": None, "token": None, "identity": identity},
            name="session",
        )
        if session.status_code != 200:
            self._think()  # not straight back: a refused shopper would spin and load the desk
            return
        body = session.json()
        ws_url = str(self.host).replace("http://", "ws://").rstrip("/") + "/chat/ws"
        ws = websocket.create_connection(ws_url, timeout=60)
        try:
            hello = {
                "type": "hello",
                "conversation_id": body["conversation_id"],
                "token": body["token"],
                "last_seq": 0,
            }
            ws.send(json.dumps(hello))
            while self._frame(ws).get("type") != "ready":
                pass
            self._converse(conversation, ws)
        finally:
            ws.close()


# ---------------------------------------------------------------- the scaled run's shopper


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


class ScaledShopper(HttpUser):
    """make test-scaled's shopper: scripted chats through the public door, audited."""

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
            _record_conversation({"script": script.name, "session_failed": True, "at": time.time()})
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
            _record_conversation(
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
        _record_conversation(
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
                # (sent at, seconds to the first reply) of every answered turn: latency figures
                "turn_seconds": [
                    (t.sent_wall, round(t.replied_at - t.sent_at, 3))
                    for t in chat.log.turns
                    if t.replied_at is not None
                ],
                "started": started,
                "finished": time.time(),
                **audited(chat.log),
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


def _record_conversation(item: dict[str, Any]) -> None:
    with _results_lock:
        _results.append(item)


def _write_results(environment: Environment, **_kwargs: Any) -> None:
    path = os.environ.get("SCALE_RESULTS")
    if path:
        with _results_lock:
            Path(path).write_text(json.dumps(_results + list(_in_flight.values())))


events.quitting.add_listener(_write_results)  # type: ignore[no-untyped-call]  # locust: untyped
