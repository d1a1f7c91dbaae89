"""Real shoppers over the real stack: questions in the middle of a form, named promo codes,
and a shopper waiting in the queue who says hello (issue 16)."""

from __future__ import annotations

import pytest

from tests.utils.console import Console
from tests.utils.rest_chat import MAYA, joined, say
from tests.utils.stack import Stack, resume, waiting_tickets

pytestmark = pytest.mark.e2e

ASK_ITEM = "Which item would you like to return?"
ASK_ORDER_NUMBER = "What's the order number?"
ASK_PHONE = "What phone number should we use?"
ASK_TRANSCRIPT_EMAIL = "Which email address should I send the transcript to?"
ASK_FOLLOW_UP_EMAIL = "Which email address should an associate write to?"
ASK_PROMO_CODE = "If you tell me the code, I'll check it for you."
RETURN_POLICY = "You can return most items within 30 days of delivery"
ORDER_POLICY = "You can cancel an order, change its delivery address"
DELIVERY = "Here are our delivery options"
BOT = "I'm an automated assistant, not a person."
PROMOS_EXPLAINED = "Promo codes are entered at checkout"


def active_loop(stack: Stack, sender: str) -> str | None:
    loop = stack.rasa_tracker(sender).get("active_loop") or {}
    name = loop.get("name")
    return str(name) if name else None


def test_the_return_window_asked_for_the_item_is_answered_then_the_item_asked_again(
    stack: Stack, sender: str
) -> None:
    say(sender, "I'd like to return something")
    # Three returnable items, and no other test returns one of them.
    say(sender, "784-3987935-8139181")
    assert ASK_ITEM in joined(say(sender, "jordan.alvarez@example.com"))

    answer = joined(say(sender, "wait, how many days do I have to return stuff?"))
    assert RETURN_POLICY in answer
    assert "couldn't tell which item" not in answer
    assert answer.rstrip().endswith(ASK_ITEM)
    assert active_loop(stack, sender) == "order_form"

    assert "reason for the return" in joined(say(sender, "the kettle"))


def test_every_kind_of_question_is_answered_inside_the_order_form(
    stack: Stack, sender: str
) -> None:
    assert ASK_ORDER_NUMBER in joined(say(sender, "where is my package?"))
    for question, answered in [
        ("one sec, how much is expedited shipping?", DELIVERY),
        ("hold on, am I talking to a bot?", BOT),
        ("wait, can an order still be changed once it has shipped?", ORDER_POLICY),
        ("hold on, what's your return policy?", RETURN_POLICY),
        ("wait, can I use SAVE50 on a $250 order?", "Good news: SAVE50 is valid"),
        ("hang on, is there a promo code I can use?", PROMOS_EXPLAINED),
    ]:
        answer = joined(say(sender, question))
        assert answered in answer, question
        assert ASK_ORDER_NUMBER in answer, question
        assert "doesn't look like an order number" not in answer, question
    assert "email address" in joined(say(sender, "112-4839201-5573910"))
    answer = joined(say(sender, MAYA))
    assert "112-4839201-5573910 is on its way with UPS" in answer


def test_questions_inside_the_callback_transcript_and_follow_up_forms(
    stack: Stack, sender: str
) -> None:
    assert ASK_PHONE in joined(say(sender, "can someone call me back?"))
    answer = joined(say(sender, "why isn't FREESHIP working"))
    assert "FREESHIP has expired" in answer
    assert ASK_PHONE in answer
    answer = joined(say(sender, "wait, how many days do I have to return stuff?"))
    assert RETURN_POLICY in answer and ASK_PHONE in answer
    assert "When should we call?" in joined(say(sender, "415-555-0123"))
    assert "No problem, I've stopped that" in joined(say(sender, "never mind"))

    assert ASK_TRANSCRIPT_EMAIL in joined(say(sender, "email me a copy of this chat"))
    answer = joined(say(sender, "wait, do you ship to Canada?"))
    assert DELIVERY in answer and ASK_TRANSCRIPT_EMAIL in answer
    answer = joined(say(sender, "is holiday25 valid yet?"))
    assert "HOLIDAY25 isn't active yet" in answer and ASK_TRANSCRIPT_EMAIL in answer
    assert "No problem, I've stopped that" in joined(say(sender, "forget it"))

    assert ASK_FOLLOW_UP_EMAIL in joined(say(sender, "can someone just email me the answer"))
    answer = joined(say(sender, "wait, is this a real person?"))
    assert BOT in answer and ASK_FOLLOW_UP_EMAIL in answer
    answer = joined(say(sender, "before I confirm, is there a fee for cancelling?"))
    assert ORDER_POLICY in answer and ASK_FOLLOW_UP_EMAIL in answer
    assert active_loop(stack, sender) == "follow_up_form"


def test_questions_inside_the_promo_form(stack: Stack, sender: str) -> None:
    assert ASK_PROMO_CODE in joined(say(sender, "how do promo codes work"))
    answer = joined(say(sender, "one sec, is there next day delivery?"))
    assert DELIVERY in answer and ASK_PROMO_CODE in answer
    answer = joined(say(sender, "hold on, am I talking to a bot?"))
    assert BOT in answer and ASK_PROMO_CODE in answer
    assert "Sorry, FREESHIP has expired" in joined(say(sender, "freeship"))
    assert active_loop(stack, sender) is None


@pytest.mark.parametrize(
    ("question", "because"),
    [
        ("why isn't FREESHIP working", "Sorry, FREESHIP has expired"),
        ("can i use SAVE50 on a $250 order?", "Good news: SAVE50 is valid"),
        ("can I use Save50 on a $120 order?", "but only on orders of $200.00 or more"),
        ("is holiday25 valid yet?", "HOLIDAY25 isn't active yet"),
        ("my code Welcome10 doesn't work", "Good news: WELCOME10 is valid"),
        ("does the code NOPE99 work?", "I couldn't find a promo code called NOPE99"),
    ],
)
def test_a_named_promo_code_is_checked_and_the_reason_given(
    stack: Stack, sender: str, question: str, because: str
) -> None:
    answer = joined(say(sender, question))
    assert because in answer
    assert PROMOS_EXPLAINED not in answer and ASK_PROMO_CODE not in answer


def test_a_person_asked_for_in_the_return_form_leaves_it_and_a_hello_gets_the_queue_place(
    stack: Stack, sender: str, online_agent: Console
) -> None:
    say(sender, "I want to return an item from order 113-5550192-7781234")
    assert active_loop(stack, sender) == "order_form"
    answer = joined(say(sender, "actually just let me talk to a person"))
    assert "ticket T-" in answer
    assert active_loop(stack, sender) is None
    ticket = next(t for t in waiting_tickets(stack) if t["conversation_id"] == sender)
    number = str(ticket["ticket_number"])
    try:
        for hello in ("hello? anyone there?", "hi"):
            answer = joined(say(sender, hello))
            now = stack.desk("GET", f"/api/v1/handoffs/{number}").json()
            assert (
                f"You're still in the queue for a customer-service associate (ticket {number})"
                in answer
            )
            assert f"you're number {now['queue_position']}" in answer
            assert f"about {now['estimated_wait_minutes']} minutes" in answer
            assert "I'm Tierline" not in answer

        # A hello in the middle of a form gets the place too, and the form goes on.
        # (The order named before is remembered: the form asks for its email.)
        ask_email = "please tell me the email address you used for order 113-5550192-7781234"
        assert ask_email in joined(say(sender, "meanwhile, where is my package?"))
        answer = joined(say(sender, "hello? is somebody there?"))
        assert f"(ticket {number})" in answer and ask_email in answer
        assert active_loop(stack, sender) == "order_form"
    finally:
        resume(stack, number)

    # The ticket handed back: a hello is a hello again.
    assert "I'm Tierline" in joined(say(sender, "hello"))
