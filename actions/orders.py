"""Order tasks: find the order, check that it is the shopper's, then do what they asked.

Every task runs through ``order_form``. Its required slots depend on the task and on the
order's state (``ValidateOrderForm.required_slots``), so a cancellation asks for a yes only
while the order can still be cancelled, and a return asks for an item and a reason only when
there is something returnable. ``ActionHandleOrderTask`` then does the work.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from actions import desk_client
from actions.addresses import one_line, parse_address
from actions.conversation import ask_with_buttons, bot_log, signed_in_customer, understood_slot
from actions.emails import find_email
from actions.formatting import money, short_day
from actions.items import item_named_in, match_item, parse_quantity
from actions.order_numbers import OrderNumberError, order_numbers_in, parse_order_number

ACTION_START_ORDER_TASK = "action_start_order_task"
VALIDATE_ORDER_FORM = "validate_order_form"
ACTION_ASK_ORDER_ID = "action_ask_order_id"
ACTION_ASK_CANCEL_CONFIRMED = "action_ask_cancel_confirmed"
ACTION_ASK_RETURN_ITEM = "action_ask_return_item"
ACTION_ASK_CHANGE_ITEM = "action_ask_change_item"

MAX_VERIFICATION_ATTEMPTS = 3
RECENT_ORDERS_OFFERED = 5
# The order numbers the shopper gave at once, offered as a choice while the form asks which.
ORDER_CHOICES_SLOT = "order_choices"
# "no, I meant the jacket": ValidateOrderForm.extract_return_item, whatever the form asks.
CORRECTION_INTENT = "correct_detail"
CANCEL_INTENT = "cancel_order"
PRE_SHIPMENT = "processing"

TASK_BY_INTENT = {
    "track_package": "track",
    "start_return": "return",
    "request_refund": "refund",
    "refund_status": "refund_status",
    "cancel_order": "cancel",
    "change_order": "change_order",
    "change_shipping_address": "change_address",
    "report_damaged_item": "damaged",
    "report_wrong_item": "wrong_item",
    "report_missing_package": "missing",
    "payment_issue": "payment",
    "trade_in_credit": "trade_in",
    "recurring_delivery_problem": "recurring_delivery",
}
TASK_SLOTS = (
    "cancel_confirmed",
    "return_item",
    "return_reason",
    "new_address",
    "change_item",
    "change_quantity",
)


def reset_task_slots() -> list[EventType]:
    return [SlotSet(slot, None) for slot in TASK_SLOTS]


def current_order(tracker: Tracker) -> dict[str, Any] | None:
    """The verified order the conversation is about, as last read from the desk."""
    snapshot = tracker.get_slot("order_snapshot")
    order_id = tracker.get_slot("order_id")
    if (
        isinstance(snapshot, dict)
        and order_id
        and tracker.get_slot("verified_order") == order_id
        and snapshot.get("order_number") == order_id
    ):
        return snapshot
    return None


def returnable_items(order: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in order.get("items", []) if i.get("returnable") and not i.get("return_status")]


def return_window_open(order: dict[str, Any], today: date | None = None) -> bool:
    deadline = order.get("return_deadline")
    if order.get("status") != "delivered" or not deadline:
        return False
    return (today or date.today()) <= date.fromisoformat(deadline)


def _verified(order: dict[str, Any], customer_id: str | None) -> dict[str, Any]:
    return {
        "order_id": order["order_number"],
        "verified_order": order["order_number"],
        "order_snapshot": order,
        # Only the channel-verified id: an email proves one order, not the whole account.
        "customer_id": customer_id,
        "verification_attempts": 0,
    }


class ActionStartOrderTask(Action):
    """Remembers which task the shopper asked for and clears the previous task's answers."""

    def name(self) -> str:
        return ACTION_START_ORDER_TASK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        intent = tracker.get_intent_of_latest_message() or ""
        task = TASK_BY_INTENT.get(intent, tracker.get_slot("order_task") or "track")
        events: list[EventType] = [
            SlotSet("order_task", task),
            SlotSet("handoff_offered", False),
            SlotSet(ORDER_CHOICES_SLOT, None),
        ]
        customer_id = signed_in_customer(tracker)
        if customer_id:
            events.append(SlotSet("customer_id", customer_id))
        # "my email is … and I want to check on an order": the proof for the number to come.
        email = find_email(str(tracker.latest_message.get("text") or ""))
        if email:
            events.append(SlotSet("order_email", email))
        return events + reset_task_slots()


def _stops_form(event: dict[str, Any]) -> bool:
    return (
        event.get("event") == "slot"
        and event.get("name") == REQUESTED_SLOT
        and (event.get("value") is None)
    )


class ValidateOrderForm(FormValidationAction):
    def name(self) -> str:
        return VALIDATE_ORDER_FORM

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Validates, and lets a validator stop the form (the desk is down, say).

        rasa-sdk appends the next slot to ask for after the validators' events, and Rasa
        only reads the last ``requested_slot``: a validator's ``None`` must come last.
        """
        events: list[EventType] = await super().run(dispatcher, tracker, domain)
        if not any(_stops_form(event) for event in events[:-1]):
            return events
        kept = [
            e for e in events if not (e.get("event") == "slot" and e.get("name") == REQUESTED_SLOT)
        ]
        return [*kept, SlotSet(REQUESTED_SLOT, None)]

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        if not tracker.get_slot("order_id"):
            return ["order_id"]
        order = current_order(tracker)
        if order is None:
            if tracker.get_slot("verification_locked"):
                return ["order_id"]
            return ["order_id", "order_email"]
        return ["order_id", *_task_slots(tracker.get_slot("order_task"), order)]

    async def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        given = _as_text(slot_value)
        # The message first: the numbers are offered in the order the shopper wrote them.
        several = order_numbers_in(f"{tracker.latest_message.get('text') or ''} {given}")
        if len(several) > 1:
            # Which one? The ask action offers them; the task stays the one asked for.
            return {"order_id": None, ORDER_CHOICES_SLOT: [n.formatted for n in several]}
        try:
            order_number = parse_order_number(given).formatted
        except OrderNumberError as error:
            dispatcher.utter_message(text=str(error))
            return {"order_id": None}
        chosen = _other_order_resets(tracker, order_number)
        if tracker.get_slot(ORDER_CHOICES_SLOT):
            chosen[ORDER_CHOICES_SLOT] = None
        snapshot = tracker.get_slot("order_snapshot")
        if order_number == tracker.get_slot("verified_order") and isinstance(snapshot, dict):
            return {
                "order_id": order_number,
                **chosen,
                **_items_named_when_asking(tracker, snapshot),
            }
        customer_id = signed_in_customer(tracker)
        known_email = tracker.get_slot("order_email")
        unverified = {
            **chosen,
            "order_id": order_number,
            "verified_order": None,
            "order_snapshot": None,
            "order_email": None,
        }
        if tracker.get_slot("verification_locked") and not customer_id:
            return unverified
        try:
            order = await desk_client.lookup_order(order_number, known_email, customer_id)
        except desk_client.DeskUnavailable:
            dispatcher.utter_message(response="utter_desk_unavailable")
            return {"order_id": None, "requested_slot": None}
        except desk_client.DeskError as error:
            if error.code == "order_not_found":
                dispatcher.utter_message(response="utter_order_not_found", order_id=order_number)
                return {"order_id": None}
            return unverified
        return {
            **chosen,
            **_verified(order, customer_id),
            **_items_named_when_asking(tracker, order),
        }

    async def validate_order_email(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        order_number = tracker.get_slot("order_id")
        if not order_number or current_order(tracker) is not None:
            return {}
        email = find_email(str(slot_value))
        if email is None:
            dispatcher.utter_message(response="utter_email_malformed")
            return {"order_email": None}
        try:
            order = await desk_client.lookup_order(order_number, email, signed_in_customer(tracker))
        except desk_client.DeskUnavailable:
            dispatcher.utter_message(response="utter_desk_unavailable")
            return {"order_email": None, "requested_slot": None}
        except desk_client.DeskError as error:
            if error.code == "order_not_found":
                dispatcher.utter_message(response="utter_order_not_found", order_id=order_number)
                return {"order_id": None, "order_email": None}
            return _failed_verification(dispatcher, tracker, order_number)
        return {
            **_verified(order, signed_in_customer(tracker)),
            **_items_named_when_asking(tracker, order),
            "order_email": email,
        }

    async def extract_cancel_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Typed "yes, cancel it" (the confirm button's words) confirms the cancel asked about.

        Read as a new cancel request, it would only ask the same question again. A cancel that
        names another order is not a yes for this one.
        """
        if tracker.get_slot("requested_slot") != "cancel_confirmed":
            return {}
        if tracker.get_intent_of_latest_message() != CANCEL_INTENT:
            return {}
        named = {str(n) for n in order_numbers_in(tracker.latest_message.get("text") or "")}
        if named - {tracker.get_slot("order_id")}:
            return {}
        return {"cancel_confirmed": True}

    async def extract_return_item(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A correction names the item while the form asks something else (the reason, say).

        rasa-sdk extracts (and then validates) only the slots the form requires, so this runs
        only while the order has several returnable items.
        """
        if tracker.get_intent_of_latest_message() != CORRECTION_INTENT:
            return {}
        return {"return_item": tracker.latest_message.get("text")}

    async def validate_return_item(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        items = returnable_items(current_order(tracker) or {})
        return _chosen_item("return_item", str(slot_value), items, dispatcher, tracker)

    async def validate_return_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        reason = str(slot_value).strip()
        if len(reason) < 2:
            dispatcher.utter_message(response="utter_ask_return_reason")
            return {"return_reason": None}
        return {"return_reason": reason[:500]}

    async def validate_new_address(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        address = parse_address(str(slot_value))
        typed = one_line(address) if address is not None else None
        return understood_slot("new_address", typed, dispatcher, "utter_address_not_understood")

    async def validate_change_item(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        items = list((current_order(tracker) or {}).get("items", []))
        return _chosen_item("change_item", str(slot_value), items, dispatcher, tracker)

    async def validate_change_quantity(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        quantity = parse_quantity(str(slot_value))
        typed = str(quantity) if quantity is not None else None
        return understood_slot(
            "change_quantity", typed, dispatcher, "utter_quantity_not_understood"
        )


def _as_text(slot_value: Any) -> str:
    """The slot's value as text: a list when the shopper's message held two order numbers."""
    if isinstance(slot_value, list):
        return " ".join(str(value) for value in slot_value)
    return str(slot_value)


def _other_order_resets(tracker: Tracker, order_number: str) -> dict[str, Any]:
    """Clears the task's answers when the shopper switches orders mid-task.

    After "no wait, the other order …" the first order's items mean nothing.
    """
    previous = tracker.get_slot("verified_order")
    if previous and previous != order_number:
        return {slot: None for slot in TASK_SLOTS}
    return {}


def _chosen_item(
    slot: str,
    text: str,
    items: list[dict[str, Any]],
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
) -> dict[str, Any]:
    """The item ``text`` names, for ``slot``.

    A correction ("no, I meant the jacket") fills the slot whatever the form is asking: then
    the item is confirmed, and a correction naming no item just clears the slot so the form
    asks which item.
    """
    item = match_item(text, items)
    correcting = tracker.get_intent_of_latest_message() == CORRECTION_INTENT
    if item is None:
        if not correcting:
            dispatcher.utter_message(response="utter_item_not_understood")
        return {slot: None}
    if correcting:
        dispatcher.utter_message(response="utter_item_corrected", item=item["name"])
    return {slot: item["sku"]}


def task_message(tracker: Tracker) -> str:
    """What the shopper said when they asked for the current task."""
    for event in reversed(tracker.events):
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if event.get("event") == "user" and intent in TASK_BY_INTENT:
            return str(event.get("text") or "")
    return ""


def _items_named_when_asking(tracker: Tracker, order: dict[str, Any]) -> dict[str, Any]:
    """The item, when the shopper named it while asking ("return the shoes from …")."""
    task = tracker.get_slot("order_task")
    slot, candidates = {
        "return": ("return_item", returnable_items(order)),
        "change_order": ("change_item", list(order.get("items", []))),
    }.get(task, (None, []))
    if slot is None or tracker.get_slot(slot):
        return {}
    item = item_named_in(task_message(tracker), candidates)
    return {slot: item["sku"]} if item else {}


def _task_slots(task: str | None, order: dict[str, Any]) -> list[str]:
    """What else a task needs to know, given the order's state."""
    status = order.get("status")
    if task == "cancel" and status == PRE_SHIPMENT:
        return ["cancel_confirmed"]
    if task == "change_address" and status == PRE_SHIPMENT:
        return ["new_address"]
    if task == "change_order" and status == PRE_SHIPMENT:
        several = len(order.get("items", [])) > 1
        return [*(["change_item"] if several else []), "change_quantity"]
    if task == "return" and return_window_open(order):
        eligible = returnable_items(order)
        if not eligible:
            return []
        return [*(["return_item"] if len(eligible) > 1 else []), "return_reason"]
    return []


def _failed_verification(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_number: str
) -> dict[str, Any]:
    attempts = int(tracker.get_slot("verification_attempts") or 0) + 1
    if attempts >= MAX_VERIFICATION_ATTEMPTS:
        dispatcher.utter_message(response="utter_verification_locked")
        return {
            "order_email": None,
            "verification_attempts": attempts,
            "verification_locked": True,
            "bot_log": [*bot_log(tracker), f"Ownership check failed 3 times for {order_number}"],
        }
    dispatcher.utter_message(
        response="utter_email_mismatch",
        order_id=order_number,
        attempts_left=MAX_VERIFICATION_ATTEMPTS - attempts,
    )
    return {"order_email": None, "verification_attempts": attempts}


def order_button_title(order: dict[str, Any]) -> str:
    """'114-2093847-1122334 · Dec 7 · Burr Coffee Grinder (3 items)'."""
    first = str(order.get("first_item") or "no items")
    count = int(order.get("item_count") or 0)
    summary = first if count <= 1 else f"{first} ({count} items)"
    return f"{order['order_number']} · {short_day(order.get('placed_at'))} · {summary}"


async def _recent_orders(customer_id: str | None) -> list[dict[str, Any]]:
    if not customer_id:
        return []
    # Asking for the number still works when the desk fails: the list is only a shortcut.
    recent = await desk_client.answer_or_none(
        desk_client.recent_orders(customer_id, RECENT_ORDERS_OFFERED), "read the recent orders"
    )
    return recent or []


class ActionAskOrderId(Action):
    """Asks which order, offering what is known: the numbers just given, or recent orders.

    Two numbers in one message are offered as a choice; a signed-in shopper sees their recent
    orders; anyone else is asked for the number.
    A button's payload is the order number, so choosing one is the same as typing it.
    """

    def name(self) -> str:
        return ACTION_ASK_ORDER_ID

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        choices = tracker.get_slot(ORDER_CHOICES_SLOT)
        if isinstance(choices, list) and len(choices) > 1:
            numbers = [(str(n), str(n)) for n in choices]
            return ask_with_buttons(dispatcher, "utter_ask_which_order", numbers)
        orders = await _recent_orders(signed_in_customer(tracker))
        if orders:
            recent = [(order_button_title(o), str(o["order_number"])) for o in orders]
            return ask_with_buttons(dispatcher, "utter_ask_order_id_recent", recent)
        dispatcher.utter_message(response="utter_ask_order_id")
        return []


class ActionAskCancelConfirmed(Action):
    def name(self) -> str:
        return ACTION_ASK_CANCEL_CONFIRMED

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        order = current_order(tracker) or {}
        names = ", ".join(f"{i['quantity']}× {i['name']}" for i in order.get("items", []))
        dispatcher.utter_message(
            response="utter_ask_cancel_confirmed",
            order_id=order.get("order_number"),
            items=names,
            total=money(order.get("total")),
        )
        return []


def _ask_for_item(
    dispatcher: CollectingDispatcher, response: str, items: list[dict[str, Any]]
) -> list[EventType]:
    return ask_with_buttons(dispatcher, response, [(item["name"], item["name"]) for item in items])


class ActionAskReturnItem(Action):
    def name(self) -> str:
        return ACTION_ASK_RETURN_ITEM

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        items = returnable_items(current_order(tracker) or {})
        return _ask_for_item(dispatcher, "utter_ask_return_item", items)


class ActionAskChangeItem(Action):
    def name(self) -> str:
        return ACTION_ASK_CHANGE_ITEM

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        items = list((current_order(tracker) or {}).get("items", []))
        return _ask_for_item(dispatcher, "utter_ask_change_item", items)
