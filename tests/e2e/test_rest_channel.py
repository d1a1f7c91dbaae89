"""A shopper converses with the real bot: Rasa → actions → desk → database, and back."""

from __future__ import annotations

import time

import pytest

from tests.utils.rest_chat import MAYA, joined, return_the_running_shoes, say
from tests.utils.stack import Stack

pytestmark = pytest.mark.e2e


def test_tracking_a_package_after_proving_ownership(stack: Stack, sender: str) -> None:
    assert "order number" in joined(say(sender, "where is my package?"))
    assert "email address" in joined(say(sender, "112-4839201-5573910"))
    answer = joined(say(sender, MAYA))
    assert "112-4839201-5573910 is on its way with UPS" in answer
    assert "Louisville" in answer


def test_a_16_digit_number_is_rejected_with_the_reason(stack: Stack, sender: str) -> None:
    answer = joined(say(sender, "can you track my order 1124839201557391"))
    assert "That has 16 digits; order numbers have 17" in answer


def test_wrong_emails_reveal_nothing(stack: Stack, sender: str) -> None:
    say(sender, "track order 112-4839201-5573910")
    assert "2 tries left" in joined(say(sender, "someone@example.com"))
    assert "1 tries left" in joined(say(sender, "maya@example.org"))
    answer = joined(say(sender, "chen.maya@example.net"))
    assert "can't share anything about this order" in answer
    assert "Louisville" not in answer and "UPS" not in answer


def test_cancelling_an_unshipped_order(stack: Stack, sender: str) -> None:
    say(sender, "I want to cancel my order 114-2093847-1122334")
    assert "Just to confirm" in joined(say(sender, MAYA))
    assert "is cancelled" in joined(say(sender, "yes"))
    order = stack.desk(
        "POST", "/api/v1/orders/lookup", json={"order_number": "114-2093847-1122334", "email": MAYA}
    ).json()
    assert order["status"] == "cancelled"
    # The paper trail: the confirmation reaches the shopper's mailbox (the local catcher).
    mails = []
    for _ in range(20):
        mails = stack.desk("GET", "/api/v1/outbox").json()
        if any("114-2093847-1122334" in str(m) for m in mails):
            break
        time.sleep(0.5)
    mail = next(m for m in mails if "114-2093847-1122334" in str(m))
    assert MAYA in str(mail["to"])


def test_the_confirm_buttons_words_typed_confirm_the_cancel(stack: Stack, sender: str) -> None:
    number = "998-7804124-8214187"  # Maya's, processing; no other end-to-end test uses it
    say(sender, f"please cancel order {number}")
    assert "Just to confirm" in joined(say(sender, MAYA))
    assert f"Order {number} is cancelled" in joined(say(sender, "Yes, cancel it"))


def test_cancelling_after_shipping_is_refused(stack: Stack, sender: str) -> None:
    say(sender, "cancel order 112-4839201-5573910 please")
    assert "can't cancel it anymore" in joined(say(sender, MAYA))


def test_starting_a_return_creates_an_authorization(stack: Stack, sender: str) -> None:
    return_the_running_shoes(sender)


def test_a_return_outside_the_window_is_explained(stack: Stack, sender: str) -> None:
    say(sender, "I want to return the blender from order 111-8765432-1098765")
    answer = joined(say(sender, "jordan.alvarez@example.com"))
    assert "return window closed" in answer


def test_a_signed_in_shopper_is_not_asked_for_an_email(stack: Stack, sender: str) -> None:
    metadata = stack.signed_metadata("C-1001")
    answer = joined(say(sender, "track my order 112-4839201-5573910", metadata))
    assert "is on its way with UPS" in answer


def test_a_forged_customer_id_is_ignored(stack: Stack, sender: str) -> None:
    forged = {"customer_id": "C-1001", "customer_signature": "0" * 64}
    answer = joined(say(sender, "track my order 112-4839201-5573910", forged))
    assert "email address" in answer
    assert "UPS" not in answer


def test_an_item_named_in_the_request_is_not_asked_for_again(stack: Stack, sender: str) -> None:
    say(sender, "I want to return the rain jacket from order 113-5550192-7781234")
    answer = joined(say(sender, MAYA))
    assert "reason for the return" in answer
    assert "Which item" not in answer
    assert "Packable Rain Jacket" in joined(say(sender, "it leaks"))
