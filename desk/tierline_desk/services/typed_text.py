"""What a shopper types, made safe to relay: printable, and never a Rasa command.

Rasa treats a message whose text (after ``str.strip``) starts with ``/`` as a command
(``/intent{"entity": ...}``): NLU is skipped and the intent is forced. Only the payload of a
button the bot offered may do that (public/chat.py checks the offer and relays it as a command,
signed; rasa_extensions/channels/signed_rest.py refuses unsigned commands as a second line).
Typed text loses every leading run of slashes, slash look-alikes (full-width, fraction,
division...), spaces, zero-width and other invisible characters, however they are mixed, judged
on each character and on its NFKC form, so no normalisation further down can turn it back into
a command.
"""

from __future__ import annotations

import unicodedata

# Characters that look like a solidus (or normalise to one). NFKC maps U+FF0F and U+FE68-like
# forms to ASCII; the others survive NFKC, so they are listed.
SLASH_LOOKALIKES = frozenset(
    "/\uff0f\u2044\u2215\u29f8\u2571\u27cb\u2f03\u3033\u1735\u2cc6\u30ce\u31d3\u4e3f\U0001d23a"
)
# Invisible or spacing: stripped wherever they stand before the first real character.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})


def clean_text(text: str) -> str:
    """Printable text: drop control characters and lone surrogates (keep newlines and tabs),
    trim the ends; "" when only invisible format characters (zero-width...) are left."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cs")
    ).strip()
    if all(unicodedata.category(ch) == "Cf" or ch.isspace() for ch in kept):
        return ""
    return kept


def _leading_junk(ch: str) -> bool:
    """A slash-like, space-like or invisible character (itself or its NFKC form)."""
    if ch.isspace() or ch in SLASH_LOOKALIKES:
        return True
    if unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
        return True
    folded = unicodedata.normalize("NFKC", ch)
    return bool(folded) and folded != ch and all(_leading_junk(c) for c in folded)


def is_command_like(text: str) -> bool:
    """Would Rasa (or anything that normalises the text first) read this as ``/command``?"""
    for ch in unicodedata.normalize("NFKC", text):
        if ch.isspace() or unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
            continue
        return ch in SLASH_LOOKALIKES
    return False


def as_plain_text(text: str) -> str:
    """What a typed message becomes for Rasa: never a command, whatever it starts with.

    Only text that starts like a command is changed (every leading slash-like, space-like and
    invisible character goes); ordinary text is only trimmed. "" when nothing is left.
    """
    if not is_command_like(text) and not is_command_like(text.strip()):
        return text.strip()
    start = 0
    while start < len(text) and _leading_junk(text[start]):
        start += 1
    plain = text[start:].strip()
    # Belt and braces: a character whose NFKC form starts with a slash-like one.
    while plain and is_command_like(plain):
        plain = plain[1:].strip()
    return plain
