"""What happens once the order is known to be the shopper's: the task itself."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import desk_client
from actions.addresses import parse_address
from actions.conversation import bot_log, log_attempt, signed_in_customer
from actions.deliveries import report_delivery_problem
from actions.formatting import day, moment, money
from actions.handoff import (
    ASSOCIATE_TIER,
    DELIVERY_PROBLEM,
    GENERAL,
    OFFER_CODE_SLOT,
    SHIPPING_ERROR,
    TRADE_IN,
    HandoffRequest,
    hand_off,
)
from actions.items import item_named_in
from actions.orders import (
    current_order,
    reset_task_slots,
    return_window_open,
    returnable_items,
    task_message,
)

logger = logging.getLogger(__name__)

ACTION_HANDLE_ORDER_TASK = "action_handle_order_task"

SHIPPED_STATES = {"shipped", "out_for_delivery", "delivered", "delayed", "lost"}

Events = list[EventType]


class ActionHandleOrderTask(Action):
    def name(self) -> str:
        return ACTION_HANDLE_ORDER_TASK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Events:
        task = tracker.get_slot("order_task") or "track"
        order = current_order(tracker)
        if order is None:
            return self._not_verified(dispatcher, tracker) + reset_task_slots()
        task_handler = _HANDLERS.get(task, _track)
        try:
            events = await task_handler(dispatcher, tracker, order)
        except desk_client.DeskUnavailable as error:
            logger.warning("desk unavailable during %s: %s", task, error)
            dispatcher.utter_message(response="utter_desk_unavailable")
            events = []
        except desk_client.DeskError as error:
            # A refusal the task did not expect (the order changed meanwhile, say): never
            # leave the shopper without an answer.
            logger.warning("desk refused %s: %s", task, error.code)
            dispatcher.utter_message(response="utter_task_failed")
            events = _offer_associate(f"The desk refused '{task}': {error.code}")
        return events + reset_task_slots()

    @staticmethod
    def _not_verified(dispatcher: CollectingDispatcher, tracker: Tracker) -> Events:
        if tracker.get_slot("verification_locked"):
            dispatcher.utter_message(response="utter_offer_associate_after_lock")
            return _offer_associate("Shopper could not verify order ownership")
        return []


def _offer_associate(reason: str, reason_code: str = GENERAL) -> Events:
    return [
        SlotSet("handoff_offered", True),
        SlotSet("handoff_reason", reason),
        SlotSet(OFFER_CODE_SLOT, reason_code),
    ]


def _proof(tracker: Tracker) -> tuple[str | None, str | None]:
    return tracker.get_slot("order_email"), signed_in_customer(tracker)


def _read_this_turn(tracker: Tracker) -> bool:
    """Whether the order snapshot was read from the desk since the shopper's latest message.

    The order form verifies the number in the same turn: then it is as fresh as a new read.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "slot" and event.get("name") == "order_snapshot":
            return isinstance(event.get("value"), dict)
    return False


async def _fresh(tracker: Tracker, order: dict[str, Any]) -> dict[str, Any]:
    """The order as the desk has it now.

    The snapshot if it was read in this turn, else a new read (a snapshot from an earlier turn
    may be minutes old).
    """
    if _read_this_turn(tracker):
        return order
    email, customer_id = _proof(tracker)
    return await desk_client.lookup_order(order["order_number"], email, customer_id)


async def _track(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    order = await _fresh(tracker, order)
    status = order["status"]
    scan = order.get("last_scan") or {}
    details = {
        "order_id": order["order_number"],
        "carrier": order.get("carrier") or "the carrier",
        "tracking_number": order.get("tracking_number") or "not yet assigned",
        "estimated_delivery": day(order.get("estimated_delivery")),
        "delivered_on": day(order.get("delivered_at")),
        "last_scan": (
            f"{scan.get('description')}, {scan.get('location')}, {moment(scan.get('at'))}"
            if scan
            else "no scans yet"
        ),
    }
    dispatcher.utter_message(response=f"utter_track_{status}", **details)
    events: Events = [
        SlotSet("order_snapshot", order),
        log_attempt(tracker, f"Tracked order {order['order_number']}: {status}"),
    ]
    if status in ("delayed", "lost"):
        reason = f"Order {order['order_number']} is {status}: reship or refund"
        events += _offer_associate(reason, DELIVERY_PROBLEM)
    if status in ("cancelled", "returned", "refunded"):
        _say_refunds(dispatcher, order)
    return events


async def _return(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    number = order["order_number"]
    if order["status"] != "delivered":
        dispatcher.utter_message(response="utter_return_not_delivered", order_id=number)
        return [log_attempt(tracker, f"Return not possible: {number} is {order['status']}")]
    if not return_window_open(order):
        return _outside_window(dispatcher, tracker, order)
    items = returnable_items(order)
    if not items:
        dispatcher.utter_message(response="utter_return_nothing_returnable", order_id=number)
        return [log_attempt(tracker, f"Return: nothing returnable on {number}")]
    sku = tracker.get_slot("return_item") or items[0]["sku"]
    email, customer_id = _proof(tracker)
    try:
        rma = await desk_client.create_return(
            number, sku, tracker.get_slot("return_reason") or "not given", email, customer_id
        )
    except desk_client.DeskError as error:
        if error.code == "outside_return_window":
            return _outside_window(dispatcher, tracker, order)
        dispatcher.utter_message(
            response="utter_return_refused", order_id=number, reason=error.message
        )
        return [log_attempt(tracker, f"Return refused for {number}: {error.code}")]
    dispatcher.utter_message(
        response="utter_return_created",
        rma_number=rma["rma_number"],
        item=rma.get("item_name", sku),
        return_by=day(rma.get("return_by")),
        drop_off=rma.get("drop_off_instructions", ""),
        refund=money(rma.get("refund_estimate")),
    )
    return [log_attempt(tracker, f"Created return {rma['rma_number']} for {number}")]


def _outside_window(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    dispatcher.utter_message(
        response="utter_return_outside_window",
        order_id=order["order_number"],
        delivered_on=day(order.get("delivered_at")),
        deadline=day(order.get("return_deadline")),
    )
    reason = f"Return requested outside the window for {order['order_number']}"
    return [log_attempt(tracker, reason), *_offer_associate(reason)]


def _say_refunds(dispatcher: CollectingDispatcher, order: dict[str, Any]) -> None:
    for refund in order.get("refunds", []):
        if refund.get("status") == "issued":
            dispatcher.utter_message(
                response="utter_refund_issued",
                amount=money(refund.get("amount")),
                method=refund.get("method") or "your original payment method",
                date=day(refund.get("created_at")),
            )
        else:
            dispatcher.utter_message(
                response="utter_refund_pending",
                amount=money(refund.get("amount")),
                method=refund.get("method") or "your original payment method",
                expected_by=day(refund.get("expected_by")),
            )


async def _refund_status(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    order = await _fresh(tracker, order)
    number = order["order_number"]
    if order.get("refunds"):
        _say_refunds(dispatcher, order)
    elif any(i.get("return_status") == "authorized" for i in order.get("items", [])):
        dispatcher.utter_message(response="utter_refund_after_return_received", order_id=number)
    else:
        dispatcher.utter_message(response="utter_no_refund", order_id=number)
    return [log_attempt(tracker, f"Checked refunds on {number}")]


async def _refund(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    order = await _fresh(tracker, order)
    status, number = order["status"], order["order_number"]
    if status in ("cancelled", "returned", "refunded") or order.get("refunds"):
        return await _refund_status(dispatcher, tracker, order)
    if status == "processing":
        dispatcher.utter_message(response="utter_refund_cancel_instead", order_id=number)
        return [log_attempt(tracker, f"Refund asked on unshipped {number}: suggested cancelling")]
    if status in ("delayed", "lost"):
        dispatcher.utter_message(
            response="utter_refund_needs_associate", order_id=number, status=status
        )
        reason = f"Refund for {status} order {number}"
        return [log_attempt(tracker, reason), *_offer_associate(reason, DELIVERY_PROBLEM)]
    if status == "delivered" and return_window_open(order):
        dispatcher.utter_message(response="utter_refund_via_return", order_id=number)
        return [log_attempt(tracker, f"Refund on delivered {number}: explained returns")]
    if status == "delivered":
        return _outside_window(dispatcher, tracker, order)
    dispatcher.utter_message(response="utter_refund_in_transit", order_id=number)
    return [log_attempt(tracker, f"Refund asked on in-transit {number}")]


def _already_shipped(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any], what: str
) -> Events:
    dispatcher.utter_message(
        response="utter_already_shipped",
        order_id=order["order_number"],
        status=order["status"].replace("_", " "),
        what=what,
    )
    reason = f"Wanted to {what} order {order['order_number']} after it shipped"
    return [log_attempt(tracker, reason), *_offer_associate(reason)]


async def _cancel(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    number = order["order_number"]
    if order["status"] == "cancelled":
        dispatcher.utter_message(response="utter_already_cancelled", order_id=number)
        return []
    if order["status"] in ("returned", "refunded"):
        dispatcher.utter_message(
            response="utter_not_cancellable", order_id=number, status=order["status"]
        )
        return [log_attempt(tracker, f"Cancel asked on {order['status']} order {number}")]
    if order["status"] != "processing":
        return _already_shipped(dispatcher, tracker, order, "cancel")
    if tracker.get_slot("cancel_confirmed") is not True:
        dispatcher.utter_message(response="utter_cancel_kept", order_id=number)
        return [log_attempt(tracker, f"Shopper decided not to cancel {number}")]
    email, customer_id = _proof(tracker)
    try:
        cancelled = await desk_client.cancel_order(number, email, customer_id)
    except desk_client.DeskError as error:
        if error.code in ("already_shipped", "not_cancellable"):
            return _already_shipped(dispatcher, tracker, await _fresh(tracker, order), "cancel")
        raise
    dispatcher.utter_message(
        response="utter_cancelled", order_id=number, total=money(cancelled.get("total"))
    )
    return [SlotSet("order_snapshot", cancelled), log_attempt(tracker, f"Cancelled {number}")]


async def _change_address(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    number = order["order_number"]
    if order["status"] != "processing":
        return _already_shipped(dispatcher, tracker, order, "change the address of")
    address = parse_address(tracker.get_slot("new_address") or "")
    if address is None:
        dispatcher.utter_message(response="utter_address_not_understood")
        return []
    email, customer_id = _proof(tracker)
    try:
        changed = await desk_client.change_shipping_address(number, email, customer_id, address)
    except desk_client.DeskError as error:
        if error.code == "already_shipped":
            return _already_shipped(dispatcher, tracker, order, "change the address of")
        raise
    dispatcher.utter_message(
        response="utter_address_changed", order_id=number, address=tracker.get_slot("new_address")
    )
    return [
        SlotSet("order_snapshot", changed),
        log_attempt(tracker, f"Changed address of {number}"),
    ]


async def _change_order(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    number = order["order_number"]
    if order["status"] != "processing":
        return _already_shipped(dispatcher, tracker, order, "change")
    items = order.get("items", [])
    sku = tracker.get_slot("change_item") or (items[0]["sku"] if items else None)
    quantity = int(tracker.get_slot("change_quantity") or 0)
    name = next((i["name"] for i in items if i["sku"] == sku), sku)
    email, customer_id = _proof(tracker)
    try:
        changed = await desk_client.change_item_quantity(
            number, str(sku), quantity, email, customer_id
        )
    except desk_client.DeskError as error:
        if error.code == "would_empty_order":
            dispatcher.utter_message(response="utter_change_would_empty", order_id=number)
            return []
        if error.code == "already_shipped":
            return _already_shipped(dispatcher, tracker, order, "change")
        raise
    response = "utter_item_removed" if quantity == 0 else "utter_quantity_changed"
    dispatcher.utter_message(
        response=response, item=name, quantity=quantity, total=money(changed.get("total"))
    )
    return [
        SlotSet("order_snapshot", changed),
        log_attempt(tracker, f"Changed {name} to {quantity}"),
    ]


# Problems a person has to sort out: (reason for the ticket, routing code for the desk).
PROBLEMS = {
    "damaged": ("Item arrived damaged", SHIPPING_ERROR),
    "wrong_item": ("Wrong item received", SHIPPING_ERROR),
    "missing": ("Package missing", DELIVERY_PROBLEM),
    "payment": ("Payment problem / incorrect charge", GENERAL),
    "trade_in": ("Trade-in credit problem", TRADE_IN),
    "recurring_delivery": ("Recurring delivery problem", DELIVERY_PROBLEM),
}
# Phrases that say part of a delivered order is missing, not the whole package.
_PART_MISSING = (
    "missing from",
    "wasn't in",
    "was not in",
    "weren't in",
    "not in the box",
    "not in the package",
    "not included",
    "wasn't included",
    "only got",
    "only received",
    "came without",
    "arrived without",
    "incomplete",
    "part of my order",
    "box was empty",
    "package was empty",
    "arrived empty",
)


def _item_concerned(order: dict[str, Any], message: str) -> str | None:
    """The sku of the item the shopper named, or of the only item on the order."""
    items = list(order.get("items", []))
    named = item_named_in(message, items)
    if named is not None:
        return str(named["sku"])
    return str(items[0]["sku"]) if len(items) == 1 else None


def _missing_part(order: dict[str, Any], message: str) -> bool:
    """Whether a 'missing' report is about an item missing from a delivered order."""
    if order.get("status") != "delivered":
        return False
    lowered = message.lower()
    if any(phrase in lowered for phrase in _PART_MISSING):
        return True
    items = list(order.get("items", []))
    return len(items) > 1 and item_named_in(message, items) is not None


def _problem_request(task: str, order: dict[str, Any], message: str) -> HandoffRequest:
    reason, code = PROBLEMS[task]
    number = order["order_number"]
    if task == "missing" and _missing_part(order, message):
        reason, code = "Item missing from a delivered order", SHIPPING_ERROR
    sku = _item_concerned(order, message) if code == SHIPPING_ERROR else None
    return HandoffRequest(ASSOCIATE_TIER, f"{reason} on order {number}", code, sku, number)


async def _problem(
    dispatcher: CollectingDispatcher, tracker: Tracker, order: dict[str, Any]
) -> Events:
    """A problem a person has to sort out: the desk decides who (a queue or a specialist)."""
    task = str(tracker.get_slot("order_task"))
    number = order["order_number"]
    if task == "trade_in" and not order.get("trade_in"):
        dispatcher.utter_message(response="utter_no_trade_in", order_id=number)
        reason = f"Trade-in question on {number}, which has no trade-in"
        return [log_attempt(tracker, reason), *_offer_associate(reason)]
    message = task_message(tracker)
    request = _problem_request(task, order, message)
    attempts = [*bot_log(tracker), f"Shopper reported: {request.reason}"]
    dispatcher.utter_message(response="utter_sorry_problem")
    if request.reason_code == DELIVERY_PROBLEM:
        reported = await report_delivery_problem(
            dispatcher, tracker, number, message or request.reason
        )
        if reported:
            attempts.append(reported)
    events = await hand_off(dispatcher, tracker, request, attempts)
    if task in PHOTO_TASKS and takes_files(tracker):
        dispatcher.utter_message(response="utter_ask_photo")
    return events


# Problems a photo shows: the bot asks for one (the desk keeps it with the ticket or case).
PHOTO_TASKS = frozenset({"damaged", "wrong_item"})


def takes_files(tracker: Tracker) -> bool:
    """Whether the shopper can attach a file here.

    Only the desk's web chat takes files, and its conversations are the ones named ``web-...``
    (desk/tierline_desk/services/chat.py).
    """
    return str(tracker.sender_id).startswith("web-")


_HANDLERS = {
    "track": _track,
    "return": _return,
    "refund": _refund,
    "refund_status": _refund_status,
    "cancel": _cancel,
    "change_address": _change_address,
    "change_order": _change_order,
    "damaged": _problem,
    "wrong_item": _problem,
    "missing": _problem,
    "payment": _problem,
    "trade_in": _problem,
    "recurring_delivery": _problem,
}
