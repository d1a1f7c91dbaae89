"""A case's email thread end to end over real SMTP: the specialist's reply, the shopper's
answer with a photo sent to the local catcher (routed into the case), the next reply threaded."""

from __future__ import annotations

import io
import smtplib

from PIL import Image
from sqlalchemy.orm import Session

from tests.utils.console import LoginFn
from tests.utils.email_cases import jpeg_bytes, make_email_case, shopper_mail
from tests.utils.mail_catcher import Catcher, catcher
from tierline_desk.mail import case_threads

__all__ = ["catcher"]

URL = "/console/api/cases"


def test_both_directions_in_one_thread(login: LoginFn, session: Session, catcher: Catcher) -> None:
    case = make_email_case(session)
    jordan = login("jordan.ecr")
    first = jordan.post(f"{URL}/{case.case_number}/reply", json={"body": "Could you send a photo?"})
    assert first.status_code == 201 and first.json()["email_sent"], first.text
    sent = catcher.only()
    root = case_threads.root_message_id(case.case_number)
    assert sent["Reply-To"] == case_threads.reply_address(case.case_number)
    assert sent["Reply-To"].startswith(f"cases+{case.case_number.lower()}.")
    assert sent["In-Reply-To"] == root and sent["References"] == root
    assert sent[case_threads.TOKEN_HEADER].startswith(f"{case.case_number}.")

    photo = jpeg_bytes()
    answer = shopper_mail(
        to=str(sent["Reply-To"]),
        text="Here it is.",
        answering=sent,
        attachments=[("box.jpg", "image/jpeg", photo)],
    )
    with smtplib.SMTP("127.0.0.1", catcher.port) as smtp:
        smtp.send_message(answer)
    assert len(catcher.messages()) == 1  # the desk took it in; it is not in the outbox

    thread = jordan.get(f"{URL}/{case.case_number}").json()
    assert thread["case"]["status"] == "open"
    assert [(m["direction"], m["body"].split("\n")[0]) for m in thread["messages"]] == [
        ("outbound", "Could you send a photo?"),
        ("inbound", "Here it is."),
    ]
    inbound = thread["messages"][1]
    assert inbound["from_email"] == "priya.n@example.com"
    assert "Could you send a photo?" in inbound["quoted"]
    (attachment,) = inbound["attachments"]
    assert attachment["content_type"] == "image/jpeg"
    got = jordan.http.get(attachment["url"])
    assert got.status_code == 200
    with Image.open(io.BytesIO(got.content)) as kept:  # re-encoded: the same picture
        assert kept.size == Image.open(io.BytesIO(photo)).size
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"

    second = jordan.post(f"{URL}/{case.case_number}/reply", json={"body": "Thanks, refunded."})
    assert second.status_code == 201, second.text
    follow_up = catcher.messages()[-1]
    assert follow_up["In-Reply-To"] == answer["Message-ID"]
    assert follow_up["References"].split() == [root, sent["Message-ID"], answer["Message-ID"]]
