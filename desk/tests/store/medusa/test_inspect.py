"""``cli medusa-order``: what Medusa itself holds for an order, read from the real store."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.utils.desk import MAYA
from tests.utils.medusa_server import MEDUSA_TIMEOUT, MedusaServer
from tests.utils.store_actions import ask_return, order_action
from tierline_desk.cli import main

pytestmark = [
    pytest.mark.services,
    pytest.mark.timeout(MEDUSA_TIMEOUT),
    pytest.mark.parametrize("store_name", ["medusa"], indirect=True),
]

SHIPPED = "112-4839201-5573910"  # UPS, in transit
REFUNDED = "121-6666666-7777777"  # refunded before Tierline: the history is in metadata
DELIVERED = "113-5550192-7781234"  # Maya's, SKU-RS-3310 + SKU-RJ-4420
PROCESSING = "114-2093847-1122334"  # Maya's, 77.99


def test_medusa_order_shows_status_tracking_and_refunds(
    store_name: str, seeded_medusa: MedusaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["medusa-order", SHIPPED]) == 0
    shipped = capsys.readouterr().out
    assert shipped.startswith(f"{SHIPPED}: Medusa order order_")
    assert "email: maya.chen@example.com" in shipped
    assert "tracking 1Z" in shipped
    assert f'metadata tierline_order_number: "{SHIPPED}"' in shipped

    assert main(["medusa-order", REFUNDED]) == 0
    refunded = capsys.readouterr().out
    assert '  metadata tierline_refunds: [{"' in refunded


def test_an_unknown_number_says_so(
    store_name: str, seeded_medusa: MedusaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["medusa-order", "199-0000000-0000000"]) == 1
    assert (
        "no Medusa order carries the Tierline number 199-0000000-0000000" in capsys.readouterr().err
    )


def test_medusa_down_is_a_clear_error(
    store_name: str, seeded_medusa: MedusaServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with seeded_medusa.stopped():
        assert main(["medusa-order", SHIPPED]) == 6
    assert "error: " in capsys.readouterr().err


def test_medusa_order_shows_what_a_cancel_and_a_return_did(
    store_name: str,
    client: TestClient,
    new_order: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cancelled = new_order(like=PROCESSING)
    resp = order_action(client, cancelled, "cancel", {**MAYA, "reason": "changed my mind"})
    assert resp.status_code == 200, resp.text
    assert main(["medusa-order", cancelled]) == 0
    shown = capsys.readouterr().out
    assert "  status: canceled (canceled " in shown
    assert "    refund ref_" in shown and ": 77.99 on " in shown

    returned = new_order(like=DELIVERED)
    resp = ask_return(client, returned, "SKU-RS-3310", **MAYA)
    assert resp.status_code in (200, 201), resp.text
    rma = resp.json()["rma_number"]
    assert main(["medusa-order", returned]) == 0
    shown = capsys.readouterr().out
    assert f": requested, RMA {rma}, items " in shown
