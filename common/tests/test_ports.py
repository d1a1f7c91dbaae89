"""Port helpers against a real listening socket on the loopback."""

from __future__ import annotations

import socket
import threading

from tierline_common.ports import free_port, port_open, wait_for_port


def test_a_free_port_is_closed_until_something_listens() -> None:
    port = free_port()
    assert not port_open(port)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert port_open(port)
        assert wait_for_port(port, timeout=1)


def test_waiting_sees_a_late_listener_and_gives_up_on_none() -> None:
    port = free_port()
    assert not wait_for_port(port, timeout=0.2)
    listener = socket.socket()
    listener.bind(("127.0.0.1", port))
    timer = threading.Timer(0.2, listener.listen)
    timer.start()
    try:
        assert wait_for_port(port, timeout=5)
    finally:
        timer.join()
        listener.close()
