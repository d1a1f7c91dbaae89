"""The demo shop's sign-in, as its page's form posts it."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient


def sign_in(client: TestClient, customer_id: str) -> httpx.Response:
    """Post the demo shop's sign-in form as ``customer_id``; the redirect is not followed."""
    return client.post("/shop/sign-in", data={"customer_id": customer_id}, follow_redirects=False)
