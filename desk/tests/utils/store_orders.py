"""A fresh order for a test that changes one, in the store under test.

The session's Medusa is shared by every test (tests/utils/medusa_server.py), so a test that
cancels, edits, returns, refunds or reships must not touch the demo orders other tests read:
it asks for a new order "like" a demo order (same customer, items and state, a new number),
placed in the store under test:

- builtin: the rows the importer makes of that order (importer.import_data), in the test's own
  database;
- medusa: a real checkout through Medusa's Store API and the steps to its state, by the
  seeder's own code (store/medusa/seed.py), with the new number in its metadata; the desk's
  index learns of it like of any order it has not seen (a lookup finds it in Medusa).

``placed`` lists what was made, so a test about a customer's orders knows every order that
customer has in a store shared across tests.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from tierline_desk.importer import DEMO_FILE, OrderIn, import_data
from tierline_desk.importer import parse as parse_import
from tierline_desk.store.medusa.adapter import new_order_number
from tierline_desk.store.medusa.client import MedusaClient
from tierline_desk.store.medusa.seed import Seeder


def demo_raw(number: str) -> dict[str, Any]:
    """The demo order ``number`` as demo/orders.json has it."""
    data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
    for order in data["orders"]:
        if order["order_number"] == number:
            return dict(order)
    raise KeyError(number)


def copy_of(like: str, number: str) -> dict[str, Any]:
    """The demo order ``like`` under ``number``, its own ids (refunds, returns) left to draw."""
    raw = copy.deepcopy(demo_raw(like))
    raw["order_number"] = number
    for refund in raw.get("refunds") or []:
        refund.pop("refund_id", None)
    for item in raw.get("items") or []:
        if isinstance(item.get("return"), dict):
            item["return"].pop("rma_number", None)
    return raw


class OrderMaker(Protocol):
    @property
    def placed(self) -> list[tuple[str, str]]:
        """(customer id, order number) of every order made so far in this store."""
        ...

    def __call__(self, like: str) -> str:
        """A new order in the state of demo order ``like``; its number."""
        ...


@dataclass
class BuiltinOrders:
    """New orders in the test's own database, as the importer makes them."""

    session: Session
    placed: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, like: str) -> str:
        number = new_order_number()
        raw = copy_of(like, number)
        import_data(self.session, {"orders": [raw]}, source=f"copy of {like}")
        self.placed.append((raw["customer_id"], number))
        return number


@dataclass
class MedusaOrders:
    """New orders in the session's Medusa, through its Store API (the seeder's checkout)."""

    client: MedusaClient
    _placed: list[tuple[str, str]] = field(default_factory=list)
    _unnumbered: list[tuple[str, str]] = field(default_factory=list)  # (customer, Medusa id)
    _seeder: Seeder | None = None

    @property
    def placed(self) -> list[tuple[str, str]]:
        """With the numbers Medusa holds now for the orders placed without one (the desk gives
        them one when it sees them)."""
        out = list(self._placed)
        for customer_id, order_id in self._unnumbered:
            order = self.client.get(f"/admin/orders/{order_id}", {"fields": "id,metadata"})
            number = (order["order"].get("metadata") or {}).get("tierline_order_number")
            if isinstance(number, str):
                out.append((customer_id, number))
        return out

    def seeder(self) -> Seeder:
        if self._seeder is None:
            seeder = Seeder(self.client)
            seeder.setup()
            seeder.products()
            self._seeder = seeder
        return self._seeder

    def order_in(self, like: str, number: str) -> OrderIn:
        raw = copy_of(like, number)
        data = parse_import({"orders": [raw]}, f"copy of {like}", datetime.now(UTC))
        return data.orders[0]

    def __call__(self, like: str) -> str:
        number = new_order_number()
        seeder = self.seeder()
        o = self.order_in(like, number)
        order_id = seeder._place(o)
        seeder._bring_to_state(order_id, o)
        self._placed.append((o.customer_id, number))
        return number

    def place_unnumbered(self, like: str) -> str:
        """A checkout as any storefront makes it: no Tierline number; Medusa's order id."""
        o = self.order_in(like, new_order_number())
        seeder = self.seeder()
        original = seeder._order_metadata
        seeder._order_metadata = lambda _o: {}  # type: ignore[method-assign]
        try:
            order_id = seeder._place(o)
        finally:
            seeder._order_metadata = original  # type: ignore[method-assign]
        self._unnumbered.append((o.customer_id, order_id))
        return order_id

    def medusa_id(self, number: str) -> str:
        for row in self.client.list_all(
            "/admin/orders", "orders", {"fields": "id,metadata", "order": "-created_at"}
        ):
            if (row.get("metadata") or {}).get("tierline_order_number") == number:
                return str(row["id"])
        raise KeyError(number)
