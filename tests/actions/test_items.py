from __future__ import annotations

from typing import Any

import pytest

from actions.items import match_item, parse_quantity
from tests.utils.orders import make_item

ITEMS = [
    make_item("SKU-1", "Trail Running Shoes"),
    make_item("SKU-2", "Wool Hiking Socks"),
    make_item("SKU-3", "Insulated Water Bottle"),
]


def sku(item: dict[str, Any] | None) -> str | None:
    return None if item is None else str(item["sku"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trail Running Shoes", "SKU-1"),  # a button payload
        ("wool hiking socks", "SKU-2"),
        ("sku-3", "SKU-3"),
        ("the shoes", "SKU-1"),
        ("my socks please", "SKU-2"),
        ("bottle", "SKU-3"),
        ("2", "SKU-2"),
        ("first", "SKU-1"),
        ("the third", "SKU-3"),
        ("2nd", "SKU-2"),
        ("last", "SKU-3"),
    ],
)
def test_match_item(text: str, expected: str) -> None:
    assert sku(match_item(text, ITEMS)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("the second one", "SKU-2"), ("the last one", "SKU-3"), ("first one", "SKU-1")],
)
def test_ordinal_followed_by_one(text: str, expected: str) -> None:
    # "one" here is a pronoun ("the second one"), not the position 1.
    assert sku(match_item(text, ITEMS)) == expected


@pytest.mark.parametrize("text", ["the hat", "4", "0", "", "the first or the second"])
def test_no_or_ambiguous_match(text: str) -> None:
    assert match_item(text, ITEMS) is None


def test_name_shared_by_two_items_is_ambiguous() -> None:
    items = [make_item("A", "Running Shoes"), make_item("B", "Hiking Shoes")]
    assert match_item("the shoes", items) is None
    assert sku(match_item("hiking shoes", items)) == "B"


def test_no_items() -> None:
    assert match_item("the shoes", []) is None


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("2", 2),
        ("two", 2),
        ("make it 3", 3),
        ("just one", 1),
        ("a couple", 2),
        ("3 please", 3),
        ("10", 10),
        ("0", 0),
        ("zero", 0),
        ("remove it", 0),
        ("delete that", 0),
        ("take it off", 0),
    ],
)
def test_parse_quantity(text: str, quantity: int) -> None:
    assert parse_quantity(text) == quantity


@pytest.mark.parametrize("text", ["11", "lots", "2 or 3", "", "a"])
def test_unclear_quantity(text: str) -> None:
    assert parse_quantity(text) is None


@pytest.mark.parametrize(("text", "quantity"), [("I'll take 3", 3), ("drop it to 2", 2)])
def test_a_number_wins_over_a_removal_word(text: str, quantity: int) -> None:
    # "take 3" and "drop it to 2" ask for 3 and 2; reading them as "remove" deletes the item.
    assert parse_quantity(text) == quantity
