"""The one way actions reach Tierline's data: the desk API (see docs/backend-api.md)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from tierline_common.pooled import Pooled

from actions.settings import get_settings

logger = logging.getLogger(__name__)

JSON = dict[str, Any]
T = TypeVar("T")


class DeskUnavailable(RuntimeError):
    """The desk did not answer in time or answered with a server error."""


@dataclass(frozen=True)
class DeskError(Exception):
    """The desk refused the request with a 4xx answer and a machine-readable code."""

    status: int
    code: str
    message: str
    extra: JSON

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


def _new_client() -> httpx.AsyncClient:
    settings = get_settings()
    return httpx.AsyncClient(
        base_url=settings.desk_url,
        headers={"Authorization": f"Bearer {settings.desk_api_token}"},
        timeout=settings.desk_timeout_seconds,
    )


# One pooled client for the action server's lifetime, built on first use.
_client = Pooled(_new_client)


def _error_from(response: httpx.Response) -> DeskError:
    try:
        detail = response.json().get("detail", {})
    except ValueError:
        detail = {}
    if not isinstance(detail, dict):
        detail = {"message": str(detail)}
    extra = {k: v for k, v in detail.items() if k not in ("code", "message")}
    return DeskError(
        status=response.status_code,
        code=str(detail.get("code", "error")),
        message=str(detail.get("message", response.reason_phrase)),
        extra=extra,
    )


async def _request(method: str, path: str, **kwargs: Any) -> JSON:
    try:
        response = await _client.get().request(method, path, **kwargs)
    except httpx.HTTPError as error:
        raise DeskUnavailable(f"{method} {path}: {error.__class__.__name__}") from error
    if response.status_code >= 500:
        raise DeskUnavailable(f"{method} {path}: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise _error_from(response)
    body: JSON = response.json()
    return body


def _proof(email: str | None, customer_id: str | None) -> JSON:
    return {"email": email, "customer_id": customer_id}


async def lookup_order(order_number: str, email: str | None, customer_id: str | None) -> JSON:
    body = {"order_number": order_number, **_proof(email, customer_id)}
    return await _request("POST", "/api/v1/orders/lookup", json=body)


async def recent_orders(customer_id: str, limit: int) -> list[JSON]:
    """A signed-in customer's newest orders (number, status, date, first item, item count)."""
    body = {"customer_id": customer_id, "limit": limit}
    orders = (await _request("POST", "/api/v1/orders/recent", json=body)).get("orders", [])
    return [order for order in orders if isinstance(order, dict)]


async def cancel_order(order_number: str, email: str | None, customer_id: str | None) -> JSON:
    body = {**_proof(email, customer_id), "reason": "requested by shopper in chat"}
    return await _request("POST", f"/api/v1/orders/{order_number}/cancel", json=body)


async def change_shipping_address(
    order_number: str, email: str | None, customer_id: str | None, address: JSON
) -> JSON:
    body = {**_proof(email, customer_id), "address": address}
    return await _request("POST", f"/api/v1/orders/{order_number}/shipping-address", json=body)


async def change_item_quantity(
    order_number: str, sku: str, quantity: int, email: str | None, customer_id: str | None
) -> JSON:
    body = {**_proof(email, customer_id), "quantity": quantity}
    return await _request("POST", f"/api/v1/orders/{order_number}/items/{sku}/quantity", json=body)


async def create_return(
    order_number: str, sku: str, reason: str, email: str | None, customer_id: str | None
) -> JSON:
    body = {"order_number": order_number, "sku": sku, "reason": reason}
    return await _request("POST", "/api/v1/returns", json={**body, **_proof(email, customer_id)})


async def check_promo_code(code: str, subtotal: str | None) -> JSON:
    params = {"subtotal": subtotal} if subtotal else None
    return await _request("GET", f"/api/v1/promo-codes/{code}", params=params)


async def create_callback(payload: JSON) -> JSON:
    return await _request("POST", "/api/v1/callbacks", json=payload)


async def create_handoff(payload: JSON) -> JSON:
    return await _request("POST", "/api/v1/handoffs", json=payload)


async def get_handoff(ticket_number: str) -> JSON:
    """The ticket as the desk sees it now: status, queue_position, estimated_wait_minutes."""
    return await _request("GET", f"/api/v1/handoffs/{ticket_number}")


async def create_case(payload: JSON) -> JSON:
    return await _request("POST", "/api/v1/cases", json=payload)


async def create_delivery_report(conversation_id: str, order_number: str, description: str) -> JSON:
    """Feeds recurring-route detection; the desk finds the ZIP code from the order."""
    body = {
        "conversation_id": conversation_id,
        "order_number": order_number,
        "description": description,
    }
    return await _request("POST", "/api/v1/delivery-reports", json=body)


async def create_transcript_request(conversation_id: str, email: str) -> JSON:
    body = {"conversation_id": conversation_id, "email": email}
    return await _request("POST", "/api/v1/transcript-requests", json=body)


async def return_policy() -> JSON:
    return await _request("GET", "/api/v1/policies/returns")


async def answer_or_none(call: Awaitable[T], what: str) -> T | None:
    """The desk's answer, or None (logged as "could not <what>") when it is down or refuses.

    For the calls a conversation goes on without; the caller decides what the shopper hears.
    """
    try:
        return await call
    except (DeskUnavailable, DeskError) as error:
        logger.warning("could not %s: %s", what, error)
        return None
