"""A shopper who thinks longer than the server's ping interval still gets control back."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
from websockets.sync.server import Server, ServerConnection, serve

from tierline_harness import shopper
from tierline_harness.shopper import ShopperChat


def _chat_server(connection: ServerConnection) -> None:
    hello = json.loads(connection.recv())
    assert hello["type"] == "hello"
    connection.send(json.dumps({"type": "ready", "mode": "bot"}))
    try:
        connection.recv()  # nothing more comes; the server only pings
    except Exception:
        return


@pytest.fixture
def pinging_server() -> Iterator[Server]:
    server = serve(_chat_server, "127.0.0.1", 0, ping_interval=0.3, ping_timeout=5)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_idle_returns_on_time_while_the_server_keeps_pinging(
    pinging_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real slice (5 s) sits under uvicorn's 20 s ping interval; here under 0.3 s.
    monkeypatch.setattr(shopper, "RECV_SLICE_SECONDS", 0.2)
    port = pinging_server.socket.getsockname()[1]
    chat = ShopperChat(f"ws://127.0.0.1:{port}", "web-x", "token", "test")
    chat.connect()
    started = time.monotonic()
    thinking = threading.Thread(target=chat.idle, args=(1.5,), daemon=True)
    thinking.start()
    thinking.join(timeout=10)  # before the fix: never, as every ping restarted the wait
    took = time.monotonic() - started
    assert not thinking.is_alive(), "idle() did not return while the server kept pinging"
    chat.close()
    assert 1.4 <= took < 2.5
    assert chat.log.reconnects == 0  # the pings were answered: the server kept the socket


def test_with_backoff_retries_then_gives_the_last_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "sleep", lambda _s: None)
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OSError(f"refused {len(calls)}")
        return "open"

    assert shopper.with_backoff(flaky, 5, (OSError,), first=0.1, cap=1.0) == "open"
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(OSError, match="refused 2"):
        shopper.with_backoff(flaky, 2, (OSError,), first=0.1, cap=1.0)
