"""The audit compares what the shopper saw with the desk's whole history: a desk slow to answer
the history's hello must not pass for an empty history (every turn would count as lost)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from tierline_harness.shopper import ShopperChat

LINES = [
    {"type": "message", "seq": 1, "sender": "shopper", "text": "hi", "client_id": "c1"},
    {"type": "message", "seq": 2, "sender": "bot", "text": "Hi there!", "buttons": []},
]


def _slow_desk(connection: ServerConnection) -> None:
    json.loads(connection.recv())  # hello
    time.sleep(2.5)  # busy: longer than the quiet window that ends the history
    connection.send(json.dumps({"type": "ready", "mode": "bot"}))
    for line in LINES:
        connection.send(json.dumps(line))
    try:
        connection.recv(timeout=5)
    except Exception:
        return


@pytest.fixture
def slow_desk() -> Iterator[Server]:
    server = serve(_slow_desk, "127.0.0.1", 0, close_timeout=0.5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_a_slow_desk_still_gives_the_whole_history(slow_desk: Server) -> None:
    port = slow_desk.socket.getsockname()[1]
    chat = ShopperChat(f"ws://127.0.0.1:{port}", "web-x", "token", "test")
    chat.fetch_history(attempts=1)
    assert [line["seq"] for line in chat.log.replay] == [1, 2]
