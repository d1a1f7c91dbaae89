"""The shift's associate does what the console's error tells a person: try the hand-back again,
then resolve; a press the harness stopped waiting for that went through counts as done."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tierline_harness import scaled
from tierline_harness.scaled import Agent

NUMBER = "T-000146"
Script = dict[str, list[int]]


class Console:
    """A stand-in console: answers each POST path with the next status of its script (200 once
    the script runs out), and records what was pressed."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.pressed: list[str] = []

    def answer(self, path: str) -> tuple[int, dict[str, object]]:
        self.pressed.append(path.rsplit("/", 1)[-1])
        statuses = self.script.get(path.rsplit("/", 1)[-1], [])
        status = statuses.pop(0) if statuses else 200
        if status == 409:
            return status, {"detail": {"code": "not_claimed", "message": "", "status": "resolved"}}
        return status, {"detail": {"code": "rasa_unavailable", "message": "try again"}}


ServeOne = Callable[[Script], tuple[Console, Agent]]


@pytest.fixture
def serve() -> Iterator[Callable[[Console], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(console: Console) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, body = console.answer(self.path)
                payload = json.dumps(body).encode()
                self.send_response(201 if self.path.endswith("/messages") else status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def serve_one(serve: Callable[[Console], str]) -> ServeOne:
    """Sam, the shift's associate, serves ticket NUMBER once on a console answering ``script``."""

    def run(script: Script) -> tuple[Console, Agent]:
        console = Console(script)
        agent = Agent(serve(console), "sam", "pw")
        agent._serve(NUMBER)
        return console, agent

    return run


@pytest.fixture(autouse=True)
def quick_presses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scaled, "A_MOMENT_SECONDS", 0.0)
    monkeypatch.setattr(scaled, "PRESS_AGAIN_SECONDS", 0.0)


def test_a_hand_back_that_fails_twice_is_pressed_again_and_counts(serve_one: ServeOne) -> None:
    console, agent = serve_one({"handback": [502, 502]})
    assert console.pressed == ["messages", "handback", "handback", "handback"]
    assert (agent.handed_back, agent.resolved, agent.stuck) == (1, 0, [])
    assert agent.failures == [f"handback of {NUMBER} (try {n}): 502" for n in (1, 2)]


def test_a_hand_back_that_keeps_failing_is_resolved_instead(serve_one: ServeOne) -> None:
    console, agent = serve_one({"handback": [502, 502, 502]})
    assert console.pressed[-1] == "resolve"
    assert (agent.handed_back, agent.resolved, agent.stuck) == (0, 1, [])


def test_a_ticket_already_resolved_by_an_earlier_press_is_done(serve_one: ServeOne) -> None:
    console, agent = serve_one({"handback": [503, 409]})
    assert console.pressed == ["messages", "handback", "handback"]
    assert agent.handed_back == 1


def test_neither_working_leaves_the_ticket_stuck(serve_one: ServeOne) -> None:
    _, agent = serve_one({"handback": [502] * 3, "resolve": [503] * 3})
    assert agent.stuck == [NUMBER]
    assert len(agent.failures) == 6
