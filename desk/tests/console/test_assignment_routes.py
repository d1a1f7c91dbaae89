"""The console's assignment and SLA routes: a supervisor assigns by hand, tiers are switched,
admins set capacity, breaches reach supervisors, a first reply is recorded, SLA attainment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.utils.assignment import agent, chat_lines, holder, online, web_ticket
from tests.utils.console import LoginFn
from tests.utils.desk import audit_rows, code_of
from tierline_desk.models import HandoffTicket, utcnow
from tierline_desk.services import agent_actions, sla

P = "/console/api"


def test_a_supervisor_assigns_a_ticket_to_a_named_agent_online(
    login: LoginFn, session: Session
) -> None:
    lead = login("sam.lead")
    alex = login("alex")
    assert alex.post(f"{P}/heartbeat").status_code == 200  # the console open: online
    ticket = web_ticket(session)
    url = f"{P}/tickets/{ticket.ticket_number}/assign"

    resp = lead.post(url, {"agent": "alex"})

    assert resp.status_code == 200, resp.text
    assert resp.json()["claimed_by"] == "alex" and resp.json()["status"] == "claimed"
    assert (
        chat_lines(session, ticket)[-1]
        == "Alex Rivera (Customer Service Associate) joined the chat."
    )
    resp = lead.post(url, {"agent": "sam.lead"})
    assert resp.status_code == 200, resp.text
    assert holder(session, ticket) == "sam.lead"
    assert chat_lines(session, ticket)[-1] == "Sam Okafor (Supervisor) took over from Alex Rivera."
    assert [r.details["reason"] for r in audit_rows(session, "ticket.reassign")] == ["supervisor"]
    assert alex.post(url, {"agent": "alex"}).status_code == 403  # associates cannot


def test_assigning_refuses_clearly(login: LoginFn, session: Session) -> None:
    lead = login("sam.lead")
    login("alex").post(f"{P}/heartbeat")
    tier2 = web_ticket(session, tier=2)
    resp = lead.post(f"{P}/tickets/{tier2.ticket_number}/assign", {"agent": "alex"})
    assert resp.status_code == 409 and code_of(resp) == "wrong_tier"
    ticket = web_ticket(session)
    url = f"{P}/tickets/{ticket.ticket_number}/assign"
    assert code_of(lead.post(url, {"agent": "nobody"})) == "agent_not_found"
    assert code_of(lead.post(url, {"agent": "jordan.ecr"})) == "wrong_tier"
    online(session, "sam.lead")  # alex's console went quiet
    resp = lead.post(url, {"agent": "alex"})
    assert resp.status_code == 409 and code_of(resp) == "agent_offline"
    assert "alex is not online" in resp.json()["detail"]["message"]
    assert lead.post(url, {"agent": ""}).status_code == 422
    assert lead.post(url, {"agent": "alex", "extra": 1}).status_code == 422


def test_tiers_are_switched_and_capacity_set(login: LoginFn, session: Session) -> None:
    lead, admin = login("sam.lead"), login("admin")
    resp = lead.post(f"{P}/assignment/tiers/1", {"auto_assign": False})
    assert resp.status_code == 200, resp.text
    assert [t["auto_assign"] for t in resp.json()["tiers"]] == [False, True]
    assert lead.post(f"{P}/assignment/tiers/3", {"auto_assign": True}).status_code == 422

    assert lead.post(f"{P}/assignment/agents/alex/capacity", {"capacity": 5}).status_code == 403
    resp = admin.post(f"{P}/assignment/agents/alex/capacity", {"capacity": 5})
    assert resp.status_code == 200, resp.text
    alex = next(a for a in resp.json()["agents"] if a["username"] == "alex")
    assert (alex["capacity"], alex["capacity_is_default"], alex["tiers"]) == (5, False, [1])
    assert admin.post(f"{P}/assignment/agents/alex/capacity", {"capacity": 0}).status_code == 422
    resp = admin.post(f"{P}/assignment/agents/alex/capacity", {"capacity": None})
    alex = next(a for a in resp.json()["agents"] if a["username"] == "alex")
    assert (alex["capacity"], alex["capacity_is_default"]) == (3, True)
    assert [r.details for r in audit_rows(session, "agent.capacity")] == [
        {"agent": "alex", "from": None, "to": 5},
        {"agent": "alex", "from": 5, "to": None},
    ]


def test_a_breach_reaches_supervisors_until_acknowledged(login: LoginFn, session: Session) -> None:
    lead, alex = login("sam.lead"), login("alex")
    ticket = web_ticket(session, created_minutes_ago=6)
    sla.notice_breaches(session, utcnow())

    resp = lead.get(f"{P}/sla/breaches")
    assert resp.status_code == 200
    [breach] = resp.json()
    assert (breach["ticket_number"], breach["target"]) == (ticket.ticket_number, "first_reply")
    assert alex.get(f"{P}/sla/breaches").status_code == 403
    card = lead.get(f"{P}/tickets/{ticket.ticket_number}").json()
    assert card["sla"]["breached"] == ["first_reply"] and card["sla"]["seconds_left"] > 0

    resp = lead.post(f"{P}/sla/breaches/{breach['id']}/acknowledge")
    assert resp.status_code == 200 and resp.json()["acknowledged_by"] == "sam.lead"
    assert lead.get(f"{P}/sla/breaches").json() == []
    assert code_of(lead.post(f"{P}/sla/breaches/999999/acknowledge")) == "breach_not_found"


def test_the_first_message_an_agent_sends_is_the_first_reply(
    login: LoginFn, session: Session
) -> None:
    alex = login("alex")
    ticket = web_ticket(session)
    agent_actions.claim(session, agent(session, "alex"), ticket)
    session.commit()
    url = f"{P}/tickets/{ticket.ticket_number}/messages"
    assert alex.post(url, {"text": "Hi, Alex here"}).status_code == 201
    session.expire_all()
    first = session.get(HandoffTicket, ticket.id)
    assert first is not None and first.first_reply_at is not None
    at = first.first_reply_at
    assert alex.post(url, {"text": "Looking at it now"}).status_code == 201
    session.expire_all()
    again = session.get(HandoffTicket, ticket.id)
    assert again is not None and again.first_reply_at == at
    card = alex.get(f"{P}/tickets/{ticket.ticket_number}").json()
    assert card["sla"]["first_reply_at"] is not None and card["sla"]["breached"] == []


def test_sla_attainment_per_tier_and_agent(login: LoginFn, session: Session) -> None:
    lead = login("sam.lead")
    ticket = web_ticket(session, created_minutes_ago=60 * 24)
    ticket.status, ticket.claimed_by = "resolved", agent(session, "alex").id
    ticket.first_reply_at = ticket.created_at
    ticket.resolved_at = ticket.created_at
    session.commit()

    resp = lead.get(f"{P}/analytics/sla?days=7")

    assert resp.status_code == 200, resp.text
    body = resp.json()
    tier1 = body["tiers"][0]
    assert (tier1["tier"], tier1["first_reply_minutes"], tier1["resolution_minutes"]) == (1, 5, 60)
    assert tier1["first_reply"] == {"met": 1, "total": 1, "percent": 100.0}
    assert body["agents"][0]["agent"] == "alex"
    assert body["agents"][0]["daily"][0]["resolution"]["met"] == 1
    assert lead.get(f"{P}/analytics/sla?days=0").status_code == 422
    assert login("alex").get(f"{P}/analytics/sla").status_code == 403
