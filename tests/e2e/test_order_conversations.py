"""Order numbers the way shoppers really give them, through the real stack (issue 16)."""

from __future__ import annotations

import pytest

from tests.utils.rest_chat import MAYA, button_payloads, say, say_with_buttons, texts_of
from tests.utils.stack import Stack

pytestmark = pytest.mark.e2e


def test_a_signed_in_shopper_picks_one_of_their_recent_orders(stack: Stack, sender: str) -> None:
    metadata = stack.signed_metadata("C-1001")
    messages = say_with_buttons(sender, "where's my stuff", metadata)
    assert "most recent" in texts_of(messages)
    payloads = button_payloads(messages)
    assert len(payloads) == 5
    assert "112-4839201-5573910" in payloads
    assert "111-8765432-1098765" not in payloads  # Jordan's, never offered to Maya
    mine = stack.desk("POST", "/api/v1/orders/recent", json={"customer_id": "C-1001"}).json()
    assert payloads == [order["order_number"] for order in mine["orders"]]
    titles = [str(b["title"]) for m in messages for b in m.get("buttons") or []]
    shipped = titles[payloads.index("112-4839201-5573910")]
    assert shipped.startswith("112-4839201-5573910 · ")
    assert "Wireless Noise-Cancelling Headphones (2 items)" in shipped
    answer = "\n".join(say(sender, "112-4839201-5573910", metadata))
    assert "112-4839201-5573910 is on its way with UPS" in answer
    assert "email address" not in answer


def test_a_recent_order_button_carries_on_a_return(stack: Stack, sender: str) -> None:
    metadata = stack.signed_metadata("C-1005")
    messages = say_with_buttons(sender, "I want to return something", metadata)
    assert "849-9513935-5428937" in button_payloads(messages)
    assert "reason for the return" in "\n".join(say(sender, "849-9513935-5428937", metadata))
    # One item on the order: a correction naming another is not understood, the ask goes on.
    unusable = "\n".join(say(sender, "no, I meant the jacket", metadata))
    assert "couldn't tell which item" in unusable
    assert "reason for the return" in unusable
    answer = "\n".join(say(sender, "two pieces are missing", metadata))
    assert "return authorization is RMA-" in answer
    assert "Board Game: Harbor Traders" in answer


def test_a_shopper_who_is_not_signed_in_is_asked_for_the_number(stack: Stack, sender: str) -> None:
    messages = say_with_buttons(sender, "where's my stuff")
    assert "It has 17 digits" in texts_of(messages)
    assert button_payloads(messages) == []


def test_two_numbers_ask_which_one_and_tracking_stays_tracking(stack: Stack, sender: str) -> None:
    messages = say_with_buttons(sender, "track 112-4839201-5573910 and 123-1212121-3434343")
    assert "more than one order number" in texts_of(messages)
    assert button_payloads(messages) == ["112-4839201-5573910", "123-1212121-3434343"]
    assert "email address you used for order 123-1212121-3434343" in "\n".join(
        say(sender, "123-1212121-3434343")
    )
    answer = "\n".join(say(sender, MAYA))
    assert "Order 123-1212121-3434343 hasn't shipped yet" in answer
    assert "Just to confirm" not in answer


def test_correcting_the_item_the_bot_picked(stack: Stack, sender: str) -> None:
    say(sender, "I want to return the kettle from order 784-3987935-8139181")
    assert "reason for the return" in "\n".join(say(sender, "jordan.alvarez@example.com"))
    corrected = "\n".join(say(sender, "no, I meant the kitchen scale"))
    assert "Got it: the Kitchen Scale." in corrected
    assert "reason for the return" in corrected
    answer = "\n".join(say(sender, "it doesn't weigh things right"))
    assert "return authorization is RMA-" in answer
    assert "Kitchen Scale" in answer and "Kettle" not in answer


def test_correcting_the_item_the_shopper_chose(stack: Stack, sender: str) -> None:
    say(sender, "I'd like to return something")
    say(sender, "711-4961417-2142667")
    assert "Which item" in "\n".join(say(sender, "priya.n@example.com"))
    assert "reason for the return" in "\n".join(say(sender, "the water bottle"))
    corrected = "\n".join(say(sender, "no, I meant the sheet set"))
    assert "Got it: the Percale Sheet Set, Queen." in corrected
    answer = "\n".join(say(sender, "wrong size"))
    assert "return authorization is RMA-" in answer
    assert "Percale Sheet Set" in answer


def test_switching_to_the_other_order_keeps_the_task(stack: Stack, sender: str) -> None:
    say(sender, "where is order 112-4839201-5573910")
    switched = "\n".join(say(sender, "no wait, the other order 123-1212121-3434343"))
    assert "email address you used for order 123-1212121-3434343" in switched
    assert "Order 123-1212121-3434343 hasn't shipped yet" in "\n".join(say(sender, MAYA))
    # After the answer, the same task on the next order, proved by the same email.
    again = "\n".join(say(sender, "no wait, the other order 112-4839201-5573910"))
    assert "112-4839201-5573910 is on its way with UPS" in again
    assert "email address" not in again


def test_an_email_given_first_is_used_for_the_order(stack: Stack, sender: str) -> None:
    first = "\n".join(
        say(sender, "hi, my email is priya.n@example.com and i want to check on an order")
    )
    assert "order number" in first
    assert "case" not in first  # not taken for an email follow-up request
    answer = "\n".join(say(sender, "117-3141592-6535897"))
    assert "117-3141592-6535897 was delivered on" in answer
    assert "email address" not in answer
