"""GET /console/api/outbox: the catcher's Maildir behind the console session."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.utils.console import LoginFn
from tests.utils.desk import code_of
from tests.utils.mail_catcher import Catcher, catcher
from tierline_desk.mail import sender, templates

__all__ = ["catcher"]  # the fixture, imported for use here

URL = "/console/api/outbox"


def _send(n: int) -> str:
    """Send a real mail through the catcher; its Message-ID without brackets."""
    mail = templates.promotional_certificate(
        to=f"shopper{n}@example.com", name="Ada Park", code=f"PC-TEST{n}", value="$10 off"
    )
    msg = sender.build_message(mail)
    assert sender.send(msg)
    return str(msg["Message-ID"]).strip("<>")


@pytest.mark.parametrize(
    ("username", "allowed"),
    [("alex", False), ("sam.lead", True), ("jordan.ecr", True), ("admin", True)],
)
def test_roles(username: str, allowed: bool, login: LoginFn, catcher: Catcher) -> None:
    message_id = _send(1)
    agent = login(username)
    listing = agent.get(URL)
    one = agent.get(f"{URL}/{quote(message_id)}")
    if allowed:
        assert listing.status_code == 200 and [m["message_id"] for m in listing.json()] == [
            message_id
        ]
        assert one.status_code == 200 and one.json()["to"] == "shopper1@example.com"
    else:
        for resp in (listing, one):
            assert resp.status_code == 403 and code_of(resp) == "forbidden_role"
            assert resp.json()["detail"]["allowed"] == ["admin", "specialist", "supervisor"]


def test_not_logged_in(anon: TestClient) -> None:
    resp = anon.get(URL)
    assert resp.status_code == 401 and code_of(resp) == "not_logged_in"


def test_newest_first_with_limit_and_one_message(login: LoginFn, catcher: Catcher) -> None:
    ids = [_send(n) for n in range(1, 5)]
    sam = login("sam.lead")
    listed = sam.get(f"{URL}?limit=3").json()
    assert [m["message_id"] for m in listed] == ids[::-1][:3]
    first = listed[0]
    assert first["to"] == "shopper4@example.com"
    assert first["subject"] == "A thank-you from Tierline: $10 off with code PC-TEST4"
    assert first["kind"] == "promotional_certificate" and first["reference"] == "PC-TEST4"
    assert set(first) == {
        "message_id",
        "to",
        "sender",
        "subject",
        "date",
        "delivered_at",
        "kind",
        "reference",
    }
    assert len(sam.get(URL).json()) == 4  # default limit 50
    full = sam.get(f"{URL}/{quote('<' + ids[0] + '>')}").json()
    assert "Enter PC-TEST1 at checkout" in full["text"] and full["html"].startswith("<!DOCTYPE")
    missing = sam.get(f"{URL}/nope@tierline.example")
    assert missing.status_code == 404 and code_of(missing) == "message_not_found"
    for bad in ("0", "501", "x"):
        assert code_of(sam.get(f"{URL}?limit={bad}")) == "validation_error"


def test_missing_maildir_is_an_empty_outbox(login: LoginFn) -> None:
    assert login("admin").get(URL).json() == []
