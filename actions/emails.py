"""Finding the email address in what a shopper typed."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[^@\s<>(),;:\"']+@[^@\s<>(),;:\"']+\.[A-Za-z]{2,}")


def find_email(text: str) -> str | None:
    """The first email address in ``text``, lower-cased, or None."""
    found = _EMAIL.search(text)
    return found.group(0).strip(".").lower() if found else None
