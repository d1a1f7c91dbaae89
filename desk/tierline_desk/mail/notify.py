"""What the routers call once their transaction has committed: pick the recipient, build the
mail now, send it after the response.

Why FastAPI ``BackgroundTasks``: the shopper (through the bot) is waiting for the answer, and
the answer never depends on the mail, so it should not wait up to SMTP_TIMEOUT_SECONDS for a
slow mail server. The message is fully built inside the request (the database session is still
open, and a template bug is caught here, not in a half-finished response); the task only talks
SMTP, and :func:`~.sender.send` never raises. Transcripts are the exception: their response says
whether the mail went out, so :mod:`.transcripts` sends synchronously.

Nothing here raises either: a mail that cannot even be prepared is logged and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import BackgroundTasks
from sqlalchemy.orm import Session

from ..api.schemas import CallbackOut, CaseOut, OrderOut, ReturnOut
from ..store import get_store
from . import templates
from .sender import build_message, is_address, mask_email, send
from .templates import Mail

log = logging.getLogger("tierline_desk.mail")

SPECIALIST_TEAM = "executive_customer_relations"


def schedule(tasks: BackgroundTasks, what: str, build: Callable[[], Mail | None]) -> bool:
    """Build a mail now and queue it to be sent after the response. True when queued."""
    try:
        mail = build()
        if mail is None:
            return False
        msg = build_message(mail)
    except Exception as exc:
        log.warning("could not prepare the %s mail: %s", what, type(exc).__name__)
        return False
    tasks.add_task(send, msg)
    return True


def _recipient(
    session: Session, email: str | None, customer_id: str | None, name: str | None
) -> tuple[str | None, str | None]:
    """(address, name): the address the shopper gave, else their customer record's."""
    customer = get_store().customer(session, customer_id) if customer_id else None
    if customer is not None:
        name = name or customer.name
    if email and is_address(email):
        return email, name
    if customer is not None and is_address(customer.email):
        return customer.email, name
    if email:
        log.info("not mailing %s: not a usable address", mask_email(email))
    return None, name


def return_authorized(tasks: BackgroundTasks, ret: ReturnOut, order: OrderOut) -> bool:
    return schedule(
        tasks,
        "return",
        lambda: templates.return_authorized(ret, to=order.customer.email, name=order.customer.name),
    )


def order_cancelled(tasks: BackgroundTasks, order: OrderOut, reason: str | None) -> bool:
    return schedule(tasks, "cancellation", lambda: templates.order_cancelled(order, reason=reason))


def callback_booked(tasks: BackgroundTasks, session: Session, cb: CallbackOut) -> bool:
    def build() -> Mail | None:
        to, name = _recipient(session, cb.email, cb.customer_id, None)
        if to is None:
            log.info("callback %s: no email address known, no confirmation mail", cb.callback_id)
            return None
        return templates.callback_booked(cb, to=to, name=name)

    return schedule(tasks, "callback", build)


def case_opened(tasks: BackgroundTasks, session: Session, case: CaseOut) -> bool:
    """Only cases for the specialists (executive customer relations answer by email)."""
    if case.team != SPECIALIST_TEAM:
        return False

    def build() -> Mail | None:
        customer: dict[str, Any] = case.customer or {}
        to, name = _recipient(
            session,
            _str(customer.get("email")),
            _str(customer.get("id")),
            _str(customer.get("name")),
        )
        if to is None:
            log.info("case %s: no email address known, no confirmation mail", case.case_number)
            return None
        return templates.specialist_case_opened(case, to=to, name=name)

    return schedule(tasks, "specialist case", build)


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
