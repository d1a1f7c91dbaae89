"""Return authorisations (RMA)."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response, status

from ..deps import ActorDep, SessionDep
from ..mail import notify
from ..services import orders as order_svc
from ..services import returns as svc
from .schemas import ReturnOut, ReturnRequest

router = APIRouter(prefix="/returns", tags=["returns"])


@router.post("", response_model=ReturnOut, status_code=status.HTTP_201_CREATED)
def create_return(
    body: ReturnRequest,
    response: Response,
    session: SessionDep,
    actor: ActorDep,
    background: BackgroundTasks,
) -> ReturnOut:
    order = order_svc.get_owned_order(session, body.order_number, body, for_update=True)
    ret, created = svc.request_return(session, order, body.sku, body.reason, actor)
    # The new return; or, for a repeat, what the store's fresh read put in the index (a return
    # the store has, which a failed commit kept from the desk).
    session.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    out = svc.to_out(ret)
    if created:  # mailed after the commit and the response; a repeat mails nothing
        notify.return_authorized(background, out, order_svc.to_out(order))
    return out
