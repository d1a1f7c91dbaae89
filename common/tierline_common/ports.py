"""Loopback TCP ports: a free one to start a server on, and whether (or when) one listens."""

from __future__ import annotations

import socket
import time

LOOPBACK = "127.0.0.1"


def free_port(host: str = LOOPBACK) -> int:
    """A port nothing listens on now (the kernel's choice; free until someone binds it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket() as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(
    port: int, host: str = LOOPBACK, timeout: float = 10.0, interval: float = 0.05
) -> bool:
    """Wait up to ``timeout`` seconds for ``host:port`` to accept connections; whether it did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port, host):
            return True
        time.sleep(interval)
    return False
