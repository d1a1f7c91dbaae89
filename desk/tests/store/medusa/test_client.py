"""The Admin API client against a real Medusa: logins, API keys, and its errors in port terms."""

from __future__ import annotations

import logging
import socket

import pytest
from tierline_common.ports import free_port

from tests.utils.medusa_server import ADMIN_EMAIL, MEDUSA_TIMEOUT, MedusaServer
from tierline_desk.store.medusa.client import MedusaClient
from tierline_desk.store.port import StoreRefused, StoreUnavailable

pytestmark = [pytest.mark.services, pytest.mark.timeout(MEDUSA_TIMEOUT)]


def test_logs_in_and_reads(medusa: MedusaServer) -> None:
    stores = medusa.client().get("/admin/stores")["stores"]
    assert len(stores) == 1


def test_a_closed_port_is_store_unavailable() -> None:
    client = MedusaClient(f"http://127.0.0.1:{free_port()}", email="a@b.c", password="pw")
    try:
        with pytest.raises(StoreUnavailable) as caught:
            client.get("/admin/orders", what="the refund")
    finally:
        client.close()
    assert caught.value.status_code == 503
    assert "so the refund did not happen" in caught.value.message


def test_a_server_that_never_answers_is_store_unavailable() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # accepts connections, never reads or answers
        port = listener.getsockname()[1]
        client = MedusaClient(f"http://127.0.0.1:{port}", api_key="sk_test", timeout=0.5)
        try:
            with pytest.raises(StoreUnavailable):
                client.get("/admin/orders", what="the address change")
        finally:
            client.close()


def test_a_bad_request_is_store_refused_with_medusas_reason(medusa: MedusaServer) -> None:
    client = medusa.client()
    with pytest.raises(StoreRefused) as caught:
        client.post("/admin/products", {"title": ""}, what="the new product")
    refusal = caught.value
    assert refusal.status_code == 409
    assert refusal.message.startswith("The store refused the new product: ")
    reason = refusal.extra["store_reason"]
    assert reason and "HTTP" not in reason  # Medusa's own message


def test_an_unknown_object_is_store_refused(medusa: MedusaServer) -> None:
    with pytest.raises(StoreRefused) as caught:
        medusa.client().get("/admin/orders/order_does_not_exist", what="reading the order")
    assert "order_does_not_exist" in caught.value.extra["store_reason"]


def test_an_expired_token_means_one_new_login(medusa: MedusaServer) -> None:
    client = medusa.client()
    client.get("/admin/stores")
    client._token = "expired.or.forged"  # what Medusa answers 401 to
    assert client.get("/admin/stores")["stores"]
    assert client._token not in (None, "expired.or.forged")


def test_refused_credentials_are_unavailable_and_never_logged(
    medusa: MedusaServer, caplog: pytest.LogCaptureFixture
) -> None:
    password = "not-the-password-" + "x7" * 8
    client = medusa.client(password=password)
    with caplog.at_level(logging.DEBUG), pytest.raises(StoreUnavailable):
        client.get("/admin/orders", what="the lookup")
    assert "MEDUSA_ADMIN_PASSWORD" in caplog.text
    assert password not in caplog.text
    assert password not in repr(client)


def test_a_secret_api_key_works_until_revoked(medusa: MedusaServer) -> None:
    admin = medusa.client()
    key = admin.post("/admin/api-keys", {"title": "tierline tests", "type": "secret"})["api_key"]
    assert key["token"].startswith("sk_")
    client = medusa.client(email=None, password=None, api_key=key["token"])
    assert client.get("/admin/stores")["stores"]
    assert key["token"] not in repr(client)
    admin.post(f"/admin/api-keys/{key['id']}/revoke")
    with pytest.raises(StoreUnavailable):
        client.get("/admin/stores", what="the lookup")


def test_the_admin_login_is_the_one_the_devserver_made(medusa: MedusaServer) -> None:
    client = MedusaClient(medusa.url, email=ADMIN_EMAIL, password=medusa.admin_password)
    try:
        (user,) = client.get("/admin/users", {"q": ADMIN_EMAIL})["users"]
    finally:
        client.close()
    assert user["email"] == ADMIN_EMAIL
