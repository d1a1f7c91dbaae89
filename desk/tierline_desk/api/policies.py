"""Store policies the bot explains, read from the same settings the rules enforce."""

from __future__ import annotations

from fastapi import APIRouter

from ..settings import get_settings
from .schemas import ReturnPolicyOut

router = APIRouter(prefix="/policies", tags=["policies"])


@router.get("/returns", response_model=ReturnPolicyOut)
def return_policy() -> ReturnPolicyOut:
    return ReturnPolicyOut(window_days=get_settings().return_window_days)
