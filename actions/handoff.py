"""Handing a conversation from the bot (tier 0) to people (tier 1 associates, tier 2 leads).

The desk decides what a handoff request becomes (``outcome``): a place in a queue, a case for
the Executive Customer Relations team (who answer by email), or nothing right now because no
one can take it (outside hours, nobody online, a long wait). The bot never pauses itself: while
the shopper waits in the queue it keeps helping with other things. When an agent claims the
ticket, the desk pauses the Rasa conversation and routes the shopper's messages to the agent;
handing back resumes it and triggers ``EXTERNAL_handback``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import desk_client
from actions.conversation import BOT_LOG_SLOT, bot_log, recent_messages, signed_in_customer
from actions.formatting import as_sentence, moment_in
from actions.settings import get_settings

logger = logging.getLogger(__name__)

ACTION_HANDOFF = "action_handoff"
ACTION_DECLINE_HANDOFF = "action_decline_handoff"
ACTION_HANDBACK = "action_handback"
ACTION_WAIT_IN_QUEUE = "action_wait_in_queue"
ACTION_REPORT_QUEUE_PLACE = "action_report_queue_place"

ASSOCIATE_TIER = 1
SUPERVISOR_TIER = 2

# What the handoff is about, so the desk can route it (docs/backend-api.md).
GENERAL = "general"
SHIPPING_ERROR = "shipping_error"
TRADE_IN = "trade_in"
DELIVERY_PROBLEM = "delivery_problem"
COMPLAINT = "complaint"
REASON_CODES = (GENERAL, SHIPPING_ERROR, TRADE_IN, DELIVERY_PROBLEM, COMPLAINT)

# Slots: a handoff the desk could not take right now (kept so the shopper can still choose to
# wait), and the routing code of an associate the bot has offered.
PENDING_SLOT = "handoff_request"
OFFER_CODE_SLOT = "handoff_reason_code"

_REASON_BY_INTENT = {
    "talk_to_representative": "Shopper asked to talk to a person",
    "escalate_to_supervisor": "Shopper asked for a supervisor",
    "complaint": "Shopper wants to make a complaint",
    "affirm": "Shopper accepted the bot's offer of an associate",
}
_UNAVAILABLE_WHY = {
    "outside_hours": "outside business hours",
    "no_agents_online": "no associate online",
    "long_wait": "long wait",
}


@dataclass(frozen=True)
class HandoffRequest:
    """What the bot asks the desk for: who, why, and what it is about."""

    tier: int
    reason: str
    reason_code: str = GENERAL
    sku: str | None = None
    # The order it is about, when the request must outlive a later change of order.
    order_number: str | None = None

    def as_slot(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_slot(cls, value: Any) -> HandoffRequest | None:
        """The request kept in ``handoff_request``, or None when there is none (or it is odd)."""
        if not isinstance(value, dict):
            return None
        tier, reason = value.get("tier"), value.get("reason")
        code, sku, order = value.get("reason_code"), value.get("sku"), value.get("order_number")
        if tier not in (ASSOCIATE_TIER, SUPERVISOR_TIER) or not isinstance(reason, str):
            return None
        order_number = order if isinstance(order, str) and order else None
        return cls(
            tier=int(tier),
            reason=reason,
            reason_code=code if code in REASON_CODES else GENERAL,
            # The desk only takes an item together with the order it is on.
            sku=sku if isinstance(sku, str) and sku and order_number else None,
            order_number=order_number,
        )


def customer_card(tracker: Tracker) -> dict[str, Any]:
    """Who the shopper is, as far as the conversation has shown it."""
    snapshot = tracker.get_slot("order_snapshot")
    customer: dict[str, Any] = {"id": signed_in_customer(tracker), "email": None, "name": None}
    if isinstance(snapshot, dict) and isinstance(snapshot.get("customer"), dict):
        known = snapshot["customer"]
        customer.update(
            {k: known.get(k) for k in ("id", "email", "name") if known.get(k) is not None}
        )
    elif tracker.get_slot("order_email"):
        customer["email"] = tracker.get_slot("order_email")
    return customer


def verified_order(tracker: Tracker) -> str | None:
    order_id = tracker.get_slot("verified_order")
    return order_id if isinstance(order_id, str) else None


def _log(attempts: list[str], entry: str) -> SlotSet:
    return SlotSet(BOT_LOG_SLOT, [*attempts, entry][-20:])


def _offer_closed() -> list[EventType]:
    """The offer of a person is over (taken or declined): no offer, reason or offer code left."""
    return [
        SlotSet("handoff_offered", False),
        SlotSet("handoff_reason", None),
        SlotSet(OFFER_CODE_SLOT, None),
    ]


async def hand_off(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    request: HandoffRequest,
    attempts: list[str] | None = None,
    wait_anyway: bool = False,
) -> list[EventType]:
    """Asks the desk for a person with the case card, and tells the shopper what it decided.

    ``attempts`` overrides the bot log when the caller has just done something itself.
    ``wait_anyway`` joins the queue even when the wait is long.
    """
    tried = attempts if attempts is not None else bot_log(tracker)
    if request.order_number is None:
        request = replace(request, order_number=verified_order(tracker))
    payload = {
        "conversation_id": tracker.sender_id,
        "tier": request.tier,
        "reason": request.reason,
        "reason_code": request.reason_code,
        "sku": request.sku if request.order_number else None,
        "wait_anyway": wait_anyway,
        "customer": customer_card(tracker),
        "order_number": request.order_number,
        "bot_attempts": tried,
        "recent_messages": recent_messages(tracker),
    }
    events = _offer_closed()
    answer = await desk_client.answer_or_none(
        desk_client.create_handoff(payload), "hand off a conversation"
    )
    if answer is None:
        dispatcher.utter_message(response="utter_handoff_failed")
        return events
    # A desk without routing rules only ever queues, and says no outcome.
    outcome = answer.get("outcome") or "queued"
    if outcome == "specialist_case" and answer.get("case_number"):
        return events + _specialist_case(dispatcher, tracker, request, answer, tried)
    if outcome == "unavailable":
        return events + _unavailable(dispatcher, request, answer, tried)
    if outcome == "queued" and answer.get("ticket_number"):
        return events + _queued(dispatcher, request, answer, tried)
    logger.warning("the desk answered a handoff with an unknown outcome: %s", outcome)
    dispatcher.utter_message(response="utter_handoff_failed")
    return events


def _who(tier: Any) -> str:
    return "a supervisor" if tier == SUPERVISOR_TIER else "a customer-service associate"


def _queued(
    dispatcher: CollectingDispatcher,
    request: HandoffRequest,
    answer: dict[str, Any],
    tried: list[str],
) -> list[EventType]:
    who = _who(answer.get("tier") or request.tier)
    ticket = str(answer["ticket_number"])
    position, wait = answer.get("queue_position"), answer.get("estimated_wait_minutes")
    if position is None or wait is None:
        dispatcher.utter_message(
            response="utter_handoff_started_no_estimate", who=who, ticket_number=ticket
        )
    else:
        dispatcher.utter_message(
            response="utter_handoff_started",
            who=who,
            ticket_number=ticket,
            queue_position=position,
            estimated_wait_minutes=wait,
        )
    return [
        SlotSet("handoff_ticket", ticket),
        SlotSet(PENDING_SLOT, None),
        _log(tried, f"Handoff ticket {ticket}: {request.reason}"),
    ]


def email_on_file(tracker: Tracker) -> str | None:
    """The email address of the verified order's customer, or the one the shopper proved."""
    snapshot = tracker.get_slot("order_snapshot")
    if isinstance(snapshot, dict) and verified_order(tracker):
        email = (snapshot.get("customer") or {}).get("email")
        if isinstance(email, str) and email:
            return email
    proved = tracker.get_slot("order_email")
    if verified_order(tracker) and isinstance(proved, str) and proved:
        return proved
    return None


def _specialist_case(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    request: HandoffRequest,
    answer: dict[str, Any],
    tried: list[str],
) -> list[EventType]:
    case_number = str(answer["case_number"])
    email = email_on_file(tracker)
    if email is None and signed_in_customer(tracker):
        email = "the email address on your account"
    if email is None:
        dispatcher.utter_message(response="utter_specialist_case_no_email", case_number=case_number)
    else:
        dispatcher.utter_message(
            response="utter_specialist_case_opened", case_number=case_number, email=email
        )
    return [
        SlotSet(PENDING_SLOT, None),
        _log(tried, f"Executive Customer Relations case {case_number}: {request.reason}"),
    ]


def _unavailable(
    dispatcher: CollectingDispatcher,
    request: HandoffRequest,
    answer: dict[str, Any],
    tried: list[str],
) -> list[EventType]:
    why = answer.get("unavailable_reason")
    hours = answer.get("business_hours") or "posted on our Help page"
    wait = answer.get("estimated_wait_minutes")
    if why == "outside_hours" and answer.get("next_open_at"):
        zone = get_settings().business_timezone
        dispatcher.utter_message(
            response="utter_handoff_outside_hours",
            business_hours=hours,
            next_open=moment_in(str(answer["next_open_at"]), zone),
        )
    elif why == "outside_hours":
        dispatcher.utter_message(
            response="utter_handoff_outside_hours_no_time", business_hours=hours
        )
    elif why == "long_wait" and wait is not None:
        dispatcher.utter_message(response="utter_handoff_long_wait", estimated_wait_minutes=wait)
    elif why == "long_wait":
        dispatcher.utter_message(response="utter_handoff_long_wait_no_estimate")
    else:
        dispatcher.utter_message(response="utter_handoff_no_agents")
    what = _UNAVAILABLE_WHY.get(str(why), "nobody available")
    return [
        SlotSet(PENDING_SLOT, request.as_slot()),
        _log(tried, f"No associate right now ({what}) for: {request.reason}"),
    ]


class ActionHandoff(Action):
    """Hands off on request, on a complaint, or when the shopper accepts an offered associate."""

    def name(self) -> str:
        return ACTION_HANDOFF

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        intent = tracker.get_intent_of_latest_message() or ""
        tier = SUPERVISOR_TIER if intent == "escalate_to_supervisor" else ASSOCIATE_TIER
        reason = _REASON_BY_INTENT.get(intent, "Shopper needs a person")
        code = COMPLAINT if intent == "complaint" else GENERAL
        offered_for = tracker.get_slot("handoff_reason")
        if intent == "affirm" and isinstance(offered_for, str) and offered_for:
            reason = offered_for
            offered_code = tracker.get_slot(OFFER_CODE_SLOT)
            code = offered_code if offered_code in REASON_CODES else GENERAL
        if intent != "complaint":
            return await hand_off(dispatcher, tracker, HandoffRequest(tier, reason, code))
        # A complaint is put on record even when nobody can take the chat right now.
        recorded = await _record_complaint(tracker)
        request = HandoffRequest(tier, reason, code)
        if recorded is None:
            return await hand_off(dispatcher, tracker, request)
        attempts = [*bot_log(tracker), f"Recorded complaint as case {recorded}"]
        return await hand_off(dispatcher, tracker, request, attempts)


async def _record_complaint(tracker: Tracker) -> str | None:
    """Opens a complaint case with what the shopper wrote; its number, or None if it failed."""
    payload = {
        "kind": "complaint",
        "conversation_id": tracker.sender_id,
        "order_number": verified_order(tracker),
        "customer": customer_card(tracker),
        "description": tracker.latest_message.get("text") or "",
    }
    case = await desk_client.answer_or_none(
        desk_client.create_case(payload), "record a complaint case"
    )
    return None if case is None else str(case["case_number"])


async def report_queue_place(
    dispatcher: CollectingDispatcher, tracker: Tracker
) -> tuple[bool, list[EventType]]:
    """Tells a shopper waiting for a person their place in the queue and the wait, as now.

    Returns (whether they were told, events). They are not told when they are not waiting
    (any more): then the events forget the ticket and the caller answers instead.
    """
    ticket = tracker.get_slot("handoff_ticket")
    if not isinstance(ticket, str) or not ticket:
        return False, []
    try:
        current = await desk_client.get_handoff(ticket)
    except desk_client.DeskUnavailable:
        dispatcher.utter_message(response="utter_still_in_queue")
        return True, []
    except desk_client.DeskError:
        return False, [SlotSet("handoff_ticket", None)]
    if current.get("status") not in ("waiting", "claimed"):
        # Resolved, or the shopper left the queue for a call back.
        return False, [SlotSet("handoff_ticket", None)]
    position, wait = current.get("queue_position"), current.get("estimated_wait_minutes")
    if position is None or wait is None:
        dispatcher.utter_message(response="utter_still_in_queue")
    else:
        dispatcher.utter_message(
            response="utter_queue_place",
            who=_who(current.get("tier")),
            ticket_number=ticket,
            queue_position=position,
            estimated_wait_minutes=wait,
        )
    return True, []


class ActionReportQueuePlace(Action):
    """A greeting from a shopper in the queue ("hello? anyone there?"): place and wait.

    The welcome instead when they are no longer waiting.
    """

    def name(self) -> str:
        return ACTION_REPORT_QUEUE_PLACE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        told, events = await report_queue_place(dispatcher, tracker)
        if not told:
            dispatcher.utter_message(response="utter_greet")
        return events


class ActionWaitInQueue(Action):
    """The shopper will wait: join the queue after all, even when the wait is long."""

    def name(self) -> str:
        return ACTION_WAIT_IN_QUEUE

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        pending = HandoffRequest.from_slot(tracker.get_slot(PENDING_SLOT))
        if pending is not None:
            return await hand_off(dispatcher, tracker, pending, wait_anyway=True)
        told, events = await report_queue_place(dispatcher, tracker)
        declined: list[EventType] = [*events, SlotSet("handoff_offered", False)]
        if told:
            return declined
        if tracker.get_slot("handoff_offered"):
            # "No, I'll wait" to an offered associate: they will wait for the order instead.
            dispatcher.utter_message(response="utter_handoff_declined")
            return [*events, *_offer_closed()]
        dispatcher.utter_message(response="utter_nothing_to_wait_for")
        return declined


class ActionDeclineHandoff(Action):
    def name(self) -> str:
        return ACTION_DECLINE_HANDOFF

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff_declined")
        return _offer_closed()


def slots_filled_while_paused(tracker: Tracker) -> dict[str, Any]:
    """Slots that changed while a person had the conversation, with their earlier values.

    Rasa still fills slots from a paused conversation's messages (they were meant for the
    person, not for the form that was open), so handing back puts those values back.
    """
    events = list(tracker.events)
    paused = [i for i, event in enumerate(events) if event.get("event") == "pause"]
    if not paused:
        return {}
    start = paused[-1]
    end = next(
        (i for i in range(start, len(events)) if events[i].get("event") == "resume"), len(events)
    )
    changed = {
        str(event.get("name"))
        for event in events[start:end]
        if event.get("event") == "slot" and event.get("name") != "requested_slot"
    }
    before: dict[str, Any] = dict.fromkeys(changed)
    for event in events[:start]:
        if event.get("event") == "slot" and event.get("name") in changed:
            before[str(event.get("name"))] = event.get("value")
    return before


class ActionHandback(Action):
    """The person handed the conversation back to the bot (EXTERNAL_handback)."""

    def name(self) -> str:
        return ACTION_HANDBACK

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        outcome = tracker.get_slot("handback_outcome")
        if isinstance(outcome, str) and outcome.strip():
            dispatcher.utter_message(
                response="utter_handback_with_outcome", outcome=as_sentence(outcome)
            )
        else:
            dispatcher.utter_message(response="utter_handback")
        restored = [
            SlotSet(name, value) for name, value in slots_filled_while_paused(tracker).items()
        ]
        return [*restored, SlotSet("handoff_ticket", None), SlotSet("handback_outcome", None)]
