"""Cases for the associates or executive customer relations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, status
from sqlalchemy import select

from ..deps import ActorDep, SessionDep
from ..mail import notify
from ..models import Case
from ..services import cases as svc
from .schemas import CaseCreated, CaseOut, CaseRequest

router = APIRouter(prefix="/cases", tags=["cases"])


@router.post("", response_model=CaseCreated, status_code=status.HTTP_201_CREATED)
def open_case(
    body: CaseRequest, session: SessionDep, actor: ActorDep, background: BackgroundTasks
) -> CaseCreated:
    case = svc.create(session, body, actor)
    session.commit()
    out = svc.to_out(case)
    notify.case_opened(background, session, out)  # specialist cases only; after the response
    return CaseCreated.model_validate(out.model_dump())


@router.get("", response_model=list[CaseOut])
def list_cases(
    session: SessionDep,
    status_filter: Annotated[str | None, Query(alias="status", max_length=16)] = None,
) -> list[CaseOut]:
    stmt = select(Case).order_by(Case.id)
    if status_filter:
        stmt = stmt.where(Case.status == status_filter)
    return [svc.to_out(c) for c in session.scalars(stmt)]


@router.get("/{case_number}", response_model=CaseOut)
def get_case(case_number: str, session: SessionDep) -> CaseOut:
    return svc.to_out(svc.by_number(session, case_number))
