"""The order statuses of the desk's API (docs/backend-api.md, ``Order.status``).

The desk validates them; the bot has a tracking answer for each.
"""

from __future__ import annotations

from typing import Literal, get_args

OrderStatus = Literal[
    "processing",
    "shipped",
    "out_for_delivery",
    "delivered",
    "delayed",
    "lost",
    "returned",
    "refunded",
    "cancelled",
]
ORDER_STATUSES: tuple[OrderStatus, ...] = get_args(OrderStatus)
