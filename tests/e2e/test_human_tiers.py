"""The human tiers over the real stack: routing by the desk, and the bot while people work.

These need the desk's routing (docs/backend-api.md, ``POST /api/v1/handoffs`` with ``outcome``),
delivery reports, ``email_follow_up`` cases, console presence and the pause on claim.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.utils.console import Console
from tests.utils.rest_chat import MAYA, button_payloads, joined, say, say_with_buttons
from tests.utils.stack import Stack, resume, waiting_tickets

pytestmark = pytest.mark.e2e

# Desk defaults (desk/tierline_desk/settings.py): a wait above this many minutes is "long".
MAX_WAIT_MINUTES = 20
AVG_HANDLE_MINUTES = 4


@pytest.mark.usefixtures("empty_queue")
def test_waiting_for_a_person_the_bot_keeps_helping_until_an_agent_claims(
    stack: Stack, sender: str, online_agent: Console
) -> None:
    answer = joined(say(sender, "I want to talk to a representative"))
    assert "ticket T-" in answer
    assert "While you wait, I can still help with anything else here" in answer
    ticket = next(t for t in waiting_tickets(stack) if t["conversation_id"] == sender)
    number = str(ticket["ticket_number"])
    card = stack.desk("GET", f"/api/v1/handoffs/{number}").json()
    assert any("representative" in m["text"] for m in card["recent_messages"])

    # The bot is not paused: it keeps helping, and the shopper keeps their place.
    assert "order number" in joined(say(sender, "meanwhile, where is my package?"))
    again = stack.desk("GET", f"/api/v1/handoffs/{number}").json()
    assert again["status"] == "waiting"

    # An agent claims the ticket: the desk pauses the bot, which now stays silent.
    claimed = online_agent.post(f"/console/api/tickets/{number}/claim")
    assert claimed.status_code == 200, claimed.text
    assert say(sender, "hello? is anyone there?") == []
    typed = [e.get("text") for e in stack.rasa_tracker(sender)["events"] if e["event"] == "user"]
    assert "hello? is anyone there?" in typed

    # Handing back resumes the bot, even though it was asking for an order number.
    handed = online_agent.post(
        f"/console/api/tickets/{number}/handback", {"outcome": "We've sent a replacement."}
    )
    assert handed.status_code == 200, handed.text
    assert handed.json()["status"] == "resolved"
    bot_said = [e.get("text") or "" for e in stack.rasa_tracker(sender)["events"]]
    assert any("We've sent a replacement." in text for text in bot_said)
    assert "You're welcome" in joined(say(sender, "thanks!"))


@pytest.mark.usefixtures("nobody_online")
def test_nobody_online_offers_a_call_back_or_an_answer_by_email(stack: Stack, sender: str) -> None:
    messages = say_with_buttons(sender, "can I talk to a person please")
    answer = joined([str(m.get("text", "")) for m in messages])
    assert "no associate is online" in answer
    assert button_payloads(messages) == ["/request_callback", "/request_email_follow_up"]
    assert not any(t["conversation_id"] == sender for t in waiting_tickets(stack))

    pressed = stack.button_press(sender, "/request_email_follow_up")
    assert "Which email address" in joined(say(sender, "/request_email_follow_up", pressed))
    answer = joined(say(sender, MAYA))
    assert f"answer you by email at {MAYA}" in answer
    case_number = answer.split("case ")[1].split(".")[0]
    case = stack.desk("GET", f"/api/v1/cases/{case_number}").json()
    assert case["kind"] == "email_follow_up"
    assert case["conversation_id"] == sender
    assert case["customer"]["email"] == MAYA
    assert case["description"] == "Shopper asked to talk to a person"


@pytest.fixture
def busy_queue(stack: Stack, online_agent: Console) -> Iterator[Console]:
    """Enough shoppers already waiting that a new one would wait longer than the maximum."""
    ahead = MAX_WAIT_MINUTES // AVG_HANDLE_MINUTES - len(waiting_tickets(stack))
    made = []
    for _ in range(max(0, ahead)):
        response = stack.desk(
            "POST",
            "/api/v1/handoffs",
            json={
                "conversation_id": f"e2e-queue-{uuid.uuid4().hex[:8]}",
                "tier": 1,
                "reason": "Someone ahead in the queue",
                "customer": {},
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["outcome"] == "queued"
        made.append(str(response.json()["ticket_number"]))
    try:
        yield online_agent
    finally:
        for number in made:
            resume(stack, number)


def test_a_long_wait_offers_to_wait_and_waiting_keeps_a_place(
    stack: Stack, sender: str, busy_queue: Console
) -> None:
    messages = say_with_buttons(sender, "connect me with an agent")
    answer = joined([str(m.get("text", "")) for m in messages])
    assert "the wait for a chat is about" in answer
    assert button_payloads(messages) == [
        "/request_callback",
        "/request_email_follow_up",
        "/wait_in_queue",
    ]
    assert not any(t["conversation_id"] == sender for t in waiting_tickets(stack))

    answer = joined(say(sender, "/wait_in_queue", stack.button_press(sender, "/wait_in_queue")))
    assert "ticket T-" in answer
    ticket = next(t for t in waiting_tickets(stack) if t["conversation_id"] == sender)
    assert f"You're number {ticket['queue_position']} in the queue" in answer
    resume(stack, str(ticket["ticket_number"]))


def test_a_damaged_expensive_item_goes_to_the_specialists_by_email(
    stack: Stack, sender: str
) -> None:
    say(sender, "my new laptop arrived with a cracked screen, order 117-3141592-6535897")
    answer = joined(say(sender, "priya.n@example.com"))
    assert "Executive Customer Relations team as case CASE-" in answer
    assert "email you at priya.n@example.com" in answer
    case_number = answer.split("as case ")[1].split(".")[0]
    case = stack.desk("GET", f"/api/v1/cases/{case_number}").json()
    assert case["team"] == "executive_customer_relations"
    assert case["order_number"] == "117-3141592-6535897"
    assert not any(t["conversation_id"] == sender for t in waiting_tickets(stack))


def test_a_trade_in_problem_goes_to_the_specialists(stack: Stack, sender: str) -> None:
    say(sender, "I traded in my old phone and never got the credit")
    say(sender, "118-2718281-8284590")
    answer = joined(say(sender, "sam.oconnor@example.com"))
    assert "Executive Customer Relations team as case CASE-" in answer
    assert "email you at sam.oconnor@example.com" in answer


def test_delivery_problems_in_one_area_open_a_route_case(stack: Stack) -> None:
    metadata = stack.signed_metadata("C-1001")
    answers = []
    orders = ["113-5550192-7781234", "478-0189605-7164049", "798-8068385-7030463"]
    for order in orders:
        sender = f"e2e-route-{uuid.uuid4().hex[:8]}"
        answer = joined(say(sender, f"my package for order {order} never arrived", metadata))
        answers.append(answer)
        assert "I'm sorry about that." in answer
    reports = stack.desk("GET", "/api/v1/delivery-reports").json()
    ours = [r for r in reports if r["order_number"] in orders]
    assert len(ours) == 3
    assert len({r["postal_code"] for r in ours}) == 1
    # The third report in the area within the window opens a route case.
    assert "looking into deliveries in your area" in answers[-1]
    assert "looking into deliveries in your area" not in answers[0]
    assert any(r["route_case_number"] for r in ours)
