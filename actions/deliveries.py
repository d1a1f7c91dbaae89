"""Delivery problems feed the desk's recurring-route detection (reports per ZIP code)."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import desk_client


async def report_delivery_problem(
    dispatcher: CollectingDispatcher, tracker: Tracker, order_number: str, description: str
) -> str | None:
    """Reports the problem; returns what to note in the bot log, or None when it failed.

    A failure never breaks the conversation: the shopper's problem is handled either way.
    When the reports from the order's area add up to a route case, the shopper hears that the
    team is looking into deliveries there.
    """
    report = await desk_client.answer_or_none(
        desk_client.create_delivery_report(tracker.sender_id, order_number, description),
        "report a delivery problem",
    )
    if report is None:
        return None
    route_case = report.get("route_case_number")
    if report.get("route_case_opened") or route_case:
        dispatcher.utter_message(response="utter_delivery_area_review")
        suffix = f"; route case {route_case}" if route_case else "; route case opened"
    else:
        suffix = ""
    return f"Reported a delivery problem on {order_number} ({report.get('report_id')}{suffix})"
