"""The services' side of the port (store/port.py), with stand-in adapters (helpers.py):
a write the store fails or refuses changes no row and maps to the desk's error shape; a write
that succeeds carries the change's idempotency key and leaves the store's reference on the row.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.utils.console import (
    BIG_ORDER,
    LoginFn,
    TicketFn,
    claimed_ticket,
    ticket_url,
)
from tests.utils.desk import MAYA, audit_rows, code_of
from tests.utils.store_actions import (
    FailingStore,
    RecordingStore,
    ask_return,
    lookup,
    order_action,
)
from tierline_desk.api.schemas import AddressIn
from tierline_desk.console.schemas import MoneyActionIn
from tierline_desk.models import (
    Agent,
    Certificate,
    IdempotencyKey,
    Order,
    Refund,
    Reship,
    Return,
)
from tierline_desk.services import agent_actions
from tierline_desk.store import StorePort, StoreRefused, StoreUnavailable, keys
from tierline_desk.store.builtin import BuiltinStore

# The services and stand-in adapters: nothing here depends on the store under test.
pytestmark = pytest.mark.parametrize("store_name", ["builtin"], indirect=True)

UseStore = Callable[[StorePort], None]
DELIVERED = "113-5550192-7781234"
PROCESSING = "114-2093847-1122334"
ADDRESS = {"line1": "1 Main St", "city": "Springfield", "region": "IL", "postal_code": "62701"}
ERRORS: dict[str, StoreUnavailable | StoreRefused] = {
    "unavailable": StoreUnavailable("the change"),
    "refused": StoreRefused("the change", "order is locked by another edit"),
}


def _count(session: Session, model: type[object]) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _assert_store_error(resp: Response, kind: str) -> None:
    if kind == "unavailable":
        assert resp.status_code == 503 and code_of(resp) == "store_unavailable"
        assert resp.headers["Retry-After"] == "30"
    else:
        assert resp.status_code == 409 and code_of(resp) == "store_refused"
        assert resp.json()["detail"]["store_reason"] == "order is locked by another edit"
    assert "Nothing was changed" in resp.json()["detail"]["message"]


# ------------------------------------------------------------------ a failed write changes nothing
@pytest.mark.parametrize("kind", list(ERRORS))
def test_a_failed_cancel_changes_nothing(
    client: TestClient, session: Session, use_store: UseStore, kind: str
) -> None:
    store = FailingStore(ERRORS[kind])
    use_store(store)
    before = _count(session, Refund)
    _assert_store_error(order_action(client, PROCESSING, "cancel", MAYA), kind)
    assert store.writes == ["cancel_order"]
    order = session.get(Order, PROCESSING)
    assert order is not None and order.status == "processing" and order.cancelled_at is None
    assert _count(session, Refund) == before
    assert audit_rows(session, "order.cancel") == []


@pytest.mark.parametrize("kind", list(ERRORS))
def test_failed_address_and_quantity_changes_change_nothing(
    client: TestClient, session: Session, use_store: UseStore, kind: str
) -> None:
    use_store(FailingStore(ERRORS[kind]))
    resp = order_action(client, PROCESSING, "shipping-address", {**MAYA, "address": ADDRESS})
    _assert_store_error(resp, kind)
    resp = order_action(client, PROCESSING, "items/SKU-CF-5200/quantity", {**MAYA, "quantity": 0})
    _assert_store_error(resp, kind)
    use_store(BuiltinStore())
    now = lookup(client, PROCESSING, **MAYA).json()
    assert now["shipping_address"]["line1"] != ADDRESS["line1"]
    assert {i["sku"]: i["quantity"] for i in now["items"]} == {"SKU-CG-5100": 1, "SKU-CF-5200": 2}
    assert audit_rows(session, "order.address_change") == []
    assert audit_rows(session, "order.quantity_change") == []


def test_a_failed_return_changes_nothing(
    client: TestClient, session: Session, use_store: UseStore
) -> None:
    use_store(FailingStore(ERRORS["unavailable"]))
    before = _count(session, Return)
    _assert_store_error(ask_return(client, DELIVERED, "SKU-RS-3310", **MAYA), "unavailable")
    assert _count(session, Return) == before
    order = session.get(Order, DELIVERED)
    assert order is not None and all(i.return_status is None for i in order.items)
    assert audit_rows(session, "return.create") == []


AGENT_ACTIONS = {
    "refund": ({"amount": "10.00", "reason": "r"}, Refund),
    "certificate": ({"amount": "10.00", "reason": "r"}, Certificate),
    "reship": ({"items": [{"sku": "SKU-LS-9110"}], "reason": "r"}, Reship),
}


@pytest.mark.parametrize("action", list(AGENT_ACTIONS))
def test_a_failed_agent_action_changes_nothing_and_its_key_can_be_retried(
    login: LoginFn,
    make_ticket: TicketFn,
    session: Session,
    use_store: UseStore,
    action: str,
) -> None:
    body, model = AGENT_ACTIONS[action]
    alex, ticket = claimed_ticket(login, make_ticket)
    use_store(FailingStore(ERRORS["unavailable"]))
    before = _count(session, model)
    _assert_store_error(alex.post(ticket_url(ticket, action), body, key="k-1"), "unavailable")
    assert _count(session, model) == before
    assert _count(session, IdempotencyKey) == 0  # not remembered: a retry runs again
    assert audit_rows(session, f"agent.{action}") == []
    use_store(BuiltinStore())  # the store is back: the same key now acts, once
    assert alex.post(ticket_url(ticket, action), body, key="k-1").status_code == 201
    assert _count(session, model) == before + 1


# ------------------------------------------------------------------ keys and store references
def test_a_cancel_reads_the_store_and_keeps_its_refund_reference(
    client: TestClient, session: Session, use_store: UseStore
) -> None:
    store = RecordingStore()
    use_store(store)
    lookup(client, PROCESSING, **MAYA)
    assert order_action(client, PROCESSING, "cancel", MAYA).status_code == 200
    assert order_action(client, PROCESSING, "cancel", MAYA).status_code == 200  # a repeat
    # A lookup reads the index; a change reads the store, under the row lock.
    assert store.reads == [(PROCESSING, False, False), *[(PROCESSING, True, True)] * 2]
    assert store.keys == [("cancel_order", f"cancel:{PROCESSING}")]  # the repeat: no write
    session.expire_all()
    (refund,) = session.scalars(select(Refund).where(Refund.order_number == PROCESSING))
    assert refund.store_ref == "cancel_order_ref"


def test_address_quantity_and_return_keys(
    client: TestClient, session: Session, use_store: UseStore
) -> None:
    store = RecordingStore()
    use_store(store)
    order_action(client, PROCESSING, "shipping-address", {**MAYA, "address": ADDRESS})
    order_action(client, PROCESSING, "items/SKU-CF-5200/quantity", {**MAYA, "quantity": 5})
    order_action(client, PROCESSING, "items/SKU-CF-5200/quantity", {**MAYA, "quantity": 5})
    assert ask_return(client, DELIVERED, "SKU-RS-3310", **MAYA).status_code == 201
    assert ask_return(client, DELIVERED, "SKU-RS-3310", **MAYA).status_code == 200
    assert store.keys == [
        ("change_address", keys.address(PROCESSING, AddressIn.model_validate(ADDRESS))),
        ("change_quantity", f"quantity:{PROCESSING}:SKU-CF-5200:5"),
        ("request_return", f"return:{DELIVERED}:SKU-RS-3310"),
    ]
    session.expire_all()
    ret = session.scalars(select(Return).where(Return.order_number == DELIVERED)).one()
    assert ret.store_ref == "request_return_ref"


def test_agent_actions_key_by_the_request_and_keep_the_store_reference(
    login: LoginFn, make_ticket: TicketFn, session: Session, use_store: UseStore
) -> None:
    alex, ticket = claimed_ticket(login, make_ticket)
    alex_id = session.scalars(select(Agent.id).where(Agent.username == "alex")).one()
    store = RecordingStore()
    use_store(store)
    for action, (body, _model) in AGENT_ACTIONS.items():
        assert alex.post(ticket_url(ticket, action), body, key=f"{action}-1").status_code == 201
        assert alex.post(ticket_url(ticket, action), body, key=f"{action}-1").status_code == 201
    assert store.keys == [
        ("refund", f"agent:{alex_id}:refund-1"),
        ("issue_certificate", f"agent:{alex_id}:certificate-1"),
        ("reship", f"agent:{alex_id}:reship-1"),
    ]
    assert (BIG_ORDER, False, True) in store.reads  # acted on the order as the store has it
    session.expire_all()
    by_ticket = Refund.ticket_number == ticket.ticket_number
    assert [r.store_ref for r in session.scalars(select(Refund).where(by_ticket))] == ["refund_ref"]
    assert [c.store_ref for c in session.scalars(select(Certificate))] == ["issue_certificate_ref"]
    assert [r.store_ref for r in session.scalars(select(Reship))] == ["reship_ref"]


def test_an_agent_action_without_a_request_key_is_keyed_by_its_row(
    make_ticket: TicketFn, session: Session, use_store: UseStore
) -> None:
    store = RecordingStore()
    use_store(store)
    ticket = make_ticket(tier=1, order_number=BIG_ORDER)
    alex = session.scalars(select(Agent).where(Agent.username == "alex")).one()
    agent_actions.claim(session, alex, ticket)
    body = MoneyActionIn(amount=Decimal("5.00"), reason="goodwill")
    out = agent_actions.refund(session, alex, ticket, body)
    cert = agent_actions.certificate(session, alex, ticket, body)
    session.commit()
    assert store.keys == [("refund", out.refund_id), ("issue_certificate", cert.code)]
