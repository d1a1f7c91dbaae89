"""Matching what a shopper says ("the shoes", "the second one", "2") to an item on an order."""

from __future__ import annotations

import re
from typing import Any

_ORDINALS = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "last": -1,
}
_NUMBER_WORDS = {
    "zero": 0,
    "none": 0,
    "no": 0,
    "one": 1,
    "a": 1,
    "an": 1,
    "single": 1,
    "two": 2,
    "couple": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_REMOVE_WORDS = {"remove", "delete", "drop", "cancel", "take"}
_STOP_WORDS = {"the", "a", "an", "my", "one", "item", "please", "just", "that", "this", "it"}
MAX_QUANTITY = 10


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _name_hits(text: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    words = set(_words(text)) - _STOP_WORDS
    return [item for item in items if set(_words(str(item.get("name", "")))) & words]


def item_named_in(text: str, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The one item whose name ``text`` mentions ("return the shoes from …"), by name only."""
    hits = _name_hits(text, items)
    return hits[0] if len(hits) == 1 else None


def match_item(text: str, items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The one item ``text`` names, or None when it names none or several."""
    if not items:
        return None
    words = _words(text)
    lowered = text.strip().lower()
    for item in items:
        if lowered in (str(item.get("sku", "")).lower(), str(item.get("name", "")).lower()):
            return item
    # "one" is a position only on its own: in "the second one" it just names the item.
    positions = [_ORDINALS[w] for w in words if w in _ORDINALS and w != "one"]
    if not positions and "one" in words:
        positions = [1]
    positions += [int(w) for w in words if w.isdigit() and 1 <= int(w) <= len(items)]
    name_hits = _name_hits(text, items)
    if len(name_hits) == 1:
        return name_hits[0]
    if len(positions) == 1 and not name_hits:
        index = positions[0]
        if index == -1:
            return items[-1]
        if 1 <= index <= len(items):
            return items[index - 1]
    return None


def parse_quantity(text: str) -> int | None:
    """A quantity from 0 to MAX_QUANTITY; 'remove it' means 0. None when unclear."""
    words = _words(text)
    numbers = [int(w) for w in words if w.isdigit()]
    numbers += [_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS and w not in ("a", "an")]
    if not numbers and set(words) & _REMOVE_WORDS:
        return 0
    if len(set(numbers)) != 1:
        return None
    quantity = numbers[0]
    return quantity if 0 <= quantity <= MAX_QUANTITY else None
