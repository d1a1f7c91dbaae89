"""An agent's action the store made while the desk's commit failed, then retried: the first
attempt is done by the desk's service in a transaction that is rolled back ("the store did it,
the desk's commit failed"), the retry with the same Idempotency-Key goes through the console.
For the adapters' tests (tests/store/medusa/test_adapter.py); ``retried_action`` is a fixture
(imported into tests/store/conftest.py) on that suite's ``login``, ``make_ticket`` and
``new_order``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from tests.utils.console import AgentClient, LoginFn, TicketFn, claimed_ticket, ticket_url
from tests.utils.store_orders import OrderMaker
from tierline_desk.console.schemas import MoneyActionIn, ReshipIn
from tierline_desk.db import get_session_factory
from tierline_desk.models import Agent, HandoffTicket
from tierline_desk.services import agent_actions


@dataclass(frozen=True)
class Retried:
    """On a new order ``number``, Alex (``alex``, agent id ``agent_id``) claimed ``ticket`` and
    did the action: ``lost`` is what the lost attempt returned, ``resp`` the retry's response
    (a 201)."""

    number: str
    alex: AgentClient
    agent_id: int
    ticket: HandoffTicket
    resp: Any
    lost: Any


# (like: the demo order the new one copies, action, the console's body, Idempotency-Key)
RetryFn = Callable[[str, str, dict[str, Any], str], Retried]


def lost_attempt(ticket: HandoffTicket, action: str, body: Any, key: str) -> Any:
    """The agent's action done by the desk's service, then its transaction rolled back."""
    with get_session_factory()() as s:
        agent = s.scalars(select(Agent).where(Agent.username == "alex")).one()
        own_ticket = s.get(HandoffTicket, ticket.id)
        assert own_ticket is not None
        out = getattr(agent_actions, action)(s, agent, own_ticket, body, request_key=key)
        s.rollback()
        return out


@pytest.fixture
def retried_action(login: LoginFn, make_ticket: TicketFn, new_order: OrderMaker) -> RetryFn:
    """A new order like ``like``; Alex claims a ticket on it and does ``action``: the first
    attempt is lost (:func:`lost_attempt`), the retry with the same key succeeds."""

    def retry(like: str, action: str, body: dict[str, Any], key: str) -> Retried:
        number = new_order(like=like)
        alex, ticket = claimed_ticket(login, make_ticket, order_number=number)
        model = ReshipIn if action == "reship" else MoneyActionIn
        lost = lost_attempt(ticket, action, model.model_validate(body), key)
        resp = alex.post(ticket_url(ticket, action), body, key=key)
        assert resp.status_code == 201, resp.text
        with get_session_factory()() as s:
            agent_id = s.scalars(select(Agent.id).where(Agent.username == "alex")).one()
        return Retried(number, alex, agent_id, ticket, resp, lost)

    return retry
