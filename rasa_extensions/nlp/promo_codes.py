"""Promo codes in what a shopper wrote: WELCOME10, save50, 10OFF, FREESHIP, "the code freeship".

The one reading of a code, used by the NLU (:mod:`rasa_extensions.nlp.promo_extractor`, the
``promo_code`` entity) and by the promo form (:mod:`actions.promos`, a code typed on its own).
Pure Python: importing it loads neither spaCy nor Rasa.

What counts as a code, strongest first:
1. a word with letters and digits: letters then digits in any case (SAVE50, welcome10,
   Spring15), or capitals mixed with digits (10OFF, B2G1FREE);
2. a quoted word ("freeship");
3. the word right after "code", "coupon", "voucher" or "promo" ("the code freeship", "my code
   is FreeShip"), or right before "code", "coupon" or "voucher" ("the FreeShip code");
4. a word in capitals (FREESHIP), unless the whole message is in capitals (a shout is not a
   list of codes).
Ordinary words (PLEASE, ASAP, UPS, "the discount code", "zip code") are never codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
# Emails and links: their parts are never codes.
_SKIP = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)
_LETTERS_THEN_DIGITS = re.compile(r"[A-Za-z]{3,15}\d{1,4}")
_CAPITALS_AND_DIGITS = re.compile(r"(?=[A-Z]*\d)(?=(?:\d*[A-Z]){3})[A-Z0-9]{4,20}")
_CAPITALS = re.compile(r"[A-Z]{4,15}")
_WORD = re.compile(r"[A-Za-z]{4,15}")
_QUOTED = re.compile(r"[\"'“‘]([A-Za-z0-9]{4,20})[\"'”’]")
_CUES_BEFORE = {"code", "codes", "coupon", "voucher", "promo", "promocode"}
_CUES_AFTER = {"code", "coupon", "voucher"}
_FILLERS = {"is", "was", "called", "named", "of", ":", "-"}

# Words that sit next to "code" or appear in capitals without being a code.
_ORDINARY_TEXT = """
    about access again all already also always amex another anymore area arent asap back
    birthday booking broken cancel cant cheat check code codes color colour confirmation
    correct country coupon coupons customer discount discounts does doesn dont dress either
    email entire error expired expires fedex first free friday from gift gives have hello
    help holiday invalid isnt itself just keeps klarna last late mastercard member military
    monday money never none nope number okay online only order other paypal please postal
    product promo promos promotion qr really reference referral refund reset right sale
    saturday says second secret security shipping shop shows some source special still
    student sunday super sure thanks that the their them then there these this thursday
    today tracking tuesday unique urgent usps valid verification visa voucher wasnt
    wednesday welcome what when where which whole why with wont work working works wrong
    yeah your youre
"""
ORDINARY_WORDS = frozenset(_ORDINARY_TEXT.split())


@dataclass(frozen=True)
class PromoCode:
    """A code found in a text: its normalised form (capitals) and where it was written."""

    code: str
    start: int
    end: int


_ORDINARY_ENDINGS = ("ed", "en", "ing", "ly", "nt")


def _ordinary(word: str) -> bool:
    """A common word; a lowercase word ending like a verb or adverb ("given", "applied")."""
    plain = word.lower().replace("'", "")
    return plain in ORDINARY_WORDS or (word.islower() and plain.endswith(_ORDINARY_ENDINGS))


def _shaped(word: str) -> bool:
    return bool(_LETTERS_THEN_DIGITS.fullmatch(word) or _CAPITALS_AND_DIGITS.fullmatch(word))


def _shouting(words: list[str]) -> bool:
    letters = [w for w in words if any(ch.isalpha() for ch in w)]
    return len(letters) >= 3 and not any(ch.islower() for w in letters for ch in w)


def _tokens(text: str) -> list[re.Match[str]]:
    skipped = [m.span() for m in _SKIP.finditer(text)]
    return [
        m
        for m in _TOKEN.finditer(text)
        if not any(start <= m.start() < end for start, end in skipped)
    ]


def _found(match: re.Match[str], group: int = 0) -> PromoCode:
    return PromoCode(match.group(group).upper(), match.start(group), match.end(group))


def _next_to_cue(tokens: list[re.Match[str]]) -> PromoCode | None:
    words = [t.group().lower() for t in tokens]
    for i, word in enumerate(words):
        if word in _CUES_BEFORE:
            after = i + 1
            while after < len(words) and words[after] in _FILLERS:
                after += 1
            if after < len(tokens):
                candidate = tokens[after]
                if _WORD.fullmatch(candidate.group()) and not _ordinary(candidate.group()):
                    return _found(candidate)
        if word in _CUES_AFTER and i > 0:
            candidate = tokens[i - 1]
            if _WORD.fullmatch(candidate.group()) and not _ordinary(candidate.group()):
                return _found(candidate)
    return None


def find_promo_code(text: str, expecting_code: bool = False) -> PromoCode | None:
    """The promo code in ``text``, or None.

    ``expecting_code``: the bot has just asked for a code, so a single word on its own
    ("freeship") is taken as one too.
    """
    tokens = _tokens(text)
    words = [t.group() for t in tokens]
    for token in tokens:
        if _shaped(token.group()):
            return _found(token)
    for quoted in _QUOTED.finditer(text):
        if not _ordinary(quoted.group(1)):
            return _found(quoted, 1)
    beside_cue = _next_to_cue(tokens)
    if beside_cue is not None:
        return beside_cue
    if not _shouting(words):
        for token in tokens:
            if _CAPITALS.fullmatch(token.group()) and not _ordinary(token.group()):
                return _found(token)
    alone = expecting_code and len(tokens) == 1 and text.strip() == words[0]
    if alone and _WORD.fullmatch(words[0]) and not _ordinary(words[0]):
        return _found(tokens[0])
    return None
