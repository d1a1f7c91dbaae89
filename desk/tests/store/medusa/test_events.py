"""desk/medusa/src/subscribers/tierline-order-events.ts in a real Medusa: signed order events."""

from __future__ import annotations

from typing import Any

import pytest

from tests.utils.medusa_server import MEDUSA_TIMEOUT, MedusaServer
from tierline_desk.store.medusa import keys as k

pytestmark = [pytest.mark.services, pytest.mark.timeout(MEDUSA_TIMEOUT)]


def order_ids(medusa: MedusaServer) -> dict[str, str]:
    rows = medusa.client().list_all("/admin/orders", "orders", {"fields": "id,metadata"})
    return {
        r["metadata"][k.ORDER_NUMBER]: r["id"]
        for r in rows
        if k.ORDER_NUMBER in (r.get("metadata") or {})
    }


def test_seeding_posted_signed_events_naming_the_order(seeded_medusa: MedusaServer) -> None:
    ids = order_ids(seeded_medusa)
    sink = seeded_medusa.events
    assert sink.events and all(e.signature_ok for e in sink.events)
    expectations = {
        "order.placed": "112-4839201-5573910",
        "payment.captured": "112-4839201-5573910",
        "order.fulfillment_created": "112-4839201-5573910",
        "shipment.created": "112-4839201-5573910",  # Medusa emits the fulfilment's id
        "delivery.created": "113-5550192-7781234",
        "order.return_requested": "120-4444444-5555555",
        "order.return_received": "120-4444444-5555555",
        "payment.refunded": "121-6666666-7777777",  # Medusa emits the payment's id
        "order.canceled": "122-8888888-9999999",
    }
    for event, number in expectations.items():
        received = sink.wait_for(event, ids[number])
        assert received.body["id"], received.body
    assert set(sink.named("shipment.created")[0].body) == {"event", "id", "order_id"}


def test_an_update_is_posted_and_a_desk_that_is_down_changes_nothing(
    seeded_medusa: MedusaServer,
) -> None:
    client = seeded_medusa.client()
    order_id = order_ids(seeded_medusa)["114-2093847-1122334"]

    def touch(value: str) -> dict[str, Any]:
        body = {"metadata": {"tierline_test_touch": value}}
        order: dict[str, Any] = client.post(
            f"/admin/orders/{order_id}", body, params={"fields": "id,metadata"}
        )["order"]
        return order

    assert touch("1")["metadata"]["tierline_test_touch"] == "1"
    seeded_medusa.events.wait_for("order.updated", order_id)

    sink = seeded_medusa.events
    sink.stop()  # the desk is down: Medusa's update still succeeds
    try:
        touched = touch("")  # "" removes the key again
        assert "tierline_test_touch" not in touched["metadata"]
        assert client.get("/admin/stores")["stores"]  # and Medusa keeps serving
    finally:
        sink.start()
