"""Internal notes: agents only, never to the shopper; @mentions notify who can see the thread."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.utils.console import BIG_ORDER, AgentClient, LoginFn, World, login, priyas_handoff
from tests.utils.desk import audit_rows, code_of
from tests.utils.mail_catcher import Catcher, catcher, text_of
from tests.utils.web_chat import MAYA_ID, FakeRasa, app, chat_socket, rasa, start, until, web
from tierline_desk.models import HandoffTicket
from tierline_desk.services import handoffs, shop_identity
from tierline_desk.services.notes import mentioned_names

__all__ = ["app", "catcher", "login", "rasa", "web"]

P = "/console/api"
SECRET = "Internal: @sam.lead the shopper has 3 chargebacks, do not refund twice"


def queue(session: Session, sess: dict[str, Any]) -> HandoffTicket:
    """The web chat's ticket in the tier 1 queue (the bot's handoff)."""
    ticket, _ = handoffs.create(
        session, priyas_handoff(sess["conversation_id"], 1, BIG_ORDER), "bot"
    )
    session.commit()
    return ticket


def note_on(agent: AgentClient, url: str, body: str) -> dict[str, Any]:
    resp = agent.post(f"{url}/notes", {"body": body})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def every_text_part(mail: EmailMessage) -> str:
    """The decoded text of each text/* part of a mail (plain and HTML alike)."""
    parts = [p for p in mail.walk() if p.get_content_maintype() == "text"]
    assert parts
    return "\n".join(str(p.get_content()) for p in parts)


def unread(agent: AgentClient) -> int:
    return int(agent.get(f"{P}/notifications").json()["unread"])


def test_mentions_are_read_from_the_text() -> None:
    text = "ask @Sam.Lead. or @alex, not me@example.com nor @x; @sam.lead again @jordan.ecr!"
    assert mentioned_names(text) == ["sam.lead", "alex", "jordan.ecr"]


def test_a_ticket_note_never_reaches_the_shoppers_chat_history_or_transcript(
    web: TestClient,
    rasa: FakeRasa,
    catcher: Catcher,
    session: Session,
    login: LoginFn,
) -> None:
    sess = start(web, identity=shop_identity.issue_token(MAYA_ID))
    ticket = queue(session, sess)
    alex = login("alex")
    url = f"{P}/tickets/{ticket.ticket_number}"
    assert alex.post(f"{url}/claim").status_code == 200
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "c1", "text": "is anyone there?"})
        until(ws, lambda f: f["type"] == "ack")
        created = note_on(alex, url, SECRET)
        alex.post(f"{url}/messages", json={"text": "I've checked with the carrier."})
        live = until(ws, lambda f: f["type"] == "message" and f["sender"] == "agent")
        ws.send_json({"type": "email_transcript", "email": None})
        live += until(ws, lambda f: f["type"] == "notice")
    assert "chargebacks" not in json.dumps(live)

    # The history a reconnecting widget replays.
    with chat_socket(web, sess) as ws:
        history = until(ws, lambda f: f.get("text") == "I've checked with the carrier.")
        ws.send_json({"type": "ping"})
        history += until(ws, lambda f: f["type"] == "pong")
    assert any(f.get("text") == "is anyone there?" for f in history), history
    assert "chargebacks" not in json.dumps(history)

    # The transcript mail.
    mail = catcher.only()
    assert "I've checked with the carrier." in text_of(mail)
    assert "chargebacks" not in every_text_part(mail)

    # The console's chat (what the live chat shows) has no note in it; the notes route has it.
    chat = alex.get(f"{url}/messages").json()["messages"]
    assert "chargebacks" not in json.dumps(chat)
    notes = alex.get(f"{url}/notes").json()["notes"]
    assert [n["body"] for n in notes] == [SECRET]
    assert notes[0]["author"] == {
        "username": "alex",
        "display_name": "Alex Rivera",
        "role": "associate",
    }
    assert created["notified"] == ["sam.lead"] and created["not_notified"] == []
    row = audit_rows(session, "note.create")[0]
    assert row.actor == "alex" and row.details["ticket_number"] == ticket.ticket_number
    assert row.details["notified"] == ["sam.lead"] and "body" not in row.details


def test_a_case_note_never_goes_into_the_case_reply_mail(
    login: LoginFn, session: Session, catcher: Catcher
) -> None:
    case = World(session).case("executive_customer_relations")
    jordan = login("jordan.ecr")
    url = f"{P}/cases/{case.case_number}"
    note_on(jordan, url, "Internal: credit approved off-book by @sam.lead, do not mention")
    reply = jordan.post(
        f"{url}/reply", {"body": "Your trade-in credit is on its way.", "close": False}
    )
    assert reply.status_code == 201, reply.text
    mail = catcher.only()
    assert "trade-in credit is on its way" in text_of(mail)
    assert "off-book" not in every_text_part(mail)
    detail = jordan.get(url).json()
    assert "off-book" not in json.dumps(detail)  # the case's emails, as the console shows them
    assert [n["body"] for n in jordan.get(f"{url}/notes").json()["notes"]] == [
        "Internal: credit approved off-book by @sam.lead, do not mention"
    ]


def test_the_mentioned_agent_is_notified_and_marks_it_read(
    login: LoginFn, session: Session
) -> None:
    world = World(session)
    ticket = world.ticket("alex")
    alex, sam = login("alex"), login("sam.lead")
    created = note_on(
        alex,
        f"{P}/tickets/{ticket}",
        "@sam.lead can you approve more? cc @nobody.here, mail me@example.com, and @alex",
    )
    assert created["notified"] == ["sam.lead"]  # unknown names stay text; no self-notice
    assert created["note"]["mentioned"] == ["sam.lead"]
    assert unread(alex) == 0
    listing = sam.get(f"{P}/notifications").json()
    assert listing["unread"] == 1
    [notice] = listing["notifications"]
    assert notice["from_agent"] == "alex" and notice["from_name"] == "Alex Rivera"
    assert notice["ticket_number"] == ticket and notice["case_number"] is None
    assert notice["excerpt"].startswith("@sam.lead can you approve more?")
    assert notice["read"] is False

    read = sam.post(f"{P}/notifications/read", {"ids": [notice["id"]]})
    assert read.status_code == 200 and read.json()["unread"] == 0
    assert read.json()["notifications"][0]["read"] is True
    # Someone else's notification ids change nothing.
    note_on(alex, f"{P}/tickets/{ticket}", "@sam.lead one more")
    assert alex.post(f"{P}/notifications/read", {}).json()["unread"] == 0
    assert unread(sam) == 1
    assert sam.post(f"{P}/notifications/read", {}).json()["unread"] == 0


def test_a_mention_of_someone_who_cannot_see_the_thread_notifies_no_one(
    login: LoginFn, session: Session
) -> None:
    world = World(session)
    tier2 = world.ticket("sam.lead", tier=2)
    sam = login("sam.lead")
    created = note_on(sam, f"{P}/tickets/{tier2}", "@alex @admin @jordan.ecr have a look")
    assert created["notified"] == ["jordan.ecr"]  # specialists see every ticket
    reasons = {m["username"]: m["reason"] for m in created["not_notified"]}
    assert set(reasons) == {"alex", "admin"}
    assert "does not see tier 2 tickets" in reasons["alex"]
    assert unread(login("alex")) == 0 and unread(login("admin")) == 0
    assert unread(login("jordan.ecr")) == 1
    # ... and the associate cannot open the note through the route either.
    assert login("alex").get(f"{P}/tickets/{tier2}/notes").status_code == 403

    case = world.case("executive_customer_relations")
    jordan = login("jordan.ecr")
    on_case = note_on(jordan, f"{P}/cases/{case.case_number}", "@alex @sam.lead thoughts?")
    assert on_case["notified"] == ["sam.lead"]
    assert on_case["not_notified"][0]["username"] == "alex"
    assert "executive_customer_relations" in on_case["not_notified"][0]["reason"]
    assert login("alex").get(f"{P}/cases/{case.case_number}/notes").status_code == 403


def test_bad_notes_are_refused_clearly(login: LoginFn, session: Session) -> None:
    ticket = World(session).ticket("alex")
    alex = login("alex")
    url = f"{P}/tickets/{ticket}/notes"
    for body in ({"body": ""}, {"body": "x" * 4001}, {}, {"body": "ok", "extra": 1}):
        resp = alex.post(url, body)
        assert resp.status_code == 422 and resp.json()["detail"]["message"], resp.text
    invisible = alex.post(url, {"body": "\u200b\u200c"})
    assert invisible.status_code == 422 and code_of(invisible) == "empty_text"
    assert alex.post(f"{P}/tickets/T-999999/notes", {"body": "hi"}).status_code == 404
    assert alex.get(url).json()["notes"] == []
