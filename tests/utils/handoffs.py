"""A person asked for: the desk's answer to a handoff, and a request kept for later."""

from __future__ import annotations

from typing import Any

from tests.utils.orders import ORDER_NUMBER

# A handoff the desk queued.
TICKET: dict[str, Any] = {
    "outcome": "queued",
    "ticket_number": "T-000123",
    "tier": 1,
    "status": "waiting",
    "queue_position": 3,
    "estimated_wait_minutes": 12,
    "conversation_id": "conv-1",
    "case_number": None,
    "unavailable_reason": None,
    "business_hours": "Mon-Fri 09:00-18:00 America/New_York",
    "next_open_at": None,
}

# A handoff request nobody could take yet, kept while the shopper chooses what to do.
PENDING: dict[str, Any] = {
    "tier": 1,
    "reason": f"Item arrived damaged on order {ORDER_NUMBER}",
    "reason_code": "shipping_error",
    "sku": "SKU-1",
    "order_number": ORDER_NUMBER,
}
