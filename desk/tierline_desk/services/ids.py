"""Human-friendly identifiers."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Base

# No 0/O, 1/I/L: easy to read aloud and to type.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


# Ticket and case numbers are columns of 32 characters (PostgreSQL enforces it; SQLite doesn't).
PLACEHOLDER_PREFIX = "pending-"


def placeholder_number() -> str:
    """A unique stand-in (30 characters) until the row's id gives the real number."""
    return PLACEHOLDER_PREFIX + secrets.token_hex(11)


def random_code(length: int = 6) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def unique_random_id(
    session: Session, model: type[Base], column: str, prefix: str, length: int
) -> str:
    """``PREFIX-XXXXXX`` not yet used in ``model.column``."""
    col = getattr(model, column)
    for _ in range(50):
        candidate = f"{prefix}-{random_code(length)}"
        if session.scalar(select(col).where(col == candidate)) is None:
            return candidate
    raise RuntimeError(f"could not allocate a unique {prefix} id")  # pragma: no cover


def ticket_number(row_id: int) -> str:
    return f"T-{row_id:06d}"


def case_number(row_id: int) -> str:
    return f"CASE-{100000 + row_id}"
