"""Rasa (5005) and the action server (5055) listen on loopback only and need their tokens.

Reads the kernel's table of listening sockets (/proc/net/tcp and tcp6) of the started stack.
The action server (rasa-sdk 3.6) has no authentication of its own: loopback, plus the shared
secret Rasa sends (actions/server_auth.py, docs/security.md).
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import httpx
import pytest

from tests.utils.stack import ACTIONS, RASA, Stack

pytestmark = pytest.mark.e2e
LISTEN = "0A"


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on ``port`` (IPv4 and IPv6)."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        path = Path(table)
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state = fields[1], fields[3]
            address_hex, port_hex = local.split(":")
            if state != LISTEN or int(port_hex, 16) != port:
                continue
            raw = bytes.fromhex(address_hex)
            # /proc prints each 32-bit word in host (little-endian) order.
            words = struct.unpack(f"<{len(raw) // 4}I", raw)
            packed = struct.pack(f">{len(words)}I", *words)
            found.add(socket.inet_ntop(family, packed))
    return found


@pytest.mark.parametrize("port", [5005, 5055])
def test_rasa_and_the_action_server_listen_on_loopback_only(stack: Stack, port: int) -> None:
    addresses = listening_addresses(port)
    assert addresses, f"nothing listens on {port}"
    assert addresses <= {"127.0.0.1", "::1"}, addresses


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/status"),
        ("GET", "/conversations/someone/tracker"),
        ("POST", "/conversations/someone/tracker/events"),
        ("POST", "/conversations/someone/trigger_intent"),
        ("PUT", "/model"),
    ],
)
def test_rasas_api_refuses_calls_without_the_right_token(
    stack: Stack, method: str, path: str
) -> None:
    for params in ({}, {"token": "wrong-token"}):
        resp = httpx.request(method, f"{RASA}{path}", params=params, json={}, timeout=10)
        assert resp.status_code in (401, 403), (path, params, resp.status_code, resp.text[:200])
    ok = httpx.get(f"{RASA}/status", params={"token": stack.env["RASA_TOKEN"]}, timeout=10)
    assert ok.status_code == 200


def test_the_action_server_runs_actions_only_for_rasas_shared_secret(stack: Stack) -> None:
    call = {"next_action": "action_session_start", "sender_id": "x", "tracker": {}}
    for headers in ({}, {"X-Tierline-Action-Token": "wrong-token"}):
        resp = httpx.post(f"{ACTIONS}/webhook", json=call, headers=headers, timeout=10)
        assert resp.status_code == 401, (headers, resp.text[:200])
        assert httpx.get(f"{ACTIONS}/actions", headers=headers, timeout=10).status_code == 401
    assert httpx.get(f"{ACTIONS}/health", timeout=10).status_code == 200
    listed = httpx.get(
        f"{ACTIONS}/actions",
        headers={"X-Tierline-Action-Token": stack.env["ACTION_SERVER_TOKEN"]},
        timeout=10,
    )
    assert listed.status_code == 200 and listed.json()
