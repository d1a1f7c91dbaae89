"""The builtin store: the desk's own tables (the demo data the importer loads) are the store.

Reads are the queries the services made before the port existed; there is no other copy to
refresh, so ``fresh`` changes nothing. Writes have nothing to do beyond the rows the service
changes itself, so they return no store reference (None), and a repeated idempotency key is
already harmless (the services check what the rows hold first).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..models import Customer, Order, PromoCode
from . import port


class BuiltinStore:
    """:class:`~tierline_desk.store.port.StorePort` over the desk's own tables."""

    name = "builtin"

    # ---- reads
    def order(
        self, session: Session, number: str, *, for_update: bool = False, fresh: bool = False
    ) -> Order | None:
        stmt = (
            select(Order)
            .where(Order.order_number == number)
            .options(selectinload(Order.items), selectinload(Order.refunds))
        )
        if for_update:
            stmt = stmt.with_for_update()
        return session.scalar(stmt)

    def customer(self, session: Session, customer_id: str) -> Customer | None:
        return session.get(Customer, customer_id)

    def customer_orders(self, session: Session, customer_id: str) -> list[Order]:
        stmt = (
            select(Order)
            .where(Order.customer_id == customer_id)
            .options(selectinload(Order.items), selectinload(Order.refunds))
            .order_by(Order.placed_at.desc(), Order.order_number)
        )
        return list(session.scalars(stmt))

    def promo_code(self, session: Session, code: str) -> PromoCode | None:
        return session.get(PromoCode, code.strip().upper())

    # ---- writes: the rows the service changes are the store's change
    def cancel_order(self, session: Session, change: port.CancelOrder) -> str | None:
        return None

    def change_address(self, session: Session, change: port.ChangeAddress) -> None:
        return None

    def change_quantity(self, session: Session, change: port.ChangeQuantity) -> None:
        return None

    def request_return(self, session: Session, change: port.RequestReturn) -> str | None:
        return None

    def refund(self, session: Session, change: port.RefundPayment) -> str | None:
        return None

    def refund_made(self, session: Session, order: Order, idempotency_key: str) -> str | None:
        return (
            None  # a builtin refund is the desk's own row: it commits with the desk or not at all
        )

    def issue_certificate(self, session: Session, change: port.IssueCertificate) -> str | None:
        return None

    def reship(self, session: Session, change: port.ReshipItems) -> str | None:
        return None
