"""After an agent's action committed: a line in the shopper's chat and the confirmation email.

Both are the shopper's paper trail. The mail is built now and sent after the response
(mail/notify.py); a shopper without a usable address gets the chat line only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Protocol

from fastapi import BackgroundTasks
from pydantic import BaseModel
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


class MailFor(Protocol):
    """Builds the confirmation mail once its recipient is known."""

    def __call__(self, *, to: str, name: str | None) -> Mail: ...


@dataclass(frozen=True)
class Notice:
    """What the shopper is told about a money action: the mail (to the order's customer) and
    the chat line."""

    order_number: str
    mail_for: MailFor
    line: str


def tell(
    session: Session, tasks: BackgroundTasks, ticket: HandoffTicket, what: str, notice: Notice
) -> None:
    """Queue the confirmation mail and tell the chat it is coming (``what``: the mail's kind
    in the log)."""
    to, name = _recipient(session, notice.order_number)
    queued = to is not None and notify.schedule(
        tasks, what, lambda: notice.mail_for(to=to, name=name)
    )
    note = " A confirmation email is on its way." if queued else ""
    say(session, ticket.conversation_id, notice.line + note)


def for_action(agent: Agent, result: BaseModel) -> Notice:
    """The notice of a committed refund, certificate or reship (``result``: what it returned)."""
    match result:
        case RefundOut():
            mail, line = _refund(agent, result)
        case CertificateOut():
            mail, line = _certificate(agent, result)
        case ReshipOut():
            mail, line = _reship(agent, result)
        case _:
            raise TypeError(f"no notice for {type(result).__name__}")
    return Notice(result.order_number, mail, line)


def _refund(agent: Agent, result: RefundOut) -> tuple[MailFor, str]:
    mail = partial(
        templates.refund_issued,
        order_number=result.order_number,
        refund_id=result.refund_id,
        amount=result.amount,
        expected_by=result.expected_by,
        method=result.method,
    )
    line = (
        f"{agent.display_name} issued a refund of {templates.money(result.amount)} for order "
        f"{result.order_number} (refund {result.refund_id})."
    )
    return mail, line


def _certificate(agent: Agent, result: CertificateOut) -> tuple[MailFor, str]:
    value = f"{templates.money(result.amount)} off"
    mail = partial(templates.promotional_certificate, code=result.code, value=value)
    line = (
        f"{agent.display_name} gave you a promotional certificate for {value} your next order: "
        f"code {result.code}."
    )
    return mail, line


def _reship(agent: Agent, result: ReshipOut) -> tuple[MailFor, str]:
    items = [f"{i.get('quantity', 1)} x {i.get('name', i.get('sku', ''))}" for i in result.items]
    mail = partial(
        templates.replacement_shipped,
        order_number=result.order_number,
        items=items,
        replacement_order_number=result.reship_id,
    )
    line = (
        f"{agent.display_name} is sending you a replacement for order {result.order_number} "
        f"({', '.join(items)}; reference {result.reship_id})."
    )
    return mail, line


def referred(session: Session, agent: Agent, ticket: HandoffTicket, case: CaseOut) -> None:
    say(
        session,
        ticket.conversation_id,
        f"{agent.display_name} passed your case to our Executive Customer Relations team "
        f"(case {case.case_number}). They work by email and will write to you there.",
    )
