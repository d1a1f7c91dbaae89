"""Delivery problem reports from the bot, and recurring delivery-route detection per ZIP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from ..deps import ActorDep, SessionDep
from ..services import delivery_reports as svc
from .schemas import DeliveryReportCreated, DeliveryReportOut, DeliveryReportRequest

router = APIRouter(prefix="/delivery-reports", tags=["delivery reports"])


@router.post("", response_model=DeliveryReportCreated, status_code=status.HTTP_201_CREATED)
def create_report(
    body: DeliveryReportRequest, session: SessionDep, actor: ActorDep
) -> DeliveryReportCreated:
    reported = svc.report(session, body, actor)
    session.commit()
    return svc.created_out(reported)


@router.get("", response_model=list[DeliveryReportOut])
def list_reports(
    session: SessionDep,
    postal_code: Annotated[str | None, Query(max_length=20)] = None,
) -> list[DeliveryReportOut]:
    return [svc.to_out(r) for r in svc.list_reports(session, postal_code)]
