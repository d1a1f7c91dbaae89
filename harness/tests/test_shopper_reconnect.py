"""A message resent after a reconnect is answered even when the desk replays the stored answer
before it acknowledges the resend (the order a desk restart produces)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from tierline_harness.shopper import ShopperChat, audit

ANSWER = {"type": "message", "seq": 2, "sender": "bot", "text": "It's on its way.", "buttons": []}


class RestartingDesk:
    """First socket: takes the message, closes without an ack (the desk went down after
    storing it). Second socket: replays the stored lines, then acks the resend."""

    def __init__(self) -> None:
        self.sockets = 0
        self.client_id = ""

    def __call__(self, connection: ServerConnection) -> None:
        self.sockets += 1
        hello = json.loads(connection.recv())
        connection.send(json.dumps({"type": "ready", "mode": "bot"}))
        if self.sockets == 1:
            self.client_id = json.loads(connection.recv())["client_id"]
            connection.close()
            return
        assert hello["last_seq"] == 0
        shopper_line = {
            "type": "message",
            "seq": 1,
            "sender": "shopper",
            "text": "where is my order?",
            "client_id": self.client_id,
        }
        for frame in (shopper_line, ANSWER):
            connection.send(json.dumps(frame))
        resent = json.loads(connection.recv())
        connection.send(json.dumps({"type": "ack", "client_id": resent["client_id"], "seq": 1}))
        try:
            connection.recv(timeout=2)
        except Exception:
            return


@pytest.fixture
def desk() -> Iterator[tuple[Server, RestartingDesk]]:
    handler = RestartingDesk()
    server = serve(handler, "127.0.0.1", 0, close_timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, handler
    server.shutdown()


def test_answer_replayed_before_the_ack_counts_as_the_reply(
    desk: tuple[Server, RestartingDesk],
) -> None:
    server, handler = desk
    chat = ShopperChat(f"ws://127.0.0.1:{server.socket.getsockname()[1]}", "web-x", "t", "test")
    chat.connect()
    turn = chat.say("where is my order?", reply_timeout=5)
    chat.close()
    assert handler.sockets == 2
    assert turn.seq == 1
    assert turn.replied_at is not None
    assert [r["text"] for r in turn.replies] == [ANSWER["text"]]
    chat.log.replay = [f for f in chat.log.live if f.get("type") == "message"]
    found = audit(chat.log)
    assert (found.unanswered, found.lost, found.duplicated) == (0, 0, 0)
