"""Locust shoppers for the benchmark (run headless by bench/run.py).

- RestShopper: the scripted conversations over Rasa's REST channel, a new sender id each time.
- LongShopper: one signed-in conversation of LONG_TURNS turns over the REST channel.
- WebChatShopper: the same conversations through the desk's public web chat (session + websocket).

Every turn is recorded (name, start, milliseconds, sensible or not) and written as JSON lines to
$BENCH_SAMPLES when Locust quits; bench/run.py computes the figures from those samples.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import websocket
from locust import FastHttpUser, HttpUser, constant, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conversations import (
    CONVERSATIONS,
    LONG_CUSTOMER_ID,
    LONG_LOOP,
    LONG_TURNS,
    Conversation,
    Turn,
    is_sensible,
)

SAMPLES: list[dict[str, Any]] = []
_next_conversation = itertools.cycle(CONVERSATIONS)
_long_finished = 0


def signed_metadata(customer_id: str) -> dict[str, str]:
    """What the desk passes to Rasa for a signed-in shopper.

    rasa_extensions/channels/signed_rest.py checks it.
    """
    secret = os.environ["BENCH_IDENTITY_SECRET"].encode()
    signature = hmac.new(secret, customer_id.encode(), hashlib.sha256).hexdigest()
    return {"customer_id": customer_id, "customer_signature": signature}


def shop_identity(customer_id: str) -> str:
    """A retailer's identity token for the widget (docs/web-chat.md)."""
    body = f"v1.{customer_id}.{int(time.time()) + 3600}"
    secret = os.environ["BENCH_SHOP_SECRET"].encode()
    return body + "." + hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()


@events.request.add_listener
def _record(
    name: str,
    response_time: float,
    exception: BaseException | None,
    context: dict[str, Any],
    **_: Any,
) -> None:
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


@events.quitting.add_listener
def _write_samples(**_: Any) -> None:
    path = os.environ.get("BENCH_SAMPLES")
    if path:
        with open(path, "w") as sink:
            for sample in SAMPLES:
                sink.write(json.dumps(sample) + "\n")


def _texts(body: Any) -> list[str]:
    if not isinstance(body, list):
        return []
    return [str(m.get("text", "")) for m in body if isinstance(m, dict)]


class RestClientMixin:
    """Sends one turn to Rasa's REST channel and checks the answer."""

    client: Any

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


class RestShopper(RestClientMixin, FastHttpUser):
    """Scripted conversations over Rasa's REST channel, back to back."""

    wait_time = constant(0)
    network_timeout = 120.0
    connection_timeout = 30.0

    @task
    def converse(self) -> None:
        """One whole conversation, with a sender id no one used before."""
        conversation = next(_next_conversation)
        sender = f"bench-{uuid.uuid4().hex}"
        for number, turn in enumerate(conversation.turns, start=1):
            name = f"{conversation.name} {number}"
            if not self.say(sender, turn, number, name, conversation.customer_id):
                return


class LongShopper(RestClientMixin, FastHttpUser):
    """One conversation of LONG_TURNS turns; Locust stops once every long shopper is done."""

    wait_time = constant(0)
    network_timeout = 120.0
    connection_timeout = 30.0

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
        identity = shop_identity(conversation.customer_id) if conversation.customer_id else None
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
