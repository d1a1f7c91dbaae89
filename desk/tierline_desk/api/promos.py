"""Promo code checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query

from ..deps import SessionDep
from ..errors import ApiError
from ..models import PromoCode, utcnow
from ..responses import from_row
from ..store import get_store
from .schemas import PromoOut

router = APIRouter(prefix="/promo-codes", tags=["promo codes"])


def evaluate(promo: PromoCode, subtotal: Decimal | None) -> PromoOut:
    now = utcnow()
    reason: str | None = None
    if promo.expires_at is not None and now >= promo.expires_at:
        reason = "expired"
    elif promo.starts_at is not None and now < promo.starts_at:
        reason = "not_started"
    elif subtotal is not None and promo.min_spend is not None and subtotal < promo.min_spend:
        reason = "min_spend_not_met"
    return from_row(PromoOut, promo, valid=reason is None, reason=reason)


@router.get("/{code}", response_model=PromoOut)
def check_code(
    code: str,
    session: SessionDep,
    subtotal: Annotated[Decimal | None, Query(ge=0, max_digits=12, decimal_places=2)] = None,
) -> PromoOut:
    promo = get_store().promo_code(session, code.strip().upper())
    session.commit()  # what the store's adapter refreshed in its index (docs/store.md)
    if promo is None:
        raise ApiError(404, "promo_not_found", f"There is no promo code {code.strip().upper()}.")
    return evaluate(promo, subtotal)
