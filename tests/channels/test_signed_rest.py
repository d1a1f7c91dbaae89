from __future__ import annotations

import hashlib
import hmac
import json
from types import SimpleNamespace
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from tierline_common.signing import sign_customer_id

from channels.signed_rest import SignedRestInput, verified_customer_id

SECRET = "identity-secret"
CUSTOMER = "C-1001"
SIGNATURE = hmac.new(SECRET.encode(), CUSTOMER.encode(), hashlib.sha256).hexdigest()


def request(metadata: Any = None, **body: Any) -> Any:
    payload = {"sender": "conv-1", "message": "where is my order", **body}
    if metadata is not None:
        payload["metadata"] = metadata
    return SimpleNamespace(json=payload, args={})


def test_valid_signature_passes_the_id() -> None:
    metadata = {"customer_id": CUSTOMER, "customer_signature": SIGNATURE}
    assert verified_customer_id(metadata, SECRET) == CUSTOMER


@pytest.mark.parametrize(
    "metadata",
    [
        {"customer_id": CUSTOMER},  # unsigned
        {"customer_id": CUSTOMER, "customer_signature": ""},
        {"customer_id": CUSTOMER, "customer_signature": "0" * 64},
        {"customer_id": "C-2002", "customer_signature": SIGNATURE},  # someone else's id
        {"customer_id": CUSTOMER, "customer_signature": sign_customer_id(CUSTOMER, "other")},
        {"customer_id": "", "customer_signature": sign_customer_id("", SECRET)},
        {"customer_id": 1001, "customer_signature": SIGNATURE},
        {"customer_id": CUSTOMER, "customer_signature": None},
        {"customer_signature": SIGNATURE},
        {},
        None,
        "C-1001",
        [CUSTOMER, SIGNATURE],
    ],
)
def test_wrong_or_missing_signature_drops_the_id(metadata: Any) -> None:
    assert verified_customer_id(metadata, SECRET) is None


def test_no_secret_configured_trusts_nobody() -> None:
    metadata = {"customer_id": CUSTOMER, "customer_signature": sign_customer_id(CUSTOMER, "")}
    assert verified_customer_id(metadata, "") is None


def test_non_ascii_signature_is_dropped_not_crashed() -> None:
    # A forged signature with non-ASCII characters must be refused like any other.
    metadata = {"customer_id": CUSTOMER, "customer_signature": "é" * 64}
    assert verified_customer_id(metadata, SECRET) is None


def test_get_metadata_keeps_only_the_verified_id() -> None:
    channel = SignedRestInput(identity_secret=SECRET)
    signed = {"customer_id": CUSTOMER, "customer_signature": SIGNATURE, "role": "admin"}
    assert channel.get_metadata(request(signed)) == {"customer_id": CUSTOMER}
    assert channel.get_metadata(request({"customer_id": CUSTOMER, "customer_signature": "x"})) == {}
    assert channel.get_metadata(request()) == {}
    assert channel.get_metadata(SimpleNamespace(json=None, args={})) == {}


def test_from_credentials() -> None:
    channel = SignedRestInput.from_credentials({"identity_secret": SECRET})
    assert isinstance(channel, SignedRestInput)
    assert channel.identity_secret == SECRET
    assert SignedRestInput.from_credentials(None).identity_secret == ""  # type: ignore[attr-defined]
    assert SignedRestInput.name() == "rest"


async def _post(channel: SignedRestInput, metadata: Any) -> UserMessage:
    received: list[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    blueprint = channel.blueprint(on_new_message)
    webhook = next(r.handler for r in blueprint._future_routes if r.uri == "/webhook")
    response = await webhook(request(metadata))
    assert response.status == 200
    assert len(received) == 1
    return received[0]


async def test_webhook_passes_a_signed_id_to_the_tracker() -> None:
    channel = SignedRestInput(identity_secret=SECRET)
    message = await _post(channel, {"customer_id": CUSTOMER, "customer_signature": SIGNATURE})
    assert message.metadata == {"customer_id": CUSTOMER}
    assert message.sender_id == "conv-1"
    assert message.text == "where is my order"


async def test_webhook_drops_a_forged_id() -> None:
    channel = SignedRestInput(identity_secret=SECRET)
    message = await _post(channel, {"customer_id": CUSTOMER, "customer_signature": "f" * 64})
    assert not (message.metadata or {}).get("customer_id")


def _receive_handler(channel: SignedRestInput, on_new_message: Any) -> Any:
    for route in channel.blueprint(on_new_message)._future_routes:
        if route.uri == "/webhook":
            return route.handler
    raise AssertionError("no /webhook route")


async def test_a_failed_custom_action_is_reported_not_hidden() -> None:
    import logging

    async def on_new_message(message: UserMessage) -> None:
        await message.output_channel.send_text_message("conv-1", "Let me look that up.")
        # What rasa.core.processor logs, and otherwise ignores, when the action server fails:
        logging.getLogger("rasa.core.processor").error(
            "Encountered an exception while running action 'action_lookup_order'."
            "Bot will continue, but the actions events are lost."
        )

    receive = _receive_handler(SignedRestInput(), on_new_message)
    answer = await receive(request())
    assert answer.status == 502
    body = json.loads(answer.body)
    assert body["error"] == "action_failed"
    assert [m["text"] for m in body["messages"]] == ["Let me look that up."]


async def test_a_failure_in_another_message_does_not_leak_into_this_one() -> None:
    import logging

    logging.getLogger("rasa.core.processor").error(
        "Encountered an exception while running action 'x'."
    )

    async def on_new_message(message: UserMessage) -> None:
        await message.output_channel.send_text_message("conv-1", "Hello!")

    answer = await _receive_handler(SignedRestInput(), on_new_message)(request())
    assert answer.status == 200
    assert [m["text"] for m in json.loads(answer.body)] == ["Hello!"]


def test_blueprint_freezes_the_heap_once_the_server_has_started() -> None:
    from rasa_runtime.garbage_collection import freeze_startup_objects

    async def on_new_message(message: UserMessage) -> None:
        return None

    webhook = SignedRestInput("secret").blueprint(on_new_message)
    listeners = [(item.event, item.listener) for item in webhook._future_listeners]
    assert ("after_server_start", freeze_startup_objects) in listeners
