from __future__ import annotations

import httpx
import pytest
import respx

from actions import desk_client
from actions.settings import SettingsError, get_settings
from tests.utils.desk import DESK_TOKEN, desk_error, sent_json
from tests.utils.orders import EMAIL, ORDER_NUMBER, make_order


async def test_every_call_carries_the_bearer_token(desk: respx.MockRouter) -> None:
    route = desk.post("/api/v1/orders/lookup").respond(200, json=make_order("shipped"))
    order = await desk_client.lookup_order(ORDER_NUMBER, EMAIL, None)
    assert order["status"] == "shipped"
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {DESK_TOKEN}"
    assert str(request.url) == "http://desk.test/api/v1/orders/lookup"
    assert sent_json(route) == {"order_number": ORDER_NUMBER, "email": EMAIL, "customer_id": None}


async def test_one_pooled_client(desk: respx.MockRouter) -> None:
    desk.post("/api/v1/orders/lookup").respond(200, json=make_order())
    await desk_client.lookup_order(ORDER_NUMBER, EMAIL, None)
    first = desk_client._client.get()
    await desk_client.lookup_order(ORDER_NUMBER, EMAIL, None)
    assert desk_client._client.get() is first


async def test_error_detail_becomes_a_desk_error(desk: respx.MockRouter) -> None:
    desk.post("/api/v1/returns").respond(
        409,
        json=desk_error(409, "outside_return_window", "Too late", return_deadline="2026-11-01"),
    )
    with pytest.raises(desk_client.DeskError) as caught:
        await desk_client.create_return(ORDER_NUMBER, "SKU-1", "too small", EMAIL, None)
    error = caught.value
    assert (error.status, error.code, error.message) == (409, "outside_return_window", "Too late")
    assert error.extra == {"return_deadline": "2026-11-01"}
    assert str(error) == "409 outside_return_window: Too late"


@pytest.mark.parametrize(
    ("response", "code", "message"),
    [
        (httpx.Response(401, json={"detail": "Not authenticated"}), "error", "Not authenticated"),
        (httpx.Response(404, text="not json"), "error", "Not Found"),
        (httpx.Response(422, json={"detail": [{"loc": ["body"], "msg": "bad"}]}), "error", None),
    ],
)
async def test_odd_error_bodies(
    desk: respx.MockRouter, response: httpx.Response, code: str, message: str | None
) -> None:
    desk.get("/api/v1/promo-codes/X10").mock(return_value=response)
    with pytest.raises(desk_client.DeskError) as caught:
        await desk_client.check_promo_code("X10", None)
    assert caught.value.code == code
    if message is not None:
        assert caught.value.message == message


@pytest.mark.parametrize(
    "side_effect",
    [httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("eof")],
)
async def test_transport_errors_mean_unavailable(
    desk: respx.MockRouter, side_effect: Exception
) -> None:
    desk.post("/api/v1/cases").mock(side_effect=side_effect)
    with pytest.raises(desk_client.DeskUnavailable):
        await desk_client.create_case({"kind": "complaint"})


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_mean_unavailable(desk: respx.MockRouter, status: int) -> None:
    desk.post("/api/v1/handoffs").respond(status)
    with pytest.raises(desk_client.DeskUnavailable):
        await desk_client.create_handoff({"tier": 1})


async def test_paths_and_bodies(desk: respx.MockRouter) -> None:
    cancel = desk.post(f"/api/v1/orders/{ORDER_NUMBER}/cancel").respond(200, json=make_order())
    address = desk.post(f"/api/v1/orders/{ORDER_NUMBER}/shipping-address").respond(
        200, json=make_order()
    )
    quantity = desk.post(f"/api/v1/orders/{ORDER_NUMBER}/items/SKU-2/quantity").respond(
        200, json=make_order()
    )
    transcript = desk.post("/api/v1/transcript-requests").respond(201, json={"request_id": "TR-1"})
    report = desk.post("/api/v1/delivery-reports").respond(201, json={"report_id": 1})
    promo = desk.get("/api/v1/promo-codes/WELCOME10").respond(200, json={"code": "WELCOME10"})

    await desk_client.cancel_order(ORDER_NUMBER, None, "C-1001")
    assert sent_json(cancel) == {
        "email": None,
        "customer_id": "C-1001",
        "reason": "requested by shopper in chat",
    }
    await desk_client.change_shipping_address(ORDER_NUMBER, EMAIL, None, {"line1": "1 A St"})
    assert sent_json(address) == {
        "email": EMAIL,
        "customer_id": None,
        "address": {"line1": "1 A St"},
    }
    await desk_client.change_item_quantity(ORDER_NUMBER, "SKU-2", 0, EMAIL, None)
    assert sent_json(quantity) == {"email": EMAIL, "customer_id": None, "quantity": 0}
    await desk_client.create_transcript_request("conv-1", EMAIL)
    assert sent_json(transcript) == {"conversation_id": "conv-1", "email": EMAIL}
    assert await desk_client.create_delivery_report("conv-1", ORDER_NUMBER, "left in rain") == {
        "report_id": 1
    }
    assert sent_json(report) == {
        "conversation_id": "conv-1",
        "order_number": ORDER_NUMBER,
        "description": "left in rain",
    }
    await desk_client.check_promo_code("WELCOME10", "49.99")
    assert promo.calls.last.request.url.params["subtotal"] == "49.99"


def test_settings_need_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DESK_API_TOKEN")
    get_settings.cache_clear()
    with pytest.raises(SettingsError):
        get_settings()


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESK_URL", "http://desk.example:9000/")
    monkeypatch.setenv("DESK_TIMEOUT_SECONDS", "1.5")
    get_settings.cache_clear()
    settings = get_settings()
    assert settings.desk_url == "http://desk.example:9000"
    assert settings.desk_timeout_seconds == 1.5
    monkeypatch.setenv("DESK_TIMEOUT_SECONDS", "soon")
    get_settings.cache_clear()
    with pytest.raises(SettingsError, match="DESK_TIMEOUT_SECONDS"):
        get_settings()
