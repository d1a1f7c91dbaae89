"""How Medusa's orders reach the desk's index, and the desk when Medusa is down.

- The signed events route (public/store_events.py): a post without the right signature is
  refused before anything is read; a new order placed through Medusa's Store API, announced
  by Medusa's subscriber, gets a Tierline number and is found by the bot within seconds.
- The poller (store/medusa/poller.py) brings a change no event told the desk about.
- Two desks numbering one new order at once give it one number.
- A promo code checked is kept in the index: within STORE_CACHE_SECONDS it is answered from
  there, not asked of Medusa again.
- Medusa stopped: lookups and changes answer 503 ``store_unavailable`` and change nothing,
  in the index or the audit log; Medusa started again: the same request works.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.utils.console import BIG_ORDER, LoginFn, TicketFn, claimed_ticket, ticket_url
from tests.utils.desk import API_TOKEN, MAYA, PRIYA, audit_rows, code_of
from tests.utils.desk_server import serving
from tests.utils.medusa_server import MEDUSA_TIMEOUT, MedusaServer
from tests.utils.store_actions import lookup, order_action
from tests.utils.store_orders import MedusaOrders
from tests.utils.threads import run_together
from tierline_desk.db import get_session_factory
from tierline_desk.main import create_app
from tierline_desk.models import IdempotencyKey, Order, Refund
from tierline_desk.public.store_events import signature
from tierline_desk.settings import get_settings
from tierline_desk.store import get_store, reset_store
from tierline_desk.store.medusa import keys as k
from tierline_desk.store.medusa.adapter import MedusaStore

pytestmark = [
    pytest.mark.services,
    pytest.mark.timeout(MEDUSA_TIMEOUT),
    pytest.mark.parametrize("store_name", ["medusa"], indirect=True),
]

SHIPPED = "112-4839201-5573910"  # Maya's, shipped with UPS
PROCESSING = "114-2093847-1122334"
EVENTS = "/store/events/medusa"


def number_in_medusa(orders: MedusaOrders, order_id: str) -> str | None:
    order = orders.client.get(f"/admin/orders/{order_id}", {"fields": "id,metadata"})["order"]
    number = (order.get("metadata") or {}).get(k.ORDER_NUMBER)
    return number if isinstance(number, str) else None


def wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout:.0f} s")
        time.sleep(0.25)


# ------------------------------------------------------------------ the signed route
def test_an_event_without_the_right_signature_is_refused(
    client: TestClient, medusa_desk: MedusaServer, medusa_orders: MedusaOrders
) -> None:
    order_id = medusa_orders.place_unnumbered(like=PROCESSING)
    body = json.dumps({"event": "order.placed", "id": order_id, "order_id": order_id}).encode()
    secret = medusa_desk.events.secret
    for headers in (
        {},
        {"X-Tierline-Signature": signature("another secret", body)},
        {"X-Tierline-Signature": signature(secret, body + b" ")},
        {"X-Tierline-Signature": signature(secret, body).removeprefix("sha256=")},
    ):
        resp = client.post(EVENTS, content=body, headers=headers)
        assert resp.status_code == 401 and code_of(resp) == "bad_signature", headers
    assert number_in_medusa(medusa_orders, order_id) is None  # nothing was read or written
    # Signed: the order is read into the index, and gets its number.
    resp = client.post(
        EVENTS, content=body, headers={"X-Tierline-Signature": signature(secret, body)}
    )
    assert resp.status_code == 200, resp.text
    number = resp.json()["order_number"]
    assert number and number_in_medusa(medusa_orders, order_id) == number
    assert lookup(client, number, **MAYA).json()["status"] == "processing"


def test_a_store_api_order_is_numbered_and_found_by_the_bot_within_seconds(
    medusa_desk: MedusaServer, medusa_orders: MedusaOrders, store_name: str
) -> None:
    with serving(create_app()) as desk:
        medusa_desk.events.forward_to = desk + EVENTS
        try:
            start = time.monotonic()
            order_id = medusa_orders.place_unnumbered(like=PROCESSING)
            placed = time.monotonic()
            number = wait_for(
                lambda: number_in_medusa(medusa_orders, order_id), 30, "a Tierline number"
            )
            with httpx.Client(
                base_url=desk, headers={"Authorization": f"Bearer {API_TOKEN}"}
            ) as bot:
                found = bot.post("/api/v1/orders/lookup", json={"order_number": number, **MAYA})
            took = time.monotonic() - placed
        finally:
            medusa_desk.events.forward_to = None
    assert found.status_code == 200, found.text
    assert found.json()["order_number"] == number
    assert 200 in medusa_desk.events.forwarded
    print(f"\ncheckout {placed - start:.1f} s; numbered and found {took:.1f} s after it")
    assert took < 20


# ------------------------------------------------------------------ the poller
def test_the_poller_brings_a_change_no_event_told(
    client: TestClient,
    new_order: Any,
    medusa_orders: MedusaOrders,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    number = new_order(like=SHIPPED)
    assert lookup(client, number, **MAYA).json()["status"] == "shipped"  # in the index now
    monkeypatch.setenv("STORE_POLL_SECONDS", "1")
    get_settings.cache_clear()
    reset_store()
    with serving(create_app()):  # no event reaches this desk: forward_to is unset
        wait_for(lambda: get_store()._since is not None, 120, "the first pass")  # type: ignore[attr-defined]
        order = medusa_orders.client.get(
            f"/admin/orders/{medusa_orders.medusa_id(number)}", {"fields": "id,*fulfillments"}
        )["order"]
        (fulfillment,) = order["fulfillments"]
        medusa_orders.client.post(
            f"/admin/orders/{order['id']}/fulfillments/{fulfillment['id']}/mark-as-delivered"
        )

        def status() -> str | None:
            with get_session_factory()() as s:
                row = s.get(Order, number)
                return row.status if row is not None and row.status == "delivered" else None

        wait_for(status, 30, "the delivery, in the index")


# ------------------------------------------------------------------ one order, one number
def test_two_desks_numbering_one_order_at_once_give_it_one_number(
    medusa_desk: MedusaServer, medusa_orders: MedusaOrders, session: Session
) -> None:
    order_id = medusa_orders.place_unnumbered(like=PROCESSING)
    desks = [MedusaStore(medusa_desk.client()) for _ in range(2)]
    numbers: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def refresh(store: MedusaStore) -> None:
        try:
            with get_session_factory()() as s:
                start.wait()
                numbers.append(store.refresh(s, order_id))
                s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    run_together(refresh, [(d,) for d in desks], timeout=120)
    assert not errors, errors
    assert len(numbers) == 2 and numbers[0] == numbers[1]
    assert number_in_medusa(medusa_orders, order_id) == numbers[0]
    rows = session.scalar(
        select(func.count()).select_from(Order).where(Order.store_ref == order_id)
    )
    assert rows == 1


# ------------------------------------------------------------------ Medusa down
def test_medusa_down_is_503_with_nothing_changed_then_the_same_request_works(
    client: TestClient,
    login: LoginFn,
    make_ticket: TicketFn,
    new_order: Any,
    seeded_medusa: MedusaServer,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    processing = new_order(like=PROCESSING)
    big = new_order(like=BIG_ORDER)
    assert lookup(client, processing, **MAYA).status_code == 200  # both in the index
    assert lookup(client, big, **PRIYA).status_code == 200
    alex, ticket = claimed_ticket(login, make_ticket, order_number=big)
    monkeypatch.setenv("STORE_CACHE_SECONDS", "0")  # every lookup asks Medusa
    get_settings.cache_clear()
    reset_store()

    def snapshot() -> tuple[Any, ...]:
        session.expire_all()
        rows = [session.get(Order, n) for n in (processing, big)]
        assert all(r is not None for r in rows)
        return (
            [(r.status, r.synced_at, r.updated_at) for r in rows if r is not None],
            session.scalar(select(func.count()).select_from(Refund)),
            session.scalar(select(func.count()).select_from(IdempotencyKey)),
            len(audit_rows(session)),
        )

    before = snapshot()
    refund = {"amount": "10.00", "reason": "Scratched"}
    with seeded_medusa.stopped():
        for resp in (
            lookup(client, processing, **MAYA),
            order_action(client, processing, "cancel", MAYA),
            alex.post(ticket_url(ticket, "refund"), refund, key="down-1"),
        ):
            assert resp.status_code == 503 and code_of(resp) == "store_unavailable", resp.text
            assert resp.headers["Retry-After"] == "30"
        assert snapshot() == before
    # Medusa is back: the same requests work.
    assert lookup(client, processing, **MAYA).status_code == 200
    cancelled = order_action(client, processing, "cancel", MAYA)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    refunded = alex.post(ticket_url(ticket, "refund"), refund, key="down-1")
    assert refunded.status_code == 201, refunded.text


def test_a_checked_promo_code_is_answered_from_the_index_within_the_cache_time(
    client: TestClient, seeded_medusa: MedusaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STORE_CACHE_SECONDS", "600")
    get_settings.cache_clear()
    reset_store()
    first = client.get("/api/v1/promo-codes/WELCOME10", params={"subtotal": "30.00"})
    assert first.status_code == 200 and first.json()["valid"], first.text
    with seeded_medusa.stopped():
        again = client.get("/api/v1/promo-codes/WELCOME10", params={"subtotal": "30.00"})
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
