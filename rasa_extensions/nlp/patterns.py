"""EntityRuler token patterns for the entities Tierline's NLU finds by rule.

spaCy's English tokenizer splits ``112-4839201-5573910`` into five tokens and
``112 4839201 5573910`` into three, but keeps ``112.4839201.5573910`` whole (and splits
``112. 4839201. 5573910`` into five), so each written form has its own pattern. Near-miss
order numbers (wrong group lengths, a letter among the digits) are labelled ``order_id``
too: the bot then explains exactly what is wrong instead of ignoring the number.
"""

from __future__ import annotations

from typing import Any

ORDER_ID = "order_id"
EMAIL = "email"
PHONE_NUMBER = "phone_number"
AMOUNT = "amount"
# Found by rasa_extensions.nlp.promo_extractor, which reads the whole message, not by the ruler.
PROMO_CODE = "promo_code"

ENTITY_LABELS = (ORDER_ID, EMAIL, PHONE_NUMBER, AMOUNT)

Pattern = dict[str, Any]

_DASH = {"ORTH": {"IN": ["-", "–", "—"]}}
# Between the groups of an order number: a dash, or a dot (112.4839201.5573910).
_ORDER_SEPARATOR = {"ORTH": {"IN": ["-", "–", "—", "."]}}
# A group an order number is made of: digits, possibly with a stray letter typed in.
_GROUP = r"^(?=[^\W_]*\d)[^\W_]{%d,%d}$"


def _regex(expression: str) -> dict[str, Any]:
    return {"TEXT": {"REGEX": expression}}


def _order_patterns() -> list[list[dict[str, Any]]]:
    well_formed = [_regex(r"^\d{3}$"), _regex(r"^\d{7}$"), _regex(r"^\d{7}$")]
    near_miss = [_regex(_GROUP % (2, 4)), _regex(_GROUP % (5, 9)), _regex(_GROUP % (5, 9))]
    sep = _ORDER_SEPARATOR
    return [
        # 112-4839201-5573910 / 112. 4839201. 5573910 / 112 4839201 5573910
        [well_formed[0], sep, well_formed[1], sep, well_formed[2]],
        well_formed,
        # 11248392015573910, and the dashed or dotted forms the tokenizer keeps whole
        # (112.4839201.5573910; en dashes, non-ASCII digits).
        [_regex(r"^\d{17}$")],
        [_regex(r"^\d{3}[-–—.]\d{7}[-–—.]\d{7}$")],
        # Near misses: wrong group lengths or a letter inside a group.
        [near_miss[0], sep, near_miss[1], sep, near_miss[2]],
        near_miss,
        [_regex(r"^[^\W_]{2,4}[-–—.][^\W_]{5,9}[-–—.][^\W_]{5,9}$")],
        # A long run of digits that is not a phone number.
        [_regex(r"^\d{14,22}$")],
    ]


def _phone_patterns() -> list[list[dict[str, Any]]]:
    # Not SHAPE: spaCy caps shapes at four characters, so "dddd" would also match 4839201.
    three, four = _regex(r"^\d{3}$"), _regex(r"^\d{4}$")
    country = {"TEXT": {"REGEX": r"^\+\d{1,3}$"}, "OP": "?"}
    return [
        [_regex(r"^\+?\d{10,13}$")],
        [country, three, three, four],
        [country, three, _DASH, three, _DASH, four],
        [country, {"ORTH": "("}, three, {"ORTH": ")"}, three, {"ORTH": "-", "OP": "?"}, four],
        [country, three, four, four],
        [country, _regex(r"^\d{2}$"), four, four],
        [country, four, _regex(r"^\d{6}$")],
    ]


def _amount_patterns() -> list[list[dict[str, Any]]]:
    number = {"LIKE_NUM": True}
    return [
        [{"ORTH": {"IN": ["$", "US$", "USD"]}}, number],
        [_regex(r"^\$\d[\d,]*(\.\d{1,2})?$")],
        [number, {"LOWER": {"IN": ["dollars", "dollar", "usd", "bucks"]}}],
    ]


def entity_ruler_patterns() -> list[Pattern]:
    """All EntityRuler patterns, labelled with the Rasa entity names."""
    groups = {
        ORDER_ID: _order_patterns(),
        EMAIL: [[{"LIKE_EMAIL": True}]],
        PHONE_NUMBER: _phone_patterns(),
        AMOUNT: _amount_patterns(),
    }
    return [
        {"label": label, "pattern": pattern}
        for label, patterns in groups.items()
        for pattern in patterns
    ]
