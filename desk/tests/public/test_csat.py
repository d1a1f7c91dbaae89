"""The satisfaction survey: in the web chat after a person closed it, and by the signed link in
an email case's closing reply (services/csat.py, public/csat.py)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tierline_harness.hostile import TEXTS

from tests.utils.console import login
from tests.utils.csat import closed_case_link, resolved_chat
from tests.utils.desk import audit_rows
from tests.utils.web_chat import FakeRasa, chat_socket, hello, start, until, until_each
from tierline_desk.models import Agent, Case, CsatResponse
from tierline_desk.settings import get_settings

__all__ = ["login"]


def _answer(ws: object, subject: str, score: object, comment: object = None) -> dict[str, object]:
    ws.send_json({"type": "csat", "subject": subject, "score": score, "comment": comment})  # type: ignore[attr-defined]
    return until(ws, lambda f: f["type"] in ("csat_thanks", "error"))[-1]  # type: ignore[arg-type]


def test_the_shopper_rates_a_chat_a_person_resolved_once_even_after_a_reload(
    web: TestClient, session: Session, login: object, rasa: FakeRasa
) -> None:
    sess, ticket = resolved_chat(web, session, login("alex"))  # type: ignore[operator]
    subject = f"ticket:{ticket.ticket_number}"
    with web.websocket_connect("/chat/ws") as ws:
        ready = hello(ws, sess)
        assert ready["csat"] == {
            "subject": subject,
            "question": ready["csat"]["question"],
            "answered": False,
        }
        assert "1" in ready["csat"]["question"] and "5" in ready["csat"]["question"]
        bad = _answer(ws, subject, 9)
        assert bad["type"] == "error" and bad["code"] == "csat_bad_score"
        thanks = _answer(ws, subject, 4, "  Quick and kind \x00 ")
        assert thanks["type"] == "csat_thanks" and thanks["score"] == 4
        again = _answer(ws, subject, 1)
        assert again["code"] == "csat_already_answered"
        assert "already rated" in again["message"]
    # A reload: the survey is still known, as answered.
    with web.websocket_connect("/chat/ws") as ws:
        assert hello(ws, sess)["csat"]["answered"] is True
    row = session.scalars(select(CsatResponse)).one()
    alex = session.scalars(select(Agent).where(Agent.username == "alex")).one()
    assert (row.subject, row.channel, row.tier, row.agent_id, row.score) == (
        subject,
        "web",
        1,
        alex.id,
        4,
    )
    assert row.reason == "Package arrived damaged" and row.comment == "Quick and kind"
    assert row.follow_up_case_number is None
    assert [r.details["score"] for r in audit_rows(session, "csat.answer")] == [4]


def test_a_chat_still_with_the_bot_or_a_person_is_not_rated(
    web: TestClient, rasa: FakeRasa
) -> None:
    sess = start(web)
    with web.websocket_connect("/chat/ws") as ws:
        ready = hello(ws, sess)
        assert ready["csat"]["subject"] is None
        refused = _answer(ws, f"chat:{sess['conversation_id']}", 5)
        assert refused["code"] == "csat_not_offered"


def test_bot_only_chats_are_rated_when_the_setting_says_so(
    web: TestClient, rasa: FakeRasa, monkeypatch: pytest.MonkeyPatch, session: Session
) -> None:
    monkeypatch.setenv("CSAT_BOT_CHATS", "true")
    monkeypatch.setenv("CSAT_BOT_MIN_MESSAGES", "2")
    get_settings.cache_clear()
    sess = start(web)
    subject = f"chat:{sess['conversation_id']}"
    with web.websocket_connect("/chat/ws") as ws:
        assert hello(ws, sess)["csat"]["subject"] is None
        ws.send_json({"type": "message", "client_id": "m0", "text": "question 0"})
        until(ws, lambda f: f["type"] == "message" and f["sender"] == "bot")
        ws.send_json({"type": "message", "client_id": "m1", "text": "question 1"})
        offered, _ = until_each(
            ws,
            lambda f: f["type"] == "csat",
            lambda f: f["type"] == "message" and f["sender"] == "bot",
        )
        assert offered["subject"] == subject and offered["answered"] is False
        assert _answer(ws, subject, 5)["type"] == "csat_thanks"
    row = session.scalars(select(CsatResponse)).one()
    assert (row.tier, row.agent_id, row.reason) == (0, None, "bot_only")


def test_a_low_score_opens_a_follow_up_for_the_supervisors(
    web: TestClient, session: Session, login: object, rasa: FakeRasa
) -> None:
    sess, ticket = resolved_chat(web, session, login("alex"))  # type: ignore[operator]
    with chat_socket(web, sess) as ws:
        assert _answer(ws, f"ticket:{ticket.ticket_number}", 1, "Nobody listened")["type"] == (
            "csat_thanks"
        )
    session.expire_all()
    row = session.scalars(select(CsatResponse)).one()
    case = session.scalars(select(Case).where(Case.case_number == row.follow_up_case_number)).one()
    assert (case.kind, case.team, case.response_channel) == (
        "csat_follow_up",
        "supervisors",
        "email",
    )
    assert "rated ticket" in case.description and "Nobody listened" in case.description
    [follow_up] = audit_rows(session, "csat.follow_up")
    assert follow_up.details["case_number"] == case.case_number
    # The supervisors see it among their cases; associates don't.
    sam = login("sam.lead")  # type: ignore[operator]
    listed = sam.get("/console/api/cases").json()
    assert case.case_number in str(listed)
    alex = login("alex")  # type: ignore[operator]
    assert alex.get(f"/console/api/cases/{case.case_number}").status_code == 403


def test_the_closing_email_links_to_a_single_use_survey(
    web: TestClient, session: Session, login: object
) -> None:
    case, link = closed_case_link(session, login)  # type: ignore[arg-type]
    path = urlsplit(link).path
    assert link.startswith("http://127.0.0.1:8000/csat/")
    page = web.get(path)
    assert page.status_code == 200 and 'name="score"' in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    bad = web.post(path, content=b"score=7", headers={"Content-Type": _FORM})
    assert bad.status_code == 422 and "from 1 (poor) to 5" in bad.text
    done = web.post(path, content=b"score=5&comment=Great+help", headers={"Content-Type": _FORM})
    assert done.status_code == 200 and "Thank you" in done.text
    again = web.post(path, content=b"score=1", headers={"Content-Type": _FORM})
    assert again.status_code == 409 and "already rated" in again.text
    assert web.get(path).status_code == 409
    row = session.scalars(select(CsatResponse)).one()
    jordan = session.scalars(select(Agent).where(Agent.username == "jordan.ecr")).one()
    assert (row.subject, row.channel, row.tier, row.agent_id, row.reason, row.comment) == (
        f"case:{case.case_number}",
        "email",
        3,
        jordan.id,
        "trade_in_credit",
        "Great help",
    )


_FORM = "application/x-www-form-urlencoded"


def test_forged_tampered_and_expired_links_are_refused(
    web: TestClient, session: Session, login: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tierline_desk.services import csat

    case, link = closed_case_link(session, login)  # type: ignore[arg-type]
    path = urlsplit(link).path
    assert web.get(path[:-2] + ("AA" if not path.endswith("AA") else "BB")).status_code == 404
    assert web.get("/csat/not-a-token").status_code == 404
    long_ago = time.time() - 15 * 86400
    with monkeypatch.context() as m:
        m.setattr("itsdangerous.timed.time.time", lambda: long_ago)
        old = csat.case_token(case.case_number)
    expired = web.get(f"/csat/{old}")
    assert expired.status_code == 410 and "expired" in expired.text
    posted = web.post(f"/csat/{old}", content=b"score=5", headers={"Content-Type": _FORM})
    assert posted.status_code == 410
    assert session.scalars(select(CsatResponse)).all() == []


def test_the_survey_page_is_rate_limited_per_address(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSAT_PER_IP_BURST", "2")
    get_settings.cache_clear()
    from tierline_desk.main import create_app

    with TestClient(create_app()) as client:
        codes = [client.get("/csat/whatever").status_code for _ in range(3)]
        limited = client.get("/csat/whatever")
    assert codes[:2] == [404, 404] and codes[2] == 429
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert "Please wait" in limited.text


def test_hostile_comments_are_stored_as_text_or_refused_clearly(
    web: TestClient, session: Session, login: object, rasa: FakeRasa
) -> None:
    """Every text of the hostile corpus as a comment, each on a chat of its own."""
    alex = login("alex")  # type: ignore[operator]
    for name, text in TEXTS.items():
        sess, ticket = resolved_chat(web, session, alex)
        with chat_socket(web, sess) as ws:
            reply = _answer(ws, f"ticket:{ticket.ticket_number}", 3, text)
        if reply["type"] == "error":
            assert reply["code"] == "csat_comment_too_long" and reply["message"], name
            continue
        assert reply["type"] == "csat_thanks", (name, reply)
        row = session.scalars(
            select(CsatResponse).where(CsatResponse.ticket_number == ticket.ticket_number)
        ).one()
        assert row.comment is None or not any(c in row.comment for c in "\x00\x07\x1b"), name


def test_the_survey_page_escapes_what_it_repeats(
    web: TestClient, session: Session, login: object
) -> None:
    _case, link = closed_case_link(session, login)  # type: ignore[arg-type]
    path = urlsplit(link).path
    hostile = "<script>alert(1)</script>" * 60  # too long: the form comes back with the problem
    resp = web.post(
        path,
        content=f"score=5&comment={hostile}".encode(),
        headers={"Content-Type": _FORM},
    )
    assert resp.status_code == 422 and "<script>" not in resp.text
    junk = web.post(path, content=b"\xff\xfe", headers={"Content-Type": _FORM})
    assert junk.status_code == 422 and "could not be read" in junk.text


def test_only_a_closing_reply_carries_the_link_and_follow_ups_are_not_rated(
    session: Session, login: object
) -> None:
    from tierline_desk.models import CaseMessage
    from tierline_desk.services import cases

    sam = login("sam.lead")  # type: ignore[operator]
    for kind, close in (("trade_in_credit", False), ("csat_follow_up", True)):
        case = cases.open_case(
            session,
            kind=kind,
            conversation_id=f"conv-{kind}",
            description="x",
            actor="bot",
            customer={"email": "sam.oconnor@example.com"},
        )
        session.commit()
        resp = sam.post(
            f"/console/api/cases/{case.case_number}/reply", json={"body": "Hi", "close": close}
        )
        assert resp.status_code == 201, resp.text
        session.expire_all()
        body = session.scalars(
            select(CaseMessage.body).where(CaseMessage.case_number == case.case_number)
        ).one()
        assert "/csat/" not in body, kind
