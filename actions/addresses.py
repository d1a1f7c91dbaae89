"""Reading a US shipping address typed on one line."""

from __future__ import annotations

import re
from typing import Any

_ADDRESS = re.compile(
    r"^\s*(?P<line1>\d+[^,]*?)\s*,\s*(?:(?P<line2>[^,]+?)\s*,\s*)?(?P<city>[^,\d]+?)\s*,?\s+"
    r"(?P<region>[A-Za-z]{2})\.?\s*,?\s+(?P<postal_code>\d{5}(?:-\d{4})?)\s*\.?\s*$"
)


def parse_address(text: str) -> dict[str, Any] | None:
    """Street, [unit,] city, state and ZIP, or None if the text is not such an address."""
    match = _ADDRESS.match(text)
    if match is None:
        return None
    parts = {k: (v.strip() if v else None) for k, v in match.groupdict().items()}
    parts["region"] = str(parts["region"]).upper()
    parts["country"] = "US"
    return parts


def one_line(address: dict[str, Any]) -> str:
    street = ", ".join(p for p in (address.get("line1"), address.get("line2")) if p)
    return f"{street}, {address.get('city')}, {address.get('region')} {address.get('postal_code')}"
