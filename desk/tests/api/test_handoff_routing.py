"""POST /api/v1/handoffs routing rules, through the HTTP API (docs/routing.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import put_online
from tests.utils.desk import SAM, audit_rows, code_of, fresh_rows, handoff
from tests.utils.mail_catcher import Catcher, catcher, text_of
from tierline_desk.models import Case, HandoffTicket, Order
from tierline_desk.settings import get_settings

__all__ = ["catcher"]  # the fixture, imported for use here

ALWAYS_OPEN = "Mon-Sun 00:00-24:00"
NY = "America/New_York"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LAPTOP_ORDER = "117-3141592-6535897"  # Priya: laptop SKU-LT-9100 1899.00, sleeve 29.99
SHOES_ORDER = "113-5550192-7781234"  # Maya: shoes SKU-RS-3310 89.95, jacket SKU-RJ-4420 74.50
TRADE_IN_ORDER = "118-2718281-8284590"  # Sam: trade-in iPhone 12, 350.00 credit pending


def configure(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name.upper(), value)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def routing_defaults(db: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The shipped routing defaults, whatever the developer's environment says."""
    configure(
        monkeypatch,
        business_hours=ALWAYS_OPEN,
        business_timezone=NY,
        max_wait_minutes="20",
        agent_online_seconds="120",
        specialist_item_threshold="1000.00",
        avg_handle_minutes="4",
    )
    yield


def set_price(session: Session, order_number: str, sku: str, price: str) -> None:
    order = session.get(Order, order_number)
    assert order is not None
    next(i for i in order.items if i.sku == sku).unit_price = Decimal(price)
    session.commit()


def tickets(session: Session) -> list[HandoffTicket]:
    return fresh_rows(session, select(HandoffTicket))


def cases_of(session: Session) -> list[Case]:
    return fresh_rows(session, select(Case).order_by(Case.id))


def decisions(session: Session) -> list[dict[str, Any]]:
    return [dict(r.details) for r in audit_rows(session, "handoff.route")]


def closed_today_hours() -> tuple[str, datetime]:
    """Hours open only on the weekday three days from now (New York): closed right now, and
    the next opening at 09:00 that day."""
    day = datetime.now(ZoneInfo(NY)).date() + timedelta(days=3)
    opens = datetime.combine(day, time(9, 0), tzinfo=ZoneInfo(NY)).astimezone(UTC)
    return f"{DAYS[day.weekday()]} 09:00-17:00", opens


# ------------------------------------------------------------------ (e) queued
def test_queued_when_open_and_an_agent_is_online(client: TestClient, session: Session) -> None:
    put_online(session, "alex")
    resp = handoff(client, "conv-q", order_number="112-4839201-5573910")
    assert resp.status_code == 201, resp.text
    assert resp.json() == {
        "outcome": "queued",
        "conversation_id": "conv-q",
        "ticket_number": "T-000001",
        "tier": 1,
        "status": "waiting",
        "queue_position": 1,
        "estimated_wait_minutes": 4,
        "case_number": None,
        "unavailable_reason": None,
        "business_hours": "Mon-Sun 00:00-24:00 America/New_York",
        "next_open_at": None,
    }
    [decision] = decisions(session)
    assert decision["outcome"] == "queued" and decision["ticket_number"] == "T-000001"
    assert decision["reason_code"] == "general" and decision["agents_online"] == 1
    assert decision["existing"] is False


# ------------------------------------------------------------------ (a) trade-in
def test_trade_in_opens_a_specialist_case_and_emails_the_shopper(
    client: TestClient, session: Session, catcher: Catcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even closed and with nobody online: the specialists answer by email.
    hours, _ = closed_today_hours()
    configure(monkeypatch, business_hours=hours)
    resp = handoff(
        client,
        "conv-trade",
        reason_code="trade_in",
        order_number=TRADE_IN_ORDER,
        customer={"id": "C-1004", "name": "Sam O'Connor"},
        reason="My trade-in credit never arrived",
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["outcome"] == "specialist_case"
    assert body["case_number"] == "CASE-100001"
    assert body["ticket_number"] is None and body["status"] is None and body["tier"] is None
    assert body["queue_position"] is None and body["unavailable_reason"] is None
    assert tickets(session) == []

    case = client.get("/api/v1/cases/CASE-100001").json()
    assert case["kind"] == "trade_in_credit"
    assert case["team"] == "executive_customer_relations"
    assert case["response_channel"] == "email"
    assert case["order_number"] == TRADE_IN_ORDER
    assert "My trade-in credit never arrived" in case["description"]
    assert "iPhone 12, 128 GB" in case["description"] and "350.00" in case["description"]
    assert "looked up the order" in case["description"]

    msg = catcher.only()
    assert msg["To"] == SAM["email"]
    assert msg["X-Tierline-Mail"] == "specialist_case_opened"
    assert msg["X-Tierline-Reference"] == "CASE-100001"
    assert "CASE-100001" in text_of(msg)

    [decision] = decisions(session)
    assert decision["outcome"] == "specialist_case" and decision["case_kind"] == "trade_in_credit"
    assert decision["case_number"] == "CASE-100001"

    # Asked again: the same case, no second case and no second mail.
    again = handoff(client, "conv-trade", reason_code="trade_in", order_number=TRADE_IN_ORDER)
    assert again.status_code == 200
    assert again.json()["case_number"] == "CASE-100001"
    assert len(cases_of(session)) == 1
    assert len(catcher.messages()) == 1
    assert decisions(session)[-1]["existing"] is True


# ------------------------------------------------------------------ (b) shipping error
@pytest.mark.parametrize(
    ("price", "outcome", "status_code"),
    [("999.99", "queued", 201), ("1000.00", "specialist_case", 201)],
)
def test_shipping_error_threshold_boundary(
    client: TestClient, session: Session, price: str, outcome: str, status_code: int
) -> None:
    put_online(session, "alex")
    set_price(session, LAPTOP_ORDER, "SKU-LT-9100", price)
    resp = handoff(
        client,
        "conv-ship",
        reason_code="shipping_error",
        order_number=LAPTOP_ORDER,
        sku="SKU-LT-9100",
        reason="They sent the wrong laptop",
    )
    assert resp.status_code == status_code, resp.text
    assert resp.json()["outcome"] == outcome
    [decision] = decisions(session)
    assert decision["unit_price"] == price and decision["specialist_item_threshold"] == "1000.00"
    if outcome == "specialist_case":
        [case] = cases_of(session)
        assert case.kind == "major_shipping_error"
        assert case.team == "executive_customer_relations" and case.response_channel == "email"
        assert "SKU-LT-9100" in case.description and "1000.00" in case.description
        assert tickets(session) == []
    else:
        assert cases_of(session) == []
        assert [t.ticket_number for t in tickets(session)] == [resp.json()["ticket_number"]]


def test_shipping_error_without_sku_is_about_the_most_expensive_item(
    client: TestClient, session: Session
) -> None:
    put_online(session, "alex")
    set_price(session, SHOES_ORDER, "SKU-RJ-4420", "1250.00")  # the jacket, second in the order
    resp = handoff(client, "conv-1", reason_code="shipping_error", order_number=SHOES_ORDER)
    assert resp.json()["outcome"] == "specialist_case"
    [case] = cases_of(session)
    assert "SKU-RJ-4420" in case.description and "SKU-RS-3310" not in case.description

    set_price(session, SHOES_ORDER, "SKU-RJ-4420", "74.50")
    other = handoff(client, "conv-2", reason_code="shipping_error", order_number=SHOES_ORDER)
    assert other.json()["outcome"] == "queued"
    assert decisions(session)[-1]["sku"] == "SKU-RS-3310"  # 89.95, now the dearest


def test_the_threshold_comes_from_the_environment(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_online(session, "alex")
    configure(monkeypatch, specialist_item_threshold="2000")
    body = {"reason_code": "shipping_error", "order_number": LAPTOP_ORDER}
    assert handoff(client, "conv-1", **body).json()["outcome"] == "queued"  # 1899.00 < 2000
    configure(monkeypatch, specialist_item_threshold="1899.00")
    assert handoff(client, "conv-2", **body).json()["outcome"] == "specialist_case"


def test_shipping_error_item_must_be_on_the_order(client: TestClient, session: Session) -> None:
    put_online(session, "alex")
    resp = handoff(
        client, "c", reason_code="shipping_error", order_number=LAPTOP_ORDER, sku="SKU-NOPE"
    )
    assert resp.status_code == 404 and code_of(resp) == "item_not_found"
    assert "SKU-NOPE" in resp.json()["detail"]["message"]
    unknown = handoff(client, "c", reason_code="shipping_error", order_number="999-9999999-9999999")
    assert unknown.status_code == 404 and code_of(unknown) == "order_not_found"
    no_order = handoff(client, "c", reason_code="shipping_error", sku="SKU-LT-9100")
    assert no_order.status_code == 422 and "order_number" in no_order.json()["detail"]["message"]
    assert code_of(handoff(client, "c", reason_code="lost_my_cat")) == "validation_error"
    assert tickets(session) == [] and cases_of(session) == []


def test_shipping_error_without_an_order_is_queued(client: TestClient, session: Session) -> None:
    put_online(session, "alex")
    resp = handoff(client, "conv-no-order", reason_code="shipping_error")
    assert resp.status_code == 201 and resp.json()["outcome"] == "queued"


# ------------------------------------------------------------------ (c) existing ticket
def test_an_existing_ticket_keeps_its_place_even_when_closed(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_online(session, "alex")
    handoff(client, "conv-a")
    first = handoff(client, "conv-b").json()
    assert first["queue_position"] == 2
    hours, _ = closed_today_hours()
    configure(monkeypatch, business_hours=hours)
    put_online(session, "alex", seconds_ago=3600)
    again = handoff(client, "conv-b", reason_code="complaint")
    assert again.status_code == 200
    assert again.json()["outcome"] == "queued"
    assert again.json()["ticket_number"] == first["ticket_number"]
    assert again.json()["queue_position"] == 2
    assert decisions(session)[-1]["existing"] is True
    assert len(tickets(session)) == 2


# ------------------------------------------------------------------ (d) unavailable
def test_outside_hours_is_unavailable_with_the_next_opening(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_online(session, "alex", "sam.lead")
    hours, opens = closed_today_hours()
    configure(monkeypatch, business_hours=hours)
    resp = handoff(client, "conv-night", order_number="112-4839201-5573910")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["outcome"] == "unavailable"
    assert body["unavailable_reason"] == "outside_hours"
    assert body["business_hours"] == f"{hours} America/New_York"
    assert datetime.fromisoformat(body["next_open_at"]) == opens
    assert body["ticket_number"] is None and body["status"] is None
    assert body["queue_position"] is None and body["estimated_wait_minutes"] is None
    assert body["tier"] == 1 and body["case_number"] is None
    assert tickets(session) == []
    [decision] = decisions(session)
    assert decision["outcome"] == "unavailable"
    assert decision["unavailable_reason"] == "outside_hours"
    assert audit_rows(session, "handoff.route")[0].order_number == "112-4839201-5573910"


def test_nobody_online_for_the_tier_is_unavailable(client: TestClient, session: Session) -> None:
    resp = handoff(client, "conv-1")
    assert resp.status_code == 200
    assert resp.json()["unavailable_reason"] == "no_agents_online"
    assert resp.json()["next_open_at"] is None
    put_online(session, "alex", seconds_ago=121)  # too long ago
    put_online(session, "jordan.ecr", "admin")  # they don't take tickets
    assert handoff(client, "conv-1").json()["unavailable_reason"] == "no_agents_online"
    put_online(session, "alex")  # an associate works tier 1 only
    assert handoff(client, "conv-2", tier=2).json()["unavailable_reason"] == "no_agents_online"
    assert handoff(client, "conv-1").json()["outcome"] == "queued"
    put_online(session, "sam.lead")
    assert handoff(client, "conv-2", tier=2).json()["outcome"] == "queued"
    assert [d["unavailable_reason"] for d in decisions(session)] == [
        "no_agents_online",
        "no_agents_online",
        "no_agents_online",
        None,
        None,
    ]


def test_a_long_wait_is_unavailable_unless_the_shopper_waits_anyway(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    put_online(session, "alex")
    configure(monkeypatch, max_wait_minutes="8")
    assert handoff(client, "c1").json()["estimated_wait_minutes"] == 4
    assert handoff(client, "c2").json()["estimated_wait_minutes"] == 8  # 8 is not above 8
    slow = handoff(client, "c3")
    assert slow.status_code == 200
    assert slow.json()["outcome"] == "unavailable"
    assert slow.json()["unavailable_reason"] == "long_wait"
    assert slow.json()["estimated_wait_minutes"] == 12
    assert slow.json()["queue_position"] is None and slow.json()["next_open_at"] is None
    assert len(tickets(session)) == 2

    waiting = handoff(client, "c3", wait_anyway=True)
    assert waiting.status_code == 201
    assert waiting.json()["outcome"] == "queued"
    assert waiting.json()["queue_position"] == 3
    assert waiting.json()["estimated_wait_minutes"] == 12
    assert decisions(session)[-1]["wait_anyway"] is True


def test_waiting_anyway_does_not_beat_closed_hours_or_an_empty_desk(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert handoff(client, "c", wait_anyway=True).json()["unavailable_reason"] == (
        "no_agents_online"
    )
    put_online(session, "alex")
    hours, _ = closed_today_hours()
    configure(monkeypatch, business_hours=hours)
    assert handoff(client, "c", wait_anyway=True).json()["unavailable_reason"] == "outside_hours"
    assert tickets(session) == []


# ------------------------------------------------------------------ email follow-up
def test_email_follow_up_cases_go_to_the_associates_by_email(
    client: TestClient, catcher: Catcher
) -> None:
    resp = client.post(
        "/api/v1/cases",
        json={
            "kind": "email_follow_up",
            "conversation_id": "conv-email",
            "customer": {"id": "C-1001", "email": "maya.chen@example.com"},
            "description": "The wait was long; please answer by email.",
        },
    )
    assert resp.status_code == 201
    body = resp.json()
    assert (body["kind"], body["team"], body["response_channel"]) == (
        "email_follow_up",
        "associates",
        "email",
    )
    assert catcher.messages() == []  # the specialists' "case opened" mail is theirs only
