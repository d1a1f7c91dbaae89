"""Reading order numbers the way shoppers type them, and saying precisely what is wrong.

Order numbers are 17 digits written 3-7-7 (``112-4839201-5573910``). Shoppers also type them
without separators, with spaces or dots between the groups (``112.4839201.5573910``), with a
``#`` in front, in the middle of a sentence, with en dashes, or in non-ASCII digits; all of
those are accepted. Wrong lengths and letters are rejected with a reason the shopper can act
on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

DIGIT_COUNT = 17
EXAMPLE = "112-4839201-5573910"

# A group is a run of letters and digits holding at least one digit; groups are joined by
# spaces, dashes or dots. Letters are kept so that "48392O1" can be reported as a typo.
_GROUP = r"[^\W_]*\d[^\W_]*"
_SEPARATORS = r"[ \t.\-‐‑‒–—−]"
_CANDIDATE = re.compile(rf"{_GROUP}(?:{_SEPARATORS}+{_GROUP})*")
# A well-formed number inside a longer run ("112-4839201-5573910 2 days late").
_JOIN = rf"{_SEPARATORS}{{0,3}}"  # "-", "." or nothing; ". " and " - " too
_WELL_FORMED = re.compile(rf"(?<!\d)(?:\d{{3}}{_JOIN}\d{{7}}{_JOIN}\d{{7}})(?!\d)")


@dataclass(frozen=True)
class OrderNumber:
    """A well-formed order number."""

    digits: str

    @property
    def formatted(self) -> str:
        return f"{self.digits[:3]}-{self.digits[3:10]}-{self.digits[10:]}"

    def __str__(self) -> str:
        return self.formatted


class OrderNumberError(ValueError):
    """The text holds no valid order number; ``str(error)`` is a message for the shopper."""


def _ascii_digits(text: str) -> str:
    # NFKC folds full-width digits and the full-width hyphen typed on CJK keyboards.
    folded = unicodedata.normalize("NFKC", text)
    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() else ch for ch in folded)


def _digit_count(candidate: str) -> int:
    return sum(ch.isdigit() for ch in candidate)


def _best_candidate(text: str) -> str | None:
    candidates = [match.group(0) for match in _CANDIDATE.finditer(_ascii_digits(text))]
    candidates = [c for c in candidates if _digit_count(c) >= 6]
    if not candidates:
        return None
    for candidate in candidates:
        if _digit_count(candidate) > DIGIT_COUNT and (inner := _WELL_FORMED.search(candidate)):
            return inner.group(0)
    return min(candidates, key=lambda c: abs(_digit_count(c) - DIGIT_COUNT))


def parse_order_number(text: str) -> OrderNumber:
    """The order number in ``text``, or :class:`OrderNumberError` saying what is wrong."""
    candidate = _best_candidate(text)
    if candidate is None:
        raise OrderNumberError(
            "I couldn't find an order number in that. Order numbers have 17 digits, "
            f"like {EXAMPLE}; you'll find yours in the order confirmation email."
        )
    letters = sorted({ch for ch in candidate if ch.isalpha()})
    if letters:
        shown = ", ".join(f"“{ch}”" for ch in letters)
        hint = " (a letter O instead of a zero?)" if {"O", "o"} & set(letters) else ""
        raise OrderNumberError(
            f"Order numbers are digits only, but “{candidate.strip()}” contains {shown}{hint}. "
            f"Order numbers look like {EXAMPLE}."
        )
    digits = "".join(ch for ch in candidate if ch.isdigit())
    if len(digits) != DIGIT_COUNT:
        raise OrderNumberError(
            f"That has {len(digits)} digits; order numbers have {DIGIT_COUNT}, "
            f"written like {EXAMPLE}."
        )
    return OrderNumber(digits)


def order_numbers_in(text: str) -> list[OrderNumber]:
    """Every well-formed order number in ``text``, each once, in the order they were written."""
    found: list[OrderNumber] = []
    for match in _WELL_FORMED.finditer(_ascii_digits(text)):
        number = OrderNumber("".join(ch for ch in match.group(0) if ch.isdigit()))
        if number not in found:
            found.append(number)
    return found
