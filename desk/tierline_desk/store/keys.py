"""The idempotency keys the desk passes with each write to the store.

A key names the *change*, not the attempt: a retry of the same change (the store did it, then
the desk's commit failed, and the shopper or agent asks again) carries the same key, so the
store does not do it twice. Keys are built from what the request asks for, never from ids the
desk generates per attempt (those are rolled back with a failed commit), except where nothing
else names the change (an agent action sent without an Idempotency-Key).
"""

from __future__ import annotations

import hashlib
import json

from ..api.schemas import AddressIn


def cancel(order_number: str) -> str:
    """An order is cancelled once."""
    return f"cancel:{order_number}"


def normalised_address(address: AddressIn) -> list[str]:
    """The address as the order will hold it: spaces collapsed, an empty name or second line
    the same as none (the country is upper-cased already: ``schemas.CountryCode``)."""
    fields = (
        address.name,
        address.line1,
        address.line2,
        address.city,
        address.region,
        address.postal_code,
        address.country,
    )
    return [" ".join((value or "").split()) for value in fields]


def address(order_number: str, new_address: AddressIn) -> str:
    """One key per (order, address asked for)."""
    canonical = json.dumps(normalised_address(new_address), separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return f"address:{order_number}:{digest}"


def quantity(order_number: str, sku: str, new_quantity: int) -> str:
    return f"quantity:{order_number}:{sku}:{new_quantity}"


def return_request(order_number: str, sku: str) -> str:
    """A line is returned once (the desk keeps one return per order and sku)."""
    return f"return:{order_number}:{sku}"


def agent_action(agent_id: int, request_key: str | None, row_id: str) -> str:
    """An agent's refund, certificate or reship: the agent's Idempotency-Key when the request
    had one (the console always sends it; the desk replays its stored result for a repeat),
    else the new row's own id (refund_id, code, reship_id)."""
    if request_key:
        return f"agent:{agent_id}:{request_key}"
    return row_id
