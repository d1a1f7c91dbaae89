from __future__ import annotations

import pytest

from actions.order_numbers import (
    EXAMPLE,
    OrderNumber,
    OrderNumberError,
    order_numbers_in,
    parse_order_number,
)

CANONICAL = "112-4839201-5573910"


@pytest.mark.parametrize(
    "text",
    [
        "112-4839201-5573910",
        "11248392015573910",
        "112 4839201 5573910",
        "112  4839201\t5573910",
        "#112-4839201-5573910",
        "# 11248392015573910",
        "order # 112-4839201-5573910",
        "my order is 112-4839201-5573910, where is it?",
        "Where is 112 4839201 5573910?",
        "112-4839201-5573910.",
        "112–4839201–5573910",  # en dashes
        "112—4839201—5573910",  # em dashes
        "112‑4839201‑5573910",  # non-breaking hyphens
        "112 - 4839201 - 5573910",
        "١١٢-٤٨٣٩٢٠١-٥٥٧٣٩١٠",  # Arabic-Indic digits
        "۱۱۲۴۸۳۹۲۰۱۵۵۷۳۹۱۰",  # Extended Arabic-Indic digits
        "११२-४८३९२०१-५५७३९१०",  # Devanagari digits
        "１１２-４８３９２０１-５５７３９１０",  # full-width digits
        "order 112-4839201-5573910 placed on 2026-11-23",
        "I bought 2 things, order 112-4839201-5573910",
        # Dots between the groups, as some shoppers and some receipts write them.
        "112.4839201.5573910",
        "order 112.4839201.5573910.",
        "ref. 112.4839201.5573910, thanks",
        "#112.4839201.5573910",
        "112. 4839201. 5573910",
        "１１２．４８３９２０１．５５７３９１０",  # full-width digits and full stops
    ],
)
def test_accepted_forms_give_the_canonical_number(text: str) -> None:
    parsed = parse_order_number(text)
    assert parsed == OrderNumber("11248392015573910")
    assert parsed.formatted == CANONICAL
    assert str(parsed) == CANONICAL


def test_full_width_number_typed_with_a_japanese_ime_is_accepted() -> None:
    # A Japanese IME types digits and the hyphen full-width: "－" (U+FF0D).
    assert parse_order_number("１１２－４８３９２０１－５５７３９１０").formatted == CANONICAL


def test_number_written_with_minus_signs_is_accepted() -> None:
    # Some keyboards and autocorrect produce U+2212 MINUS SIGN for a dash.
    assert parse_order_number("112−4839201−5573910").formatted == CANONICAL


def test_a_small_number_right_after_the_order_number_is_not_glued_to_it() -> None:
    assert parse_order_number("order 112-4839201-5573910 2 days late").formatted == CANONICAL


def test_a_small_number_after_a_dotted_order_number_is_not_glued_to_it() -> None:
    text = "order 112. 4839201. 5573910. 2 items missing"
    assert parse_order_number(text).formatted == CANONICAL


def test_a_price_next_to_a_dotted_order_number_is_not_taken_for_it() -> None:
    assert parse_order_number("paid 49.99 on 112.4839201.5573910").formatted == CANONICAL


def test_the_candidate_closest_to_17_digits_wins() -> None:
    text = "call 4155550123 about 112-4839201-5573910"
    assert parse_order_number(text).formatted == CANONICAL


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("112-4839201-557391", 16),
        ("1124839201557391", 16),
        ("112-4839201-55739100", 18),
        ("112483920155739100", 18),
        ("12-4839201-5573910", 16),
        ("112.4839201.557391", 16),
        ("112.48392011.5573910", 18),
    ],
)
def test_wrong_length_says_how_many_digits(text: str, count: int) -> None:
    with pytest.raises(OrderNumberError) as caught:
        parse_order_number(text)
    message = str(caught.value)
    assert message.startswith(f"That has {count} digits; order numbers have 17")
    assert EXAMPLE in message


def test_letter_o_is_reported_as_a_probable_zero() -> None:
    with pytest.raises(OrderNumberError) as caught:
        parse_order_number("112-48392O1-5573910")
    message = str(caught.value)
    assert "“112-48392O1-5573910” contains “O”" in message
    assert "a letter O instead of a zero?" in message


def test_other_letters_are_listed_without_the_zero_hint() -> None:
    with pytest.raises(OrderNumberError) as caught:
        parse_order_number("112-48392B1-557391A")
    message = str(caught.value)
    assert "contains “A”, “B”" in message
    assert "instead of a zero" not in message


@pytest.mark.parametrize("text", ["where is my package", "", "order 12345", "it's 2 items"])
def test_no_number_at_all(text: str) -> None:
    with pytest.raises(OrderNumberError) as caught:
        parse_order_number(text)
    assert str(caught.value).startswith("I couldn't find an order number in that.")
    assert "17 digits" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "track 112-4839201-5573910 and 114-2093847-1122334",
            ["112-4839201-5573910", "114-2093847-1122334"],
        ),
        (
            "112 4839201 5573910 114.2093847.1122334",
            ["112-4839201-5573910", "114-2093847-1122334"],
        ),
        ("112-4839201-5573910 or 11248392015573910?", ["112-4839201-5573910"]),
        ("where is 112-4839201-5573910", ["112-4839201-5573910"]),
        ("order 112-4839201-557391", []),
        ("where's my stuff", []),
    ],
)
def test_every_order_number_in_a_message_once(text: str, expected: list[str]) -> None:
    assert [number.formatted for number in order_numbers_in(text)] == expected
