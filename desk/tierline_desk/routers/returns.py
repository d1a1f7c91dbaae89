"""Return authorisations (RMA)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from ..auth import ActorDep
from ..db import SessionDep
from ..schemas import ReturnOut, ReturnRequest
from ..services import orders as order_svc
from ..services import returns as svc

router = APIRouter(prefix="/returns", tags=["returns"])


@router.post("", response_model=ReturnOut, status_code=status.HTTP_201_CREATED)
def create_return(
    body: ReturnRequest, response: Response, session: SessionDep, actor: ActorDep
) -> ReturnOut:
    order = order_svc.get_owned_order(session, body.order_number, body, for_update=True)
    ret, created = svc.request_return(session, order, body.sku, body.reason, actor)
    if created:
        session.commit()
    else:
        response.status_code = status.HTTP_200_OK
    return svc.to_out(ret)
