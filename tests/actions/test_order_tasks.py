from __future__ import annotations

from typing import Any

import pytest
import respx
from rasa_sdk.executor import CollectingDispatcher
from tierline_common.orders import ORDER_STATUSES

from actions.order_tasks import ActionHandleOrderTask
from actions.orders import TASK_SLOTS
from tests.utils.desk import (
    CASES,
    DESK_FAILURES,
    DESK_TOKEN,
    HANDOFFS,
    LOOKUP,
    desk_error,
    failing,
    sent_json,
)
from tests.utils.handoffs import TICKET
from tests.utils.orders import (
    CUSTOMER_ID,
    EMAIL,
    ORDER_NUMBER,
    make_item,
    make_order,
    past_deadline,
    verified_slots,
)
from tests.utils.trackers import (
    assert_first_message,
    has_pause,
    make_tracker,
    responses,
    slot_events,
    user_event,
)

RETURNS = "/api/v1/returns"
CANCEL = f"/api/v1/orders/{ORDER_NUMBER}/cancel"
ADDRESS = f"/api/v1/orders/{ORDER_NUMBER}/shipping-address"

action = ActionHandleOrderTask()


def quantity_path(sku: str) -> str:
    return f"/api/v1/orders/{ORDER_NUMBER}/items/{sku}/quantity"


async def run_task(
    dispatcher: CollectingDispatcher,
    order: dict[str, Any],
    task: str,
    events: list[dict[str, Any]] | None = None,
    text: str | None = None,
    intent: str | None = None,
    **slots: Any,
) -> list[dict[str, Any]]:
    tracker = make_tracker(
        slots=verified_slots(order, order_task=task, **slots),
        events=events,
        text=text,
        intent=intent,
    )
    return await action.run(dispatcher, tracker, {})


def assert_task_slots_reset(events: list[dict[str, Any]]) -> None:
    slots = slot_events(events)
    for slot in TASK_SLOTS:
        assert slot in slots and slots[slot] is None, slot


# ------------------------------------------------------------------ not verified


async def test_unverified_order_does_nothing(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(slots={"order_task": "cancel", "order_id": ORDER_NUMBER})
    events = await action.run(dispatcher, tracker, {})
    assert dispatcher.messages == []
    assert not desk.calls
    assert_task_slots_reset(events)


async def test_locked_shopper_is_offered_an_associate(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    tracker = make_tracker(
        slots={"order_task": "track", "order_id": ORDER_NUMBER, "verification_locked": True}
    )
    events = await action.run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_offer_associate_after_lock"]
    slots = slot_events(events)
    assert slots["handoff_offered"] is True
    assert slots["handoff_reason"] == "Shopper could not verify order ownership"
    assert not desk.calls


# ------------------------------------------------------------------ track


@pytest.mark.parametrize("status", ORDER_STATUSES)
async def test_track_reads_the_fresh_order_and_says_its_status(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, status: str
) -> None:
    fresh = make_order(status)
    route = desk.post(LOOKUP).respond(200, json=fresh)
    events = await run_task(dispatcher, make_order("processing"), "track")

    assert route.calls.last.request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert sent_json(route) == {"order_number": ORDER_NUMBER, "email": EMAIL, "customer_id": None}
    assert_first_message(dispatcher, f"utter_track_{status}", order_id=ORDER_NUMBER)
    slots = slot_events(events)
    assert slots["order_snapshot"] == fresh
    assert slots["bot_log"] == [f"Tracked order {ORDER_NUMBER}: {status}"]
    if status in ("delayed", "lost"):
        assert slots["handoff_offered"] is True
        assert status in slots["handoff_reason"]
        assert slots["handoff_reason_code"] == "delivery_problem"
    else:
        assert "handoff_offered" not in slots
    assert not has_pause(events)
    assert_task_slots_reset(events)


async def test_track_uses_the_order_read_in_this_turn_without_asking_again(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    # The order form verified the number after the shopper's message: one desk call per turn.
    read_now = make_order("shipped")
    route = desk.post(LOOKUP).respond(200, json=make_order("delivered"))
    events = await run_task(
        dispatcher,
        read_now,
        "track",
        events=[
            user_event("where is my order", "track_package"),
            {"event": "slot", "name": "order_snapshot", "value": read_now},
        ],
    )
    assert not route.called
    assert responses(dispatcher) == ["utter_track_shipped"]
    assert slot_events(events)["order_snapshot"] == read_now


async def test_track_reads_again_when_the_snapshot_is_from_an_earlier_turn(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    earlier = make_order("shipped")
    route = desk.post(LOOKUP).respond(200, json=make_order("delivered"))
    await run_task(
        dispatcher,
        earlier,
        "track",
        events=[
            {"event": "slot", "name": "order_snapshot", "value": earlier},
            user_event("and where is it now?", "track_package"),
        ],
    )
    assert route.call_count == 1
    assert responses(dispatcher) == ["utter_track_delivered"]


async def test_track_shipped_details(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(200, json=make_order("shipped", estimated_delivery="2026-11-27"))
    await run_task(dispatcher, make_order("shipped"), "track")
    message = dispatcher.messages[0]
    assert message["carrier"] == "UPS"
    assert message["tracking_number"] == "1Z999AA10123456784"
    assert message["estimated_delivery"] == "Friday, November 27"
    assert message["last_scan"] == (
        "Departed UPS hub, Louisville, KY, Monday, November 23 at 6:40 PM UTC"
    )


async def test_track_processing_without_carrier(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(200, json=make_order("processing"))
    await run_task(dispatcher, make_order("processing"), "track")
    message = dispatcher.messages[0]
    assert message["carrier"] == "the carrier"
    assert message["tracking_number"] == "not yet assigned"
    assert message["last_scan"] == "no scans yet"


async def test_track_cancelled_also_reports_the_refund(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    refund = {
        "refund_id": "RF-1",
        "amount": "1259.97",
        "status": "pending",
        "method": "Visa ending 4242",
        "created_at": "2026-11-20T10:00:00Z",
        "expected_by": "2026-11-27",
    }
    desk.post(LOOKUP).respond(200, json=make_order("cancelled", refunds=[refund]))
    await run_task(dispatcher, make_order("processing"), "track")
    assert responses(dispatcher) == ["utter_track_cancelled", "utter_refund_pending"]
    assert dispatcher.messages[1]["amount"] == "$1,259.97"
    assert dispatcher.messages[1]["method"] == "Visa ending 4242"
    assert dispatcher.messages[1]["expected_by"] == "Friday, November 27"


async def test_track_uses_signed_in_customer_as_proof(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(LOOKUP).respond(200, json=make_order("shipped"))
    tracker = make_tracker(
        slots={**verified_slots(make_order("shipped"), order_task="track"), "order_email": None},
        intent="track_package",
        text="where is it",
        metadata={"customer_id": CUSTOMER_ID},
    )
    await action.run(dispatcher, tracker, {})
    assert sent_json(route) == {
        "order_number": ORDER_NUMBER,
        "email": None,
        "customer_id": CUSTOMER_ID,
    }


async def test_desk_down_during_a_task(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(502)
    events = await run_task(dispatcher, make_order("shipped"), "track")
    assert responses(dispatcher) == ["utter_desk_unavailable"]
    assert_task_slots_reset(events)


# ------------------------------------------------------------------ return


RMA = {
    "rma_number": "RMA-7Q2K9X",
    "order_number": ORDER_NUMBER,
    "sku": "SKU-2",
    "item_name": "Wool Hiking Socks",
    "reason": "too small",
    "return_by": "2026-12-08",
    "refund_estimate": "129.98",
    "drop_off_instructions": "Take the item, in any box, to a UPS Store and show the QR code.",
    "label_url": "/returns/RMA-7Q2K9X/label",
}


async def test_return_inside_window_creates_an_rma(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(RETURNS).respond(201, json=RMA)
    events = await run_task(
        dispatcher,
        make_order("delivered"),
        "return",
        return_item="SKU-2",
        return_reason="too small",
    )
    assert sent_json(route) == {
        "order_number": ORDER_NUMBER,
        "sku": "SKU-2",
        "reason": "too small",
        "email": EMAIL,
        "customer_id": None,
    }
    message = assert_first_message(
        dispatcher,
        "utter_return_created",
        rma_number="RMA-7Q2K9X",
        item="Wool Hiking Socks",
        return_by="Tuesday, December 8",
        refund="$129.98",
    )
    assert message["drop_off"].startswith("Take the item")
    assert slot_events(events)["bot_log"] == [f"Created return RMA-7Q2K9X for {ORDER_NUMBER}"]
    assert_task_slots_reset(events)


async def test_return_of_the_only_returnable_item_needs_no_choice(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(RETURNS).respond(201, json={**RMA, "sku": "SKU-1"})
    order = make_order(
        "delivered", items=[make_item("SKU-9", "Gift Card", returnable=False), make_item("SKU-1")]
    )
    await run_task(dispatcher, order, "return", return_reason="changed my mind")
    assert sent_json(route)["sku"] == "SKU-1"
    assert sent_json(route)["reason"] == "changed my mind"


async def test_return_outside_window_explains_and_offers_an_associate(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    order = make_order("delivered", return_deadline=past_deadline())
    events = await run_task(dispatcher, order, "return")
    assert not desk.calls
    assert_first_message(dispatcher, "utter_return_outside_window", order_id=ORDER_NUMBER)
    slots = slot_events(events)
    assert slots["handoff_offered"] is True
    assert "outside the window" in slots["handoff_reason"]


async def test_return_refused_by_desk_as_outside_window(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(RETURNS).respond(
        409, json=desk_error(409, "outside_return_window", return_deadline="2026-11-01")
    )
    events = await run_task(
        dispatcher, make_order("delivered"), "return", return_item="SKU-1", return_reason="meh"
    )
    assert responses(dispatcher) == ["utter_return_outside_window"]
    assert slot_events(events)["handoff_offered"] is True


async def test_return_refused_for_another_reason(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(RETURNS).respond(
        409, json=desk_error(409, "not_returnable", "That item is final sale.")
    )
    await run_task(
        dispatcher, make_order("delivered"), "return", return_item="SKU-1", return_reason="meh"
    )
    assert responses(dispatcher) == ["utter_return_refused"]
    assert dispatcher.messages[0]["reason"] == "That item is final sale."


async def test_return_before_delivery(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    await run_task(dispatcher, make_order("shipped"), "return")
    assert responses(dispatcher) == ["utter_return_not_delivered"]
    assert not desk.calls


async def test_return_with_nothing_returnable(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    order = make_order("delivered", items=[make_item(return_status="authorized")])
    await run_task(dispatcher, order, "return")
    assert responses(dispatcher) == ["utter_return_nothing_returnable"]
    assert not desk.calls


# ------------------------------------------------------------------ cancel


async def test_cancel_confirmed_while_processing(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    cancelled = make_order("cancelled")
    route = desk.post(CANCEL).respond(200, json=cancelled)
    events = await run_task(dispatcher, make_order("processing"), "cancel", cancel_confirmed=True)
    body = sent_json(route)
    assert body["email"] == EMAIL
    assert body["customer_id"] is None
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert_first_message(dispatcher, "utter_cancelled", total="$259.97")
    slots = slot_events(events)
    assert slots["order_snapshot"] == cancelled
    assert slots["bot_log"] == [f"Cancelled {ORDER_NUMBER}"]
    assert_task_slots_reset(events)


async def test_cancel_not_confirmed_keeps_the_order(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    events = await run_task(dispatcher, make_order("processing"), "cancel", cancel_confirmed=False)
    assert responses(dispatcher) == ["utter_cancel_kept"]
    assert not desk.calls
    assert "order_snapshot" not in slot_events(events)


@pytest.mark.parametrize("status", ["shipped", "out_for_delivery", "delivered", "delayed"])
async def test_cancel_after_shipping(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, status: str
) -> None:
    events = await run_task(dispatcher, make_order(status), "cancel", cancel_confirmed=True)
    assert not desk.calls
    assert_first_message(
        dispatcher, "utter_already_shipped", status=status.replace("_", " "), what="cancel"
    )
    assert slot_events(events)["handoff_offered"] is True


async def test_cancel_that_raced_with_shipping(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(CANCEL).respond(409, json=desk_error(409, "already_shipped"))
    desk.post(LOOKUP).respond(200, json=make_order("shipped"))
    events = await run_task(dispatcher, make_order("processing"), "cancel", cancel_confirmed=True)
    assert responses(dispatcher) == ["utter_already_shipped"]
    # The shopper is told the order's real state, read again after the refusal.
    assert dispatcher.messages[0]["status"] == "shipped"
    assert slot_events(events)["handoff_offered"] is True
    assert "order_snapshot" not in slot_events(events)


async def test_cancel_already_cancelled(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    await run_task(dispatcher, make_order("cancelled"), "cancel", cancel_confirmed=True)
    assert responses(dispatcher) == ["utter_already_cancelled"]
    assert not desk.calls


# ------------------------------------------------------------------ change address / quantity


async def test_change_address_sends_the_parsed_address(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    changed = make_order("processing")
    route = desk.post(ADDRESS).respond(200, json=changed)
    new_address = "221 Baker St, Apt 2, Springfield, IL 62704"
    events = await run_task(
        dispatcher, make_order("processing"), "change_address", new_address=new_address
    )
    assert sent_json(route) == {
        "email": EMAIL,
        "customer_id": None,
        "address": {
            "line1": "221 Baker St",
            "line2": "Apt 2",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62704",
            "country": "US",
        },
    }
    assert responses(dispatcher) == ["utter_address_changed"]
    assert dispatcher.messages[0]["address"] == new_address
    assert slot_events(events)["order_snapshot"] == changed


async def test_change_address_after_shipping(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    await run_task(
        dispatcher,
        make_order("shipped"),
        "change_address",
        new_address="221 Baker St, Springfield, IL 62704",
    )
    assert responses(dispatcher) == ["utter_already_shipped"]
    assert dispatcher.messages[0]["what"] == "change the address of"
    assert not desk.calls


async def test_change_quantity(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    changed = make_order("processing", total="324.96")
    route = desk.post(quantity_path("SKU-2")).respond(200, json=changed)
    events = await run_task(
        dispatcher,
        make_order("processing"),
        "change_order",
        change_item="SKU-2",
        change_quantity="3",
    )
    assert sent_json(route) == {"email": EMAIL, "customer_id": None, "quantity": 3}
    assert_first_message(
        dispatcher, "utter_quantity_changed", item="Wool Hiking Socks", quantity=3, total="$324.96"
    )
    assert slot_events(events)["order_snapshot"] == changed


async def test_remove_an_item(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    route = desk.post(quantity_path("SKU-1")).respond(200, json=make_order("processing"))
    await run_task(
        dispatcher,
        make_order("processing"),
        "change_order",
        change_item="SKU-1",
        change_quantity="0",
    )
    assert sent_json(route)["quantity"] == 0
    assert responses(dispatcher) == ["utter_item_removed"]
    assert dispatcher.messages[0]["item"] == "Trail Running Shoes"


async def test_removing_the_last_item_would_empty_the_order(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    order = make_order("processing", items=[make_item()])
    route = desk.post(quantity_path("SKU-1")).respond(
        409, json=desk_error(409, "would_empty_order")
    )
    events = await run_task(dispatcher, order, "change_order", change_quantity="0")
    assert route.called
    assert responses(dispatcher) == ["utter_change_would_empty"]
    assert "order_snapshot" not in slot_events(events)


async def test_change_order_after_shipping(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    await run_task(dispatcher, make_order("shipped"), "change_order", change_quantity="2")
    assert responses(dispatcher) == ["utter_already_shipped"]
    assert not desk.calls


# ------------------------------------------------------------------ refunds


def refund(status: str = "issued", amount: str = "129.99") -> dict[str, Any]:
    return {
        "refund_id": "RF-8K2",
        "amount": amount,
        "status": status,
        "method": "Visa ending 4242",
        "created_at": "2026-11-20T10:00:00Z",
        "expected_by": "2026-11-25",
    }


async def test_refund_status_issued(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(200, json=make_order("refunded", refunds=[refund("issued")]))
    events = await run_task(dispatcher, make_order("delivered"), "refund_status")
    assert_first_message(
        dispatcher, "utter_refund_issued", amount="$129.99", date="Friday, November 20"
    )
    assert slot_events(events)["bot_log"] == [f"Checked refunds on {ORDER_NUMBER}"]


async def test_refund_status_waiting_for_the_return(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    order = make_order("delivered", items=[make_item(return_status="authorized")])
    desk.post(LOOKUP).respond(200, json=order)
    await run_task(dispatcher, order, "refund_status")
    assert responses(dispatcher) == ["utter_refund_after_return_received"]


async def test_refund_status_none(dispatcher: CollectingDispatcher, desk: respx.MockRouter) -> None:
    desk.post(LOOKUP).respond(200, json=make_order("delivered"))
    await run_task(dispatcher, make_order("delivered"), "refund_status")
    assert responses(dispatcher) == ["utter_no_refund"]


@pytest.mark.parametrize(
    ("order", "expected", "offers"),
    [
        (make_order("processing"), "utter_refund_cancel_instead", False),
        (make_order("delayed"), "utter_refund_needs_associate", True),
        (make_order("lost"), "utter_refund_needs_associate", True),
        (make_order("delivered"), "utter_refund_via_return", False),
        (
            make_order("delivered", return_deadline=past_deadline()),
            "utter_return_outside_window",
            True,
        ),
        (make_order("shipped"), "utter_refund_in_transit", False),
        (make_order("out_for_delivery"), "utter_refund_in_transit", False),
    ],
    ids=["processing", "delayed", "lost", "delivered", "outside-window", "shipped", "out"],
)
async def test_request_refund_by_state(
    dispatcher: CollectingDispatcher,
    desk: respx.MockRouter,
    order: dict[str, Any],
    expected: str,
    offers: bool,
) -> None:
    desk.post(LOOKUP).respond(200, json=order)
    events = await run_task(dispatcher, order, "refund")
    assert responses(dispatcher) == [expected]
    assert (slot_events(events).get("handoff_offered") is True) is offers
    if offers:
        late = order["status"] in ("delayed", "lost")
        expected_code = "delivery_problem" if late else "general"
        assert slot_events(events)["handoff_reason_code"] == expected_code


async def test_request_refund_on_a_refunded_order_reports_it(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(200, json=make_order("cancelled", refunds=[refund("pending")]))
    await run_task(dispatcher, make_order("processing"), "refund")
    assert responses(dispatcher) == ["utter_refund_pending"]
    assert dispatcher.messages[0]["expected_by"] == "Wednesday, November 25"


# ------------------------------------------------------------------ problems → the desk's handoff

DELIVERY_REPORTS = "/api/v1/delivery-reports"
REPORT = {
    "report_id": 7,
    "postal_code": "94107",
    "reports_in_window": 1,
    "route_case_number": None,
    "route_case_opened": False,
}
SPECIALIST = {
    **TICKET,
    "outcome": "specialist_case",
    "case_number": "CASE-100050",
    "ticket_number": None,
    "queue_position": None,
    "estimated_wait_minutes": None,
}
TRADE_IN = {"device": "Pixel 7", "quoted_credit": "180.00", "status": "received"}


def one_item_order(status: str = "delivered") -> dict[str, Any]:
    return make_order(status, items=[make_item("SKU-9", "UltraBook Pro 16 Laptop", 1, "1899.00")])


@pytest.mark.parametrize(
    ("task", "intent", "message", "reason", "code", "sku"),
    [
        (
            "damaged",
            "report_damaged_item",
            "my order came and the box was crushed, everything broken",
            "Item arrived damaged",
            "shipping_error",
            None,  # two items on the order, neither named
        ),
        (
            "damaged",
            "report_damaged_item",
            "the running shoes arrived with a torn sole",
            "Item arrived damaged",
            "shipping_error",
            "SKU-1",
        ),
        (
            "wrong_item",
            "report_wrong_item",
            "you sent me the wrong socks, these are cotton",
            "Wrong item received",
            "shipping_error",
            "SKU-2",
        ),
        (
            "missing",
            "report_missing_package",
            "the hiking socks weren't in the box",
            "Item missing from a delivered order",
            "shipping_error",
            "SKU-2",
        ),
        (
            "missing",
            "report_missing_package",
            "one item is missing from my package",
            "Item missing from a delivered order",
            "shipping_error",
            None,
        ),
        (
            "payment",
            "payment_issue",
            "I was charged twice for this order",
            "Payment problem / incorrect charge",
            "general",
            None,
        ),
    ],
)
async def test_a_problem_goes_to_the_desk_with_its_routing(
    dispatcher: CollectingDispatcher,
    desk: respx.MockRouter,
    task: str,
    intent: str,
    message: str,
    reason: str,
    code: str,
    sku: str | None,
) -> None:
    handoff_route = desk.post(HANDOFFS).respond(201, json=TICKET)
    report_route = desk.post(DELIVERY_REPORTS)
    case_route = desk.post(CASES)
    history = [
        user_event(message, intent, 1_794_999_000.0),
        {"event": "bot", "timestamp": 1_794_999_001.0, "text": "What's the order number?"},
    ]
    events = await run_task(
        dispatcher,
        make_order("delivered"),
        task,
        events=history,
        text=EMAIL,
        intent="inform",
        bot_log=["Looked up order"],
    )

    ticket = sent_json(handoff_route)
    assert ticket["tier"] == 1
    assert ticket["reason"] == f"{reason} on order {ORDER_NUMBER}"
    assert ticket["reason_code"] == code
    assert ticket["sku"] == sku
    assert ticket["wait_anyway"] is False
    assert ticket["order_number"] == ORDER_NUMBER
    assert ticket["customer"] == {"id": CUSTOMER_ID, "name": "Maya Chen", "email": EMAIL}
    assert ticket["bot_attempts"] == [
        "Looked up order",
        f"Shopper reported: {reason} on order {ORDER_NUMBER}",
    ]
    assert [m["text"] for m in ticket["recent_messages"]] == [
        message,
        "What's the order number?",
        EMAIL,
    ]
    assert not report_route.called  # not a delivery problem
    assert not case_route.called  # the desk decides about cases
    assert responses(dispatcher) == ["utter_sorry_problem", "utter_handoff_started"]
    slots = slot_events(events)
    assert slots["handoff_ticket"] == "T-000123"
    assert slots["bot_log"][-1] == f"Handoff ticket T-000123: {reason} on order {ORDER_NUMBER}"
    assert not has_pause(events)
    assert_task_slots_reset(events)


async def test_a_problem_with_the_only_item_names_it(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=SPECIALIST)
    history = [user_event("it arrived with a cracked screen", "report_damaged_item")]
    events = await run_task(dispatcher, one_item_order(), "damaged", events=history)
    assert sent_json(route)["sku"] == "SKU-9"
    assert responses(dispatcher) == ["utter_sorry_problem", "utter_specialist_case_opened"]
    assert dispatcher.messages[1]["case_number"] == "CASE-100050"
    assert dispatcher.messages[1]["email"] == EMAIL
    assert "handoff_ticket" not in slot_events(events)


@pytest.mark.parametrize(
    ("task", "intent", "sender_id", "asks"),
    [
        ("damaged", "report_damaged_item", "web-0123456789abcdef01234567", True),
        ("wrong_item", "report_wrong_item", "web-0123456789abcdef01234567", True),
        ("damaged", "report_damaged_item", "conv-rest-channel", False),  # can't attach there
        ("payment", "payment_issue", "web-0123456789abcdef01234567", False),  # a photo won't help
    ],
)
async def test_a_damaged_or_wrong_item_in_the_web_chat_asks_for_a_photo(
    dispatcher: CollectingDispatcher,
    desk: respx.MockRouter,
    task: str,
    intent: str,
    sender_id: str,
    asks: bool,
) -> None:
    desk.post(HANDOFFS).respond(201, json=TICKET)
    tracker = make_tracker(
        slots=verified_slots(make_order("delivered"), order_task=task),
        events=[user_event("it is not what I ordered and it is broken", intent)],
        sender_id=sender_id,
    )
    await action.run(dispatcher, tracker, {})
    said = responses(dispatcher)
    assert said[:2] == ["utter_sorry_problem", "utter_handoff_started"]
    assert said[2:] == (["utter_ask_photo"] if asks else [])


@pytest.mark.parametrize(
    ("order", "message"),
    [
        (make_order("delivered"), "tracking says delivered but my package never arrived"),
        (make_order("shipped"), "the socks never came"),  # not delivered: the whole package
        (one_item_order(), "my laptop never showed up"),  # naming the only item says nothing
    ],
)
async def test_a_missing_package_is_a_delivery_problem_and_is_reported(
    dispatcher: CollectingDispatcher,
    desk: respx.MockRouter,
    order: dict[str, Any],
    message: str,
) -> None:
    report_route = desk.post(DELIVERY_REPORTS).respond(201, json=REPORT)
    handoff_route = desk.post(HANDOFFS).respond(201, json=TICKET)
    history = [user_event(message, "report_missing_package")]
    events = await run_task(dispatcher, order, "missing", events=history)

    assert sent_json(report_route) == {
        "conversation_id": "conv-1",
        "order_number": ORDER_NUMBER,
        "description": message,
    }
    ticket = sent_json(handoff_route)
    assert ticket["reason_code"] == "delivery_problem"
    assert ticket["reason"] == f"Package missing on order {ORDER_NUMBER}"
    assert ticket["sku"] is None
    assert ticket["bot_attempts"][-1] == f"Reported a delivery problem on {ORDER_NUMBER} (7)"
    # No route case: nothing to say about the area.
    assert responses(dispatcher) == ["utter_sorry_problem", "utter_handoff_started"]
    assert not has_pause(events)


@pytest.mark.parametrize(
    "report",
    [
        {
            **REPORT,
            "reports_in_window": 3,
            "route_case_opened": True,
            "route_case_number": "CASE-7",
        },
        {**REPORT, "reports_in_window": 5, "route_case_number": "CASE-7"},
    ],
)
async def test_a_route_case_is_mentioned_to_the_shopper(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, report: dict[str, Any]
) -> None:
    desk.post(DELIVERY_REPORTS).respond(201, json=report)
    handoff_route = desk.post(HANDOFFS).respond(201, json=SPECIALIST)
    history = [user_event("third time my parcel is left in the rain", "recurring_delivery_problem")]
    await run_task(dispatcher, make_order("delivered"), "recurring_delivery", events=history)
    assert responses(dispatcher) == [
        "utter_sorry_problem",
        "utter_delivery_area_review",
        "utter_specialist_case_opened",
    ]
    ticket = sent_json(handoff_route)
    assert ticket["reason_code"] == "delivery_problem"
    assert ticket["reason"] == f"Recurring delivery problem on order {ORDER_NUMBER}"
    assert ticket["bot_attempts"][-1] == (
        f"Reported a delivery problem on {ORDER_NUMBER} (7; route case CASE-7)"
    )


async def test_a_route_case_opened_without_a_number(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(DELIVERY_REPORTS).respond(201, json={**REPORT, "route_case_opened": True})
    handoff_route = desk.post(HANDOFFS).respond(201, json=TICKET)
    await run_task(dispatcher, make_order("delivered"), "recurring_delivery")
    assert "utter_delivery_area_review" in responses(dispatcher)
    assert sent_json(handoff_route)["bot_attempts"][-1].endswith("route case opened)")


@pytest.mark.parametrize("failure", DESK_FAILURES)
async def test_a_failed_delivery_report_does_not_break_the_conversation(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter, failure: dict[str, object]
) -> None:
    route = failing(desk.post(DELIVERY_REPORTS), failure)
    handoff_route = desk.post(HANDOFFS).respond(201, json=TICKET)
    events = await run_task(dispatcher, make_order("delivered"), "missing")
    assert responses(dispatcher) == ["utter_sorry_problem", "utter_handoff_started"]
    ticket = sent_json(handoff_route)
    # Without the first message, the reason stands in for the description.
    assert sent_json(route)["description"] == f"Package missing on order {ORDER_NUMBER}"
    assert ticket["bot_attempts"] == [f"Shopper reported: Package missing on order {ORDER_NUMBER}"]
    assert slot_events(events)["handoff_ticket"] == "T-000123"


async def test_a_trade_in_problem_goes_to_the_desk_as_trade_in(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    route = desk.post(HANDOFFS).respond(201, json=SPECIALIST)
    case_route = desk.post(CASES)
    history = [user_event("I never got my trade-in credit for the Pixel", "trade_in_credit")]
    events = await run_task(
        dispatcher, make_order("delivered", trade_in=TRADE_IN), "trade_in", events=history
    )
    body = sent_json(route)
    assert body["reason_code"] == "trade_in"
    assert body["reason"] == f"Trade-in credit problem on order {ORDER_NUMBER}"
    assert body["sku"] is None
    assert not case_route.called
    message = dispatcher.messages[1]
    assert message["response"] == "utter_specialist_case_opened"
    assert message["case_number"] == "CASE-100050"
    assert message["email"] == EMAIL
    assert not has_pause(events)


async def test_trade_in_without_a_trade_in(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    events = await run_task(dispatcher, make_order("delivered"), "trade_in")
    assert responses(dispatcher) == ["utter_no_trade_in"]
    slots = slot_events(events)
    assert slots["handoff_offered"] is True
    assert slots["handoff_reason_code"] == "general"  # no trade-in: an associate, not ECR
    assert not desk.calls


async def test_a_problem_when_nobody_is_available_keeps_the_request(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(HANDOFFS).respond(
        201,
        json={
            **TICKET,
            "outcome": "unavailable",
            "unavailable_reason": "long_wait",
            "ticket_number": None,
            "queue_position": None,
            "estimated_wait_minutes": 50,
        },
    )
    history = [user_event("the running shoes came damaged", "report_damaged_item")]
    events = await run_task(dispatcher, make_order("delivered"), "damaged", events=history)
    assert responses(dispatcher) == ["utter_sorry_problem", "utter_handoff_long_wait"]
    assert slot_events(events)["handoff_request"] == {
        "tier": 1,
        "reason": f"Item arrived damaged on order {ORDER_NUMBER}",
        "reason_code": "shipping_error",
        "sku": "SKU-1",
        "order_number": ORDER_NUMBER,
    }


async def test_a_problem_when_the_desk_is_down(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(HANDOFFS).respond(503)
    events = await run_task(dispatcher, make_order("delivered"), "damaged")
    assert responses(dispatcher) == ["utter_sorry_problem", "utter_handoff_failed"]
    assert not has_pause(events)
    assert_task_slots_reset(events)


async def test_cancel_a_returned_order_says_so(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    await run_task(dispatcher, make_order("returned"), "cancel", cancel_confirmed=True)
    assert responses(dispatcher) == ["utter_not_cancellable"]
    assert dispatcher.messages[0]["status"] == "returned"
    assert not desk.calls


async def test_an_unexpected_refusal_still_gets_an_answer(
    dispatcher: CollectingDispatcher, desk: respx.MockRouter
) -> None:
    desk.post(LOOKUP).respond(403, json=desk_error(403, "verification_failed"))
    events = await run_task(dispatcher, make_order("shipped"), "track")
    assert responses(dispatcher) == ["utter_task_failed"]
    assert slot_events(events)["handoff_offered"] is True
    assert_task_slots_reset(events)
