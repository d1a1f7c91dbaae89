"""After an agent's action committed: a line in the shopper's chat and the confirmation email.

Both are the shopper's paper trail. The mail is built now and sent after the response
(mail/notify.py); a shopper without a usable address gets the chat line only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from fastapi import BackgroundTasks
from sqlalchemy.orm import Session

from ..api.schemas import CaseOut
from ..console.schemas import CertificateOut, RefundOut, ReshipOut
from ..mail import notify, templates
from ..mail.templates import Mail
from ..models import Agent, HandoffTicket
from ..store import get_store
from .conversation_control import say

log = logging.getLogger("tierline_desk.console")


def _recipient(session: Session, order_number: str) -> tuple[str | None, str | None]:
    order = get_store().order(session, order_number)
    if order is None:
        return None, None
    return order.customer.email, order.customer.name


MailFor = Callable[[str, str | None], Mail]


def _confirm(
    session: Session,
    tasks: BackgroundTasks,
    ticket: HandoffTicket,
    order_number: str,
    what: str,
    mail_for: MailFor,
    line: str,
) -> None:
    """Queue the confirmation mail (to the order's customer) and tell the chat it is coming."""
    to, name = _recipient(session, order_number)
    queued = to is not None and notify.schedule(tasks, what, lambda: mail_for(to, name))
    note = " A confirmation email is on its way." if queued else ""
    say(session, ticket.conversation_id, line + note)


def refund(
    session: Session,
    tasks: BackgroundTasks,
    agent: Agent,
    ticket: HandoffTicket,
    result: object,
) -> None:
    assert isinstance(result, RefundOut)
    _confirm(
        session,
        tasks,
        ticket,
        result.order_number,
        "refund",
        lambda to, name: templates.refund_issued(
            to=to,
            name=name,
            order_number=result.order_number,
            refund_id=result.refund_id,
            amount=result.amount,
            expected_by=result.expected_by,
            method=result.method,
        ),
        f"{agent.display_name} issued a refund of {templates.money(result.amount)} for order "
        f"{result.order_number} (refund {result.refund_id}).",
    )


def certificate(
    session: Session,
    tasks: BackgroundTasks,
    agent: Agent,
    ticket: HandoffTicket,
    result: object,
) -> None:
    assert isinstance(result, CertificateOut)
    value = f"{templates.money(result.amount)} off"
    _confirm(
        session,
        tasks,
        ticket,
        result.order_number,
        "certificate",
        lambda to, name: templates.promotional_certificate(
            to=to, name=name, code=result.code, value=value
        ),
        f"{agent.display_name} gave you a promotional certificate for {value} your next order: "
        f"code {result.code}.",
    )


def reship(
    session: Session,
    tasks: BackgroundTasks,
    agent: Agent,
    ticket: HandoffTicket,
    result: object,
) -> None:
    assert isinstance(result, ReshipOut)
    items = [f"{i.get('quantity', 1)} x {i.get('name', i.get('sku', ''))}" for i in result.items]
    _confirm(
        session,
        tasks,
        ticket,
        result.order_number,
        "reship",
        lambda to, name: templates.replacement_shipped(
            to=to,
            name=name,
            order_number=result.order_number,
            items=items,
            replacement_order_number=result.reship_id,
        ),
        f"{agent.display_name} is sending you a replacement for order {result.order_number} "
        f"({', '.join(items)}; reference {result.reship_id}).",
    )


def referred(session: Session, agent: Agent, ticket: HandoffTicket, case: CaseOut) -> None:
    say(
        session,
        ticket.conversation_id,
        f"{agent.display_name} passed your case to our Executive Customer Relations team "
        f"(case {case.case_number}). They work by email and will write to you there.",
    )
