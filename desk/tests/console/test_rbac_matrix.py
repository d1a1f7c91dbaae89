"""RBAC matrix: EVERY /console/api route (enumerated from the app) x every role.

Each cell is an explicit expected outcome: ``OK`` (any 2xx), or the refusal status (401 not
logged in, 403 role/ownership/authority/CSRF, 404 missing data, 409 "passes the check, stopped
by the data"). A new console endpoint without a row fails ``test_every_console_route_has_a_row``.

A *leak* is a 2xx where the table says refused; leaks must be 0, and every other mismatch fails
too. On failure the whole matrix is printed (expected/got per cell). When ``RBAC_REPORT`` names a
file, the matrix's counts are written there as JSON first (``make test-scaled`` reads them).

The console's websocket (``/console/ws``) has its own table, ``WS_EXPECTED``: connecting, then
watching a ticket and an email case, per role; and its refusals (no session, another site's
Origin, a wrong CSRF token, an inactive agent).

Also: each role's authority limits at and just above the limit (desk/authority.toml), a missing
CSRF token on every POST for every role, others' data (tickets, cases), and a shopper's
conversation token never opening another conversation (session resume and websocket hello).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.routing import APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect

from tests.utils.assignment import breach
from tests.utils.attachments import photo, upload
from tests.utils.console import PASSWORDS, AgentClient, World, login, put_online
from tests.utils.console_live import frames_until, live_console
from tests.utils.csat import closed_case_link, resolved_chat
from tests.utils.email_cases import SHOPPER, jpeg_bytes
from tests.utils.web_chat import FakeRasa, app, chat_socket, hello, rasa, start, web
from tierline_desk.mail import inbound_attachments
from tierline_desk.models import Agent, Case, CaseMessage, CsatResponse
from tierline_desk.services import case_followup
from tierline_desk.services.authority import get_policy

__all__ = ["app", "login", "rasa", "web"]

ROLES = ("anonymous", "associate", "supervisor", "specialist", "admin")
USERS = {
    "associate": "alex",
    "supervisor": "sam.lead",
    "specialist": "jordan.ecr",
    "admin": "admin",
}
OK = "ok"
Expected = str | int
P = "/console/api"

# ------------------------------------------------------------------ the table
# Ticket routes act on a tier-1 ticket claimed by the role when it can claim (associate,
# supervisor), else claimed by alex; case routes on a case of the role's team (the specialists'
# team for roles that have none); callbacks on a due callback.
_WORKERS = {"associate": OK, "supervisor": OK, "specialist": 403, "admin": 403}
_READERS = {"associate": OK, "supervisor": OK, "specialist": OK, "admin": 403}
_EVERYONE = {"associate": OK, "supervisor": OK, "specialist": OK, "admin": OK}
_ALL_BUT_ASSOCIATES = {"associate": 403, "supervisor": OK, "specialist": OK, "admin": OK}
# Supervisors and specialists: approving more authority on a ticket.
_APPROVERS = {"associate": 403, "supervisor": OK, "specialist": OK, "admin": 403}
# Supervisors and admins: the floor (assignment, SLAs), macros, analytics, quarantined mail.
_LEADS = {"associate": 403, "supervisor": OK, "specialist": 403, "admin": OK}
_SUPERVISORS = {"associate": 403, "supervisor": OK, "specialist": 403, "admin": 403}
_ADMINS = {"associate": 403, "supervisor": 403, "specialist": 403, "admin": OK}
MACRO = {"title": "RBAC", "body": "Hi {customer_first_name}", "roles": ["associate"]}

EXPECTED: dict[str, dict[str, Expected]] = {
    f"POST {P}/login": {"anonymous": 401, **_EVERYONE},  # anonymous: a wrong password
    f"GET {P}/me": {"anonymous": 401, **_EVERYONE},
    f"POST {P}/logout": {"anonymous": 401, **_EVERYONE},
    f"GET {P}/authority": {"anonymous": 401, **_EVERYONE},
    f"POST {P}/heartbeat": {"anonymous": 401, **_EVERYONE},
    f"GET {P}/queues": {"anonymous": 401, **_READERS},
    f"GET {P}/tickets/{{ticket_number}}": {"anonymous": 401, **_READERS},
    f"GET {P}/tickets/{{ticket_number}}/messages": {"anonymous": 401, **_READERS},
    f"GET {P}/tickets/{{ticket_number}}/attachments": {"anonymous": 401, **_READERS},
    f"POST {P}/tickets/{{ticket_number}}/messages": {"anonymous": 401, **_WORKERS},
    f"POST {P}/tickets/{{ticket_number}}/typing": {"anonymous": 401, **_WORKERS},
    f"POST {P}/tickets/{{ticket_number}}/handback": {"anonymous": 401, **_WORKERS},
    f"POST {P}/tickets/{{ticket_number}}/claim": {"anonymous": 401, **_WORKERS},
    f"POST {P}/tickets/{{ticket_number}}/refund": {"anonymous": 401, **_WORKERS},
    f"POST {P}/tickets/{{ticket_number}}/certificate": {"anonymous": 401, **_WORKERS},
    f"POST {P}/tickets/{{ticket_number}}/reship": {"anonymous": 401, **_WORKERS},
    f"GET {P}/tickets/{{ticket_number}}/budget": {"anonymous": 401, **_READERS},
    f"POST {P}/tickets/{{ticket_number}}/approve": {"anonymous": 401, **_APPROVERS},
    f"POST {P}/tickets/{{ticket_number}}/escalate": {"anonymous": 401, **_WORKERS},
    f"POST {P}/tickets/{{ticket_number}}/refer": {"anonymous": 401, **_WORKERS},
    f"POST {P}/tickets/{{ticket_number}}/resolve": {"anonymous": 401, **_WORKERS},
    f"GET {P}/callbacks": {"anonymous": 401, **_WORKERS},
    f"POST {P}/callbacks/{{callback_id}}/outcome": {"anonymous": 401, **_WORKERS},
    f"GET {P}/cases": {"anonymous": 401, **_READERS},
    f"GET {P}/cases/{{case_number}}": {"anonymous": 401, **_READERS},
    f"POST {P}/cases/{{case_number}}/reply": {"anonymous": 401, **_READERS},
    f"POST {P}/cases/{{case_number}}/messages/{{message_pk}}/resend": {
        "anonymous": 401,
        **_READERS,
    },
    f"POST {P}/cases/{{case_number}}/close": {"anonymous": 401, **_READERS},
    f"GET {P}/cases/{{case_number}}/attachments/{{attachment_id}}": {
        "anonymous": 401,
        **_READERS,
    },
    # Inbound mail kept out of every case.
    f"GET {P}/mail/quarantine": {"anonymous": 401, **_LEADS},
    f"GET {P}/outbox": {"anonymous": 401, **_ALL_BUT_ASSOCIATES},
    # No mail was sent in these tests: the roles allowed to read get 404 for the id.
    f"GET {P}/outbox/{{message_id:path}}": {
        "anonymous": 401,
        "associate": 403,
        "supervisor": 404,
        "specialist": 404,
        "admin": 404,
    },
    f"GET {P}/analytics": {"anonymous": 401, **_LEADS},
    f"GET {P}/analytics/export.csv": {"anonymous": 401, **_LEADS},
    # Macros: everyone lists (their role's); admins and supervisors keep them; the agents who
    # write use them filled from a ticket or case they can see.
    f"GET {P}/macros": {"anonymous": 401, **_EVERYONE},
    f"POST {P}/macros": {"anonymous": 401, **_LEADS},
    f"POST {P}/macros/{{macro_id}}": {"anonymous": 401, **_LEADS},
    f"POST {P}/macros/{{macro_id}}/delete": {"anonymous": 401, **_LEADS},
    f"GET {P}/tickets/{{ticket_number}}/macros": {"anonymous": 401, **_READERS},
    f"GET {P}/cases/{{case_number}}/macros": {"anonymous": 401, **_READERS},
    # Internal notes: whoever sees the ticket or case reads and writes them.
    f"GET {P}/tickets/{{ticket_number}}/notes": {"anonymous": 401, **_READERS},
    f"POST {P}/tickets/{{ticket_number}}/notes": {"anonymous": 401, **_READERS},
    f"GET {P}/cases/{{case_number}}/notes": {"anonymous": 401, **_READERS},
    f"POST {P}/cases/{{case_number}}/notes": {"anonymous": 401, **_READERS},
    # Each agent's own @mention notifications.
    f"GET {P}/notifications": {"anonymous": 401, **_EVERYONE},
    f"POST {P}/notifications/read": {"anonymous": 401, **_EVERYONE},
    # Assignment and SLAs: supervisors run the floor, admins see it and set capacity.
    f"GET {P}/assignment": {"anonymous": 401, **_LEADS},
    f"POST {P}/assignment/tiers/{{tier}}": {"anonymous": 401, **_LEADS},
    f"POST {P}/assignment/agents/{{username}}/capacity": {"anonymous": 401, **_ADMINS},
    f"POST {P}/tickets/{{ticket_number}}/assign": {"anonymous": 401, **_SUPERVISORS},
    f"GET {P}/sla/breaches": {"anonymous": 401, **_SUPERVISORS},
    f"POST {P}/sla/breaches/{{breach_id}}/acknowledge": {"anonymous": 401, **_SUPERVISORS},
    f"GET {P}/analytics/sla": {"anonymous": 401, **_LEADS},
}


# The websocket: connecting (the close code when refused), then watching a tier-1 ticket claimed
# by alex and a case of the role's team (the error frame's code when refused).
WS = "/console/ws"
WS_EXPECTED: dict[str, dict[str, Expected]] = {
    f"WS {WS}": {"anonymous": 4401, **_EVERYONE},
    f"WS {WS} watch ticket": {"anonymous": 4401, **_READERS},
    f"WS {WS} watch case": {"anonymous": 4401, **_READERS},
}


def console_websockets(app: FastAPI) -> list[str]:
    """The websocket routes of the agents' door, straight from the app."""
    return sorted(
        f"WS {r.path}"
        for r in iter_route_contexts(app.routes)
        if isinstance(r.route, APIWebSocketRoute) and (r.path or "").startswith("/console")
    )


def console_routes(app: FastAPI) -> list[str]:
    """``METHOD path`` of every route under /console/api, straight from the app."""
    keys = []
    for route in iter_route_contexts(app.routes):
        path = route.path or ""
        if path.startswith(f"{P}/") or path == P:
            keys += [f"{m} {path}" for m in sorted(route.methods or ()) if m != "HEAD"]
    return sorted(keys)


# ------------------------------------------------------------------ the world each call needs


@dataclass
class Call:
    method: str
    url: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def _claimer(role: str) -> str:
    return USERS[role] if role in ("associate", "supervisor") else "alex"


def _team(role: str) -> str:
    return "associates" if role == "associate" else case_followup.SPECIALIST_TEAM


def build_call(route: str, role: str, world: World) -> Call:
    """The request that exercises ``route`` as ``role`` (fresh data for every call)."""
    method, path = route.split(" ", 1)
    key = {"Idempotency-Key": f"rbac-{next(world.keys)}"}
    if route == f"POST {P}/login":
        user = USERS.get(role, "alex")
        password = PASSWORDS[user] if role != "anonymous" else "wrong-password"
        return Call(method, path, {"username": user, "password": password})
    if "{ticket_number}" in path:
        claimer = None if path.endswith("/claim") else _claimer(role)
        if path.endswith("/assign"):
            put_online(world.session, "alex")  # the agent the supervisor names
        url = path.replace("{ticket_number}", world.ticket(claimer))
        bodies: dict[str, Any] = {
            "messages": {"text": "Hello from the desk"},
            "handback": {"outcome": "Refunded"},
            "refund": {"amount": "10.00", "reason": "rbac"},
            "certificate": {"amount": "5.00", "reason": "rbac"},
            "reship": {"items": [{"sku": world.sku(), "quantity": 1}], "reason": "rbac"},
            "approve": {"amount": "10.00", "note": "rbac"},
            "escalate": {"note": "rbac"},
            "refer": {"note": "rbac"},
            "resolve": {"outcome": "rbac"},
            "notes": {"body": "rbac note for @sam.lead"},
            "assign": {"agent": "alex"},
        }
        body = bodies.get(url.rsplit("/", 1)[-1]) if method == "POST" else None
        return Call(method, url, body, key)
    if "{callback_id}" in path:
        url = path.replace("{callback_id}", world.callback())
        return Call(method, url, {"status": "called", "note": "rbac"})
    if "{case_number}" in path:
        case = world.case(_team(role))
        url = path.replace("{case_number}", case.case_number)
        if "{message_pk}" in url:
            row, _ = case_followup.reply(
                world.session, world.agent("sam.lead"), case, "Earlier reply", False
            )
            world.session.commit()
            url = url.replace("{message_pk}", str(row.id))
        if "{attachment_id}" in url:
            url = url.replace("{attachment_id}", str(_photo_on(world.session, case)))
        bodies = {
            "reply": {"body": "Hello", "close": False},
            "close": {"note": "rbac"},
            "notes": {"body": "rbac note"},
        }
        return Call(method, url, bodies.get(url.rsplit("/", 1)[-1]))
    if path.startswith(f"{P}/macros"):
        url = path.replace("{macro_id}", str(world.macro()))
        return Call(method, url, MACRO if method == "POST" and "/delete" not in url else None)
    if "{tier}" in path:
        return Call(method, path.replace("{tier}", "1"), {"auto_assign": True})
    if "{username}" in path:
        return Call(method, path.replace("{username}", "alex"), {"capacity": 4})
    if "{breach_id}" in path:
        return Call(method, path.replace("{breach_id}", str(breach(world.session))))
    if "{message_id:path}" in path:
        return Call(method, path.replace("{message_id:path}", "no-such-message@tierline"))
    return Call(method, path, {} if method == "POST" else None)


def _photo_on(session: Session, case: Case) -> int:
    """A shopper's emailed photo on ``case``: the attachment's id."""
    row = CaseMessage(
        case_number=case.case_number,
        direction="inbound",
        author=SHOPPER["email"],
        from_email=SHOPPER["email"],
        to_email="cases@tierline.example",
        subject="Re: your case",
        body="Photo attached",
        sent=True,
    )
    session.add(row)
    session.flush()
    owner = case_followup.message_owner(row.id)
    found = inbound_attachments.store_attachment(session, owner, "box.jpg", jpeg_bytes())
    session.commit()
    return found


# ------------------------------------------------------------------ running and judging


@dataclass
class Cell:
    route: str
    role: str
    expected: Expected
    got: int
    code: str

    @property
    def leak(self) -> bool:
        return self.expected != OK and 200 <= self.got < 300

    @property
    def ok(self) -> bool:
        if self.expected == OK:
            return 200 <= self.got < 300
        return self.got == self.expected


def send(client: TestClient, call: Call) -> tuple[int, str]:
    resp = client.request(call.method, call.url, json=call.body, headers=call.headers)
    assert resp.status_code < 500, (call, resp.text)
    code = ""
    if resp.status_code >= 400:
        detail = resp.json()["detail"]
        assert detail["message"], resp.text  # every refusal explains itself
        code = str(detail["code"])
    return resp.status_code, code


REPORT_ENV = "RBAC_REPORT"


def write_report(cells: list[Cell], database: str) -> Path | None:
    """When ``RBAC_REPORT`` names a file, write the matrix's counts there as JSON:
    ``{"database", "cells", "leaks", "wrong", "leak_cells": [{"route", "role", ...}]}``."""
    target = os.environ.get(REPORT_ENV)
    if not target:
        return None
    leaks = [c for c in cells if c.leak]
    report = {
        "database": database,
        "cells": len(cells),
        "leaks": len(leaks),
        "wrong": sum(1 for c in cells if not c.ok),
        "leak_cells": [
            {"route": c.route, "role": c.role, "expected": c.expected, "got": c.got} for c in leaks
        ],
    }
    path = Path(target)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return path


def render(cells: list[Cell]) -> str:
    by_route: dict[str, dict[str, Cell]] = {}
    for c in cells:
        by_route.setdefault(c.route, {})[c.role] = c
    width = max(len(r) for r in by_route)
    lines = [f"{'route':<{width}} | " + " | ".join(f"{r:<16}" for r in ROLES)]
    for route, row in sorted(by_route.items()):
        parts = []
        for role in ROLES:
            c = row.get(role)
            text = "" if c is None else f"{c.expected}/{c.got}{'' if c.ok else ' !'}"
            text += " LEAK" if c is not None and c.leak else ""
            parts.append(f"{text:<16}")
        lines.append(f"{route:<{width}} | " + " | ".join(parts))
    return "\n".join(lines)


@pytest.fixture
def clients(app: FastAPI, login: Callable[[str], AgentClient]) -> Iterator[dict[str, Any]]:
    anon = TestClient(app)
    agents = {role: login(user) for role, user in USERS.items()}
    yield {"anonymous": anon, **agents}
    anon.close()


def _run(
    role: str, call: Call, clients: dict[str, Any], login: Callable[[str], AgentClient]
) -> tuple[int, str]:
    if role == "anonymous":
        return send(clients["anonymous"], call)
    agent: AgentClient = clients[role]
    if call.url.endswith("/logout"):
        agent = login(USERS[role])  # a session of its own, so the others stay logged in
    if call.url.endswith("/login"):
        agent = AgentClient(TestClient(agent.http.app), agent.csrf)
    headers = {**call.headers}
    if call.method == "POST":
        headers["X-CSRF-Token"] = agent.csrf
    return send(agent.http, Call(call.method, call.url, call.body, headers))


def test_every_console_route_has_a_row(app: FastAPI) -> None:
    routes = console_routes(app)
    assert len(routes) >= 28
    assert set(routes) == set(EXPECTED), (
        f"missing rows: {sorted(set(routes) - set(EXPECTED))}; "
        f"stale rows: {sorted(set(EXPECTED) - set(routes))}"
    )
    assert all(set(row) == set(ROLES) for row in EXPECTED.values())


def test_the_rbac_matrix_has_no_leak(
    app: FastAPI,
    session: Session,
    rasa: FakeRasa,
    clients: dict[str, Any],
    login: Callable[[str], AgentClient],
) -> None:
    world = World(session)
    cells = []
    for route in console_routes(app):
        for role in ROLES:
            got, code = _run(role, build_call(route, role, world), clients, login)
            cells.append(Cell(route, role, EXPECTED[route][role], got, code))
    write_report(cells, session.get_bind().dialect.name)
    leaks = [c for c in cells if c.leak]
    wrong = [c for c in cells if not c.ok]
    assert len(cells) == len(EXPECTED) * len(ROLES)
    assert not leaks and not wrong, f"leaks={len(leaks)}\n{render(cells)}"


def test_the_report_counts_cells_leaks_and_wrong_answers(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cells = [
        Cell(f"GET {P}/me", "admin", OK, 200, ""),  # right
        Cell(f"GET {P}/analytics", "associate", 403, 200, ""),  # a leak (also wrong)
        Cell(f"GET {P}/queues", "admin", 403, 404, "not_found"),  # wrong, refused all the same
        Cell(f"GET {P}/me", "anonymous", 401, 401, "unauthorized"),  # right
    ]
    monkeypatch.delenv(REPORT_ENV, raising=False)
    assert write_report(cells, "sqlite") is None  # not asked: nothing written
    assert list(tmp_path.iterdir()) == []

    target = tmp_path / "rbac.json"
    monkeypatch.setenv(REPORT_ENV, str(target))
    assert write_report(cells, "postgresql") == target
    assert json.loads(target.read_text(encoding="utf-8")) == {
        "database": "postgresql",
        "cells": 4,
        "leaks": 1,
        "wrong": 2,
        "leak_cells": [
            {"route": f"GET {P}/analytics", "role": "associate", "expected": 403, "got": 200}
        ],
    }


def test_every_post_without_csrf_is_refused_for_every_role(
    app: FastAPI, session: Session, rasa: FakeRasa, clients: dict[str, Any]
) -> None:
    world = World(session)
    cells = []
    for route in console_routes(app):
        if not route.startswith("POST ") or route == f"POST {P}/login":
            continue
        for role in ROLES:
            call = build_call(route, role, world)
            client = clients[role] if role == "anonymous" else clients[role].http
            got, code = send(client, call)  # no X-CSRF-Token header
            expected = 401 if role == "anonymous" else 403
            cells.append(Cell(route, role, expected, got, code))
            if role != "anonymous":
                assert code == "csrf_failed", (route, role, code)
    assert cells and all(c.ok for c in cells), render(cells)


# ------------------------------------------------------------------ the live console's websocket


def _ws_cell(route: str, role: str, world: World, clients: dict[str, Any]) -> Expected:
    """What ``role`` gets on ``route``: OK, a close code (connecting) or 403 (watching)."""
    if role == "anonymous":
        with clients["anonymous"].websocket_connect(WS) as ws:
            assert ws.receive_json()["code"] == "not_logged_in"
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            return int(closed.value.code)
    agent: AgentClient = clients[role]
    with live_console(agent) as ws:
        if route.endswith("watch ticket"):
            ws.send_json({"type": "watch", "ticket": world.ticket("alex")})
        elif route.endswith("watch case"):
            ws.send_json({"type": "watch", "case": world.case(_team(role)).case_number})
        else:
            return OK
        answer = frames_until(ws, lambda f: f["type"] in ("watching", "error"))[-1]
        if answer["type"] == "watching":
            return OK
        assert answer["message"], answer  # every refusal explains itself
        return 403 if answer["code"] == "forbidden_role" else str(answer["code"])


def test_every_console_websocket_has_a_row(app: FastAPI) -> None:
    routes = {row.split(" watch ")[0] for row in WS_EXPECTED}
    assert set(console_websockets(app)) == routes
    assert all(set(row) == set(ROLES) for row in WS_EXPECTED.values())


def test_the_console_websocket_for_every_role(
    app: FastAPI, session: Session, clients: dict[str, Any]
) -> None:
    world = World(session)
    got = {
        route: {role: _ws_cell(route, role, world, clients) for role in ROLES}
        for route in WS_EXPECTED
    }
    assert got == WS_EXPECTED


def test_the_console_websocket_refuses_without_a_proper_session(
    session: Session, clients: dict[str, Any], login: Callable[[str], AgentClient]
) -> None:
    alex: AgentClient = clients["associate"]
    refusals = {}
    evil = {"origin": "https://evil.example"}
    with (
        pytest.raises(WebSocketDisconnect) as origin,
        alex.http.websocket_connect(WS, headers=evil),
    ):
        pass
    refusals["another site's Origin"] = origin.value.code
    with alex.http.websocket_connect(WS) as ws:
        ws.send_json({"type": "hello", "csrf_token": "forged"})
        assert ws.receive_json()["code"] == "csrf_failed"
        with pytest.raises(WebSocketDisconnect) as csrf:
            ws.receive_json()
        refusals["a wrong CSRF token"] = csrf.value.code
    inactive = login("jordan.ecr")
    agent = session.scalar(select(Agent).where(Agent.username == "jordan.ecr"))
    assert agent is not None
    agent.active = False
    session.commit()
    with inactive.http.websocket_connect(WS) as ws:
        assert ws.receive_json()["code"] == "not_logged_in"
        with pytest.raises(WebSocketDisconnect) as gone:
            ws.receive_json()
        refusals["an inactive agent"] = gone.value.code
    assert refusals == {
        "another site's Origin": 1008,
        "a wrong CSRF token": 4403,
        "an inactive agent": 4401,
    }


# ------------------------------------------------------------------ authority limits


def _limit(role: str, action: str) -> str:
    limit = get_policy().for_role(role).limit("refund" if action == "refund" else "certificate")
    assert limit.maximum is not None
    return f"{limit.maximum:.2f}"


def _above(amount: str) -> str:
    whole, cents = amount.split(".")
    return f"{int(whole) + (int(cents) + 1) // 100}.{(int(cents) + 1) % 100:02d}"


@pytest.mark.parametrize("action", ["refund", "certificate"])
@pytest.mark.parametrize("role", ["associate", "supervisor"])
def test_money_actions_at_and_just_above_the_roles_limit(
    role: str, action: str, session: Session, clients: dict[str, Any]
) -> None:
    world = World(session)
    agent: AgentClient = clients[role]
    at = _limit(role, action)
    results = {}
    for amount in (at, _above(at)):
        ticket = world.ticket(USERS[role])
        resp = agent.post(
            f"{P}/tickets/{ticket}/{action}",
            {"amount": amount, "reason": "authority check"},
            key=f"auth-{role}-{action}-{amount}",
        )
        results[amount] = (resp.status_code, resp.json().get("detail", {}).get("code"))
    at_status, at_code = results[at]
    # At the limit the authority check passes: done, or stopped only by the order's total.
    assert at_status == 201 or (at_status == 409 and at_code == "exceeds_refundable"), results
    assert results[_above(at)] == (403, "above_authority"), results


def test_roles_without_money_authority_are_refused_whatever_the_amount(
    session: Session, clients: dict[str, Any]
) -> None:
    world = World(session)
    ticket = world.ticket("alex")
    admin: AgentClient = clients["admin"]
    specialist: AgentClient = clients["specialist"]
    for action in ("refund", "certificate"):
        body = {"amount": "0.01", "reason": "x"}
        resp = admin.post(f"{P}/tickets/{ticket}/{action}", body, key=f"adm-{action}")
        assert resp.status_code == 403, resp.text
        # Specialists have no limit, but only act on tickets they hold (they claim none).
        resp = specialist.post(f"{P}/tickets/{ticket}/{action}", body, key=f"spc-{action}")
        assert (resp.status_code, resp.json()["detail"]["code"]) == (403, "not_your_ticket")


# ------------------------------------------------------------------ others' data


def test_others_data_is_refused(session: Session, clients: dict[str, Any]) -> None:
    world = World(session)
    alex: AgentClient = clients["associate"]
    specialist: AgentClient = clients["specialist"]
    tier2 = world.ticket(None, tier=2)
    sams = world.ticket("sam.lead")
    cells = [
        ("associate reads a tier-2 ticket", alex.get(f"{P}/tickets/{tier2}"), 403),
        ("associate reads its chat", alex.get(f"{P}/tickets/{tier2}/messages"), 403),
        ("associate claims it", alex.post(f"{P}/tickets/{tier2}/claim"), 403),
        (
            "associate refunds on sam's ticket",
            alex.post(f"{P}/tickets/{sams}/refund", {"amount": "1.00", "reason": "x"}, key="o1"),
            403,
        ),
        (
            "associate writes in sam's chat",
            alex.post(f"{P}/tickets/{sams}/messages", {"text": "hi"}),
            403,
        ),
        (
            "associate reads a specialist case",
            alex.get(f"{P}/cases/{world.case(case_followup.SPECIALIST_TEAM).case_number}"),
            403,
        ),
        (
            "specialist reads an associates' case",
            specialist.get(f"{P}/cases/{world.case('associates').case_number}"),
            403,
        ),
        ("unknown ticket", alex.get(f"{P}/tickets/T-DOESNOTEXIST"), 404),
    ]
    wrong = [
        (what, r.status_code, expected) for what, r, expected in cells if r.status_code != expected
    ]
    assert not wrong, wrong


# ------------------------------------------------------------------ shoppers' conversations


def test_a_conversation_token_opens_no_other_conversation(app: FastAPI) -> None:
    with TestClient(app) as web:
        victim = start(web)
        mine = start(web)
        # Resume with the victim's id and my own token: a new conversation, never the victim's.
        resp = web.post(
            "/chat/api/session",
            json={"conversation_id": victim["conversation_id"], "token": mine["token"]},
        )
        assert resp.status_code == 200
        assert resp.json()["conversation_id"] not in (
            victim["conversation_id"],
            mine["conversation_id"],
        )
        assert resp.json()["resumed"] is False
        # Websocket hello with the victim's id and my token: refused, nothing of theirs sent.
        with web.websocket_connect("/chat/ws") as ws:
            ws.send_json(
                {
                    "type": "hello",
                    "conversation_id": victim["conversation_id"],
                    "token": mine["token"],
                }
            )
            refused = ws.receive_json()
            assert refused["type"] == "error" and refused["code"] == "ws_4401"
        # My own token still opens my own conversation.
        with web.websocket_connect("/chat/ws") as ws:
            assert hello(ws, mine)["type"] == "ready"


# ------------------------------------------------------------------ the widget's files


def test_the_public_file_routes_are_the_same_for_every_role(
    app: FastAPI, clients: dict[str, Any]
) -> None:
    """Upload takes a conversation's token and nothing else (a console session opens no chat);
    a file is served only for a link the desk signed, whoever holds the cookie."""
    with TestClient(app) as web:
        shopper = start(web)
        stored = upload(web, shopper, photo())
        assert stored.status_code == 201, stored.text
        link = stored.json()["url"]
    forged = link.rsplit("sig=", 1)[0] + "sig=" + "0" * 64
    for role in ROLES:
        client = clients[role] if role == "anonymous" else clients[role].http
        refused = client.post("/chat/api/attachments", files={"file": ("a.jpg", photo())})
        assert (role, refused.status_code) == (role, 401)
        assert refused.json()["detail"]["code"] == "bad_conversation"
        assert (role, client.get(forged).status_code) == (role, 403)
        assert (role, client.get(link).status_code) == (role, 200)


def test_a_conversation_token_reaches_no_other_conversations_files(app: FastAPI) -> None:
    with TestClient(app) as web:
        victim = start(web)
        mine = start(web)
        theirs = upload(web, victim, photo()).json()
        # Uploading into the victim's conversation with my token: refused.
        resp = upload(web, {**victim, "token": mine["token"]}, photo())
        assert resp.status_code == 401
        # Naming the victim's file on my message: refused, and no link to it reaches me.
        with chat_socket(web, mine) as ws:
            ws.send_json(
                {"type": "message", "client_id": "c1", "text": "", "attachments": [theirs["id"]]}
            )
            refused = ws.receive_json()
            assert refused["type"] == "error" and refused["code"] == "unknown_attachment"
            ws.send_json({"type": "ping"})
            assert ws.receive_json()["type"] == "pong"
        # A link signed for the victim's thumbnail does not open the file itself.
        thumb = theirs["thumbnail_url"]
        assert web.get(thumb.replace("/thumb?", "/file?")).status_code == 403


# ------------------------------------------------------------------ the public satisfaction survey


def test_the_survey_page_opens_only_with_a_signed_link_whoever_asks(
    session: Session, clients: dict[str, Any], login: Callable[[str], AgentClient]
) -> None:
    """/csat/<token>: no console session stands in for the link, and the link needs none."""
    case, link = closed_case_link(session, login)
    good = urlsplit(link).path
    forged = f"/csat/{case.case_number}"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    for role in ROLES:
        client = clients[role] if role == "anonymous" else clients[role].http
        assert client.get(forged).status_code == 404, role
        assert client.post(forged, content=b"score=5", headers=form).status_code == 404, role
        assert client.get(good).status_code == 200, role
    assert clients["anonymous"].post(good, content=b"score=4", headers=form).status_code == 200
    assert clients["admin"].http.post(good, content=b"score=1", headers=form).status_code == 409
    assert [r.score for r in session.scalars(select(CsatResponse))] == [4]


def test_a_shopper_rates_only_their_own_conversation(
    web: TestClient, session: Session, rasa: FakeRasa, login: Callable[[str], AgentClient]
) -> None:
    theirs, ticket = resolved_chat(web, session, login("alex"))
    mine = start(web)
    with web.websocket_connect("/chat/ws") as ws:
        assert hello(ws, mine)["csat"]["subject"] is None
        ws.send_json({"type": "csat", "subject": f"ticket:{ticket.ticket_number}", "score": 1})
        refused = ws.receive_json()
        assert (refused["type"], refused["code"]) == ("error", "csat_not_offered")
    # The other conversation's token is what opens its survey; a wrong token opens nothing.
    with web.websocket_connect("/chat/ws") as ws:
        ws.send_json({"type": "hello", "conversation_id": theirs["conversation_id"], "token": "x"})
        assert ws.receive_json()["code"] == "ws_4401"
    assert session.scalars(select(CsatResponse)).all() == []
