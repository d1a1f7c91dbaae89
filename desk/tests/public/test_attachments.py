"""The widget's files end to end in the desk: upload, a message carrying them, serving them
through signed links, and the agents' views (ticket thread, case card)."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.utils.attachments import photo, plain_pdf, upload
from tests.utils.console import AgentClient, login, put_online
from tests.utils.desk import API_TOKEN, handoff
from tests.utils.mail_catcher import Catcher, catcher, html_of, text_of
from tests.utils.web_chat import FakeRasa, bot_message, chat_socket, start, until
from tierline_desk.models import Attachment
from tierline_desk.services.shopper_messages import FILES_COMMAND
from tierline_desk.settings import get_settings

__all__ = ["catcher", "login"]
LAPTOP_ORDER = "117-3141592-6535897"  # Priya's laptop, 1899.00: a specialists' case
SHOES_ORDER = "113-5550192-7781234"  # Maya's shoes, 89.95: a tier-1 ticket
GB = 1024**3


def send_with_files(
    web: TestClient, sess: dict[str, Any], ids: list[str], text: str = ""
) -> list[dict[str, Any]]:
    """The widget's message naming the uploaded files; the frames up to the bot's answer."""
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "m1", "text": text, "attachments": ids})
        return until(ws, bot_message)


def test_a_photo_travels_on_a_message_and_is_served_clean(web: TestClient, rasa: FakeRasa) -> None:
    sess = start(web)
    stored = upload(web, sess, photo((800, 600)), "IMG_2041.jpg")
    assert stored.status_code == 201, stored.text
    body = stored.json()
    assert (body["kind"], body["name"], body["width"]) == ("image", "IMG_2041.jpg", 800)
    frames = send_with_files(web, sess, [body["id"]], "It arrived cracked")
    mine = next(f for f in frames if f["type"] == "message" and f["sender"] == "shopper")
    assert [a["id"] for a in mine["attachments"]] == [body["id"]]
    assert rasa.received[-1]["message"] == "It arrived cracked"
    served = web.get(mine["attachments"][0]["url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in served.headers["content-security-policy"]
    assert "sandbox" in served.headers["content-security-policy"]
    assert served.headers["content-disposition"] == "inline; filename*=UTF-8''IMG_2041.jpg"
    assert (
        b"TierPhone" not in served.content and not Image.open(io.BytesIO(served.content)).getexif()
    )
    thumb = web.get(mine["attachments"][0]["thumbnail_url"])
    assert thumb.status_code == 200 and max(Image.open(io.BytesIO(thumb.content)).size) == 320


def test_a_pdf_downloads_and_a_photo_alone_is_answered(web: TestClient, rasa: FakeRasa) -> None:
    sess = start(web)
    pdf = upload(web, sess, plain_pdf(), "receipt.pdf", "application/pdf").json()
    assert pdf["thumbnail_url"] is None
    frames = send_with_files(web, sess, [pdf["id"]])
    # No words: the bot is told a file came (a signed command the shopper can't type).
    sent = rasa.received[-1]
    assert sent["message"] == FILES_COMMAND and sent["metadata"]["command_signature"]
    assert frames[-1]["text"] == f"You said: {FILES_COMMAND}"
    served = web.get(pdf["url"])
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment;")


def test_a_file_goes_on_one_message_only(web: TestClient, rasa: FakeRasa) -> None:
    sess = start(web)
    first = upload(web, sess, photo()).json()["id"]
    send_with_files(web, sess, [first], "one")
    with chat_socket(web, sess, last_seq=99) as ws:
        ws.send_json({"type": "message", "client_id": "m2", "text": "x", "attachments": [first]})
        refused = ws.receive_json()
    assert (refused["type"], refused["code"]) == ("error", "unknown_attachment")


@pytest.mark.parametrize("files", ["att-1", [1], ["att-" + "0" * 24], [], ["x"] * 6])
def test_odd_attachment_lists_get_a_clear_error(web: TestClient, files: Any) -> None:
    sess = start(web)
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "m1", "text": "hi", "attachments": files})
        refused = ws.receive_json()
        assert refused["type"] == "error" and refused["message"]
        ws.send_json({"type": "ping"})
        assert ws.receive_json()["type"] == "pong"


def test_a_closed_or_unknown_chat_takes_no_file(web: TestClient) -> None:
    resp = upload(web, {"conversation_id": "web-" + "0" * 24, "token": "t"}, photo())
    assert resp.status_code == 401 and resp.json()["detail"]["code"] == "bad_conversation"


def test_an_upload_that_is_not_multipart_or_has_no_file_part(web: TestClient) -> None:
    sess = start(web)
    headers = {"X-Conversation-Id": sess["conversation_id"], "X-Conversation-Token": sess["token"]}
    raw = web.post("/chat/api/attachments", content=photo(), headers=headers)
    assert raw.status_code == 415 and raw.json()["detail"]["code"] == "not_multipart"
    no_file = web.post("/chat/api/attachments", files={"other": (None, b"x")}, headers=headers)
    assert no_file.status_code == 400 and no_file.json()["detail"]["code"] == "bad_upload"


def test_the_per_conversation_limit_is_refused_before_the_body_is_read(
    web: TestClient, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    monkeypatch.setenv("ATTACHMENT_MAX_PER_CONVERSATION", "1")
    get_settings.cache_clear()
    sess = start(web)
    assert upload(web, sess, photo()).status_code == 201
    again = upload(web, sess, photo())
    assert again.status_code == 409 and again.json()["detail"]["code"] == "too_many_files"
    assert session.scalar(select(func.count()).select_from(Attachment)) == 1


def test_a_declared_oversize_body_is_refused_unread(web: TestClient) -> None:
    sess = start(web)
    resp = web.post(
        "/chat/api/attachments",
        content=b"x" * 10,
        headers={
            "X-Conversation-Id": sess["conversation_id"],
            "X-Conversation-Token": sess["token"],
            "Content-Type": "multipart/form-data; boundary=b",
            "Content-Length": str(2 * GB),
        },
    )
    assert resp.status_code == 413 and resp.json()["detail"]["code"] == "file_too_large"


async def test_a_2_gb_stream_is_cut_off_just_past_the_limit(app: FastAPI, web: TestClient) -> None:
    """No Content-Length (chunked), 2 GB offered lazily: the desk reads a little over the limit,
    answers 413 and keeps nothing; nothing near 2 GB is ever allocated or read."""
    sess = start(web)
    limit = get_settings().attachment_max_bytes
    pulled = 0

    async def two_gigabytes() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.jpg"\r\n\r\n'
        chunk = bytes(64 * 1024)
        while pulled < 2 * GB:
            pulled += len(chunk)
            yield chunk

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk") as client:
        resp = await client.post(
            "/chat/api/attachments",
            content=two_gigabytes(),
            headers={
                "X-Conversation-Id": sess["conversation_id"],
                "X-Conversation-Token": sess["token"],
                "Content-Type": "multipart/form-data; boundary=b",
            },
        )
    assert resp.status_code == 413 and resp.json()["detail"]["code"] == "file_too_large"
    assert pulled < limit + 1024 * 1024
    await asyncio.sleep(0)


def test_an_expired_or_forged_link_serves_nothing(
    web: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    sess = start(web)
    monkeypatch.setenv("ATTACHMENT_LINK_SECONDS", "10")
    get_settings.cache_clear()
    body = upload(web, sess, photo()).json()
    url = body["url"]
    expires = int(url.split("expires=")[1].split("&")[0])
    later = url.replace(f"expires={expires}", f"expires={expires + 3600}")
    flipped = url[:-1] + ("1" if url.endswith("0") else "0")  # one hex digit of the signature
    for bad in (later, url.replace(body["id"], "att-" + "f" * 24), flipped):
        resp = web.get(bad)
        assert resp.status_code == 403 and resp.json()["detail"]["code"] == "link_expired"
    assert web.get(url.split("?")[0]).status_code == 422  # no signature at all


def _shopper_reports_damage(web: TestClient, rasa: FakeRasa) -> tuple[dict[str, Any], str]:
    sess = start(web)
    stored = upload(web, sess, photo()).json()
    send_with_files(web, sess, [stored["id"]], "The box was crushed")
    return sess, stored["id"]


def damaged_item_handoff(
    web: TestClient, sess: dict[str, Any], order_number: str, **extra: Any
) -> httpx.Response:
    """The bot hands the conversation over for a damaged item (POST /api/v1/handoffs)."""
    bot = TestClient(web.app, headers={"Authorization": f"Bearer {API_TOKEN}"})
    return handoff(
        bot,
        sess["conversation_id"],
        reason="Item arrived damaged",
        reason_code="shipping_error",
        order_number=order_number,
        **extra,
    )


def test_photos_travel_with_a_referral_to_the_specialists(
    web: TestClient, rasa: FakeRasa, login: Callable[[str], AgentClient]
) -> None:
    sess, attachment_id = _shopper_reports_damage(web, rasa)
    routed = damaged_item_handoff(
        web, sess, LAPTOP_ORDER, customer={"email": "priya.n@example.com", "name": "Priya"}
    )
    assert routed.status_code == 201, routed.text
    case_number = routed.json()["case_number"]
    # The bot asked for a photo after the handoff: one sent now shows the same order line.
    later = upload(web, sess, photo((300, 300)), "close-up.jpg").json()["id"]
    with chat_socket(web, sess) as ws:
        ws.send_json({"type": "message", "client_id": "m9", "attachments": [later]})
        ack = until(ws, lambda f: f["type"] == "ack")[-1]
        until(ws, lambda f: bot_message(f) and f["seq"] > ack["seq"])
    card = login("jordan.ecr").get(f"/console/api/cases/{case_number}")
    assert card.status_code == 200, card.text
    shown = card.json()["attachments"]
    assert [a["id"] for a in shown] == [attachment_id, later]
    for file in shown:
        assert (file["order_number"], file["sku"]) == (LAPTOP_ORDER, "SKU-LT-9100")
    assert web.get(shown[0]["thumbnail_url"]).status_code == 200
    # An associate may not open the specialists' case, so gets no link to its photos.
    assert login("alex").get(f"/console/api/cases/{case_number}").status_code == 403


def test_the_ticket_thread_and_its_files_for_the_agent(
    web: TestClient, rasa: FakeRasa, login: Callable[[str], AgentClient], session: Session
) -> None:
    sess, attachment_id = _shopper_reports_damage(web, rasa)
    put_online(session, "alex")
    routed = damaged_item_handoff(web, sess, SHOES_ORDER)
    assert routed.status_code == 201, routed.text
    number = routed.json()["ticket_number"]
    alex = login("alex")
    thread = alex.get(f"/console/api/tickets/{number}/messages").json()["messages"]
    carried = [m for m in thread if m["attachments"]]
    assert [a["id"] for a in carried[0]["attachments"]] == [attachment_id]
    files = alex.get(f"/console/api/tickets/{number}/attachments").json()
    assert files[0]["order_number"] == SHOES_ORDER and files[0]["sku"] == "SKU-RS-3310"
    assert web.get(files[0]["url"]).status_code == 200
    assert login("admin").get(f"/console/api/tickets/{number}/attachments").status_code == 403


def test_the_transcript_email_links_the_files_for_a_week(
    web: TestClient, rasa: FakeRasa, catcher: Catcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESK_PUBLIC_URL", "https://help.shop.example/")
    get_settings.cache_clear()
    sess = start(web)
    stored = upload(web, sess, photo(), "dent.jpg").json()
    send_with_files(web, sess, [stored["id"]], "Here is the dent")
    bot = TestClient(web.app, headers={"Authorization": f"Bearer {API_TOKEN}"})
    asked = bot.post(
        "/api/v1/transcript-requests",
        json={"conversation_id": sess["conversation_id"], "email": "maya.chen@example.com"},
    )
    assert asked.status_code == 201 and asked.json()["status"] == "sent", asked.text
    mail = catcher.only()
    text = text_of(mail)
    prefix = "Attached: dent.jpg <https://help.shop.example/attachments/"
    assert prefix in text
    link = text.split(prefix, 1)[1].split(">", 1)[0]
    expires = int(link.split("expires=")[1].split("&")[0])
    assert expires - time.time() > 6 * 24 * 3600
    assert web.get("/attachments/" + link).status_code == 200
    assert 'Attached: <a href="https://help.shop.example/attachments/' in html_of(mail)
