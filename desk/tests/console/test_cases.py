"""Console email cases: who sees which, replying by real SMTP, a mail server that is down."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, NamedTuple

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tierline_common.ports import free_port

from tests.utils.console import AgentClient, LoginFn
from tests.utils.desk import audit_rows, code_of, fresh_rows
from tests.utils.mail_catcher import Catcher, catcher, dead_smtp, text_of, use_smtp
from tierline_desk.mail import case_threads
from tierline_desk.models import Case, CaseMessage, utcnow
from tierline_desk.settings import get_settings

__all__ = ["catcher", "dead_smtp"]  # the fixtures, imported for use here

URL = "/console/api/cases"
ALL_ROLES = ("alex", "sam.lead", "jordan.ecr", "admin")
ECR = "executive_customer_relations"
MakeCase = Callable[..., Case]
PRIYA = {"id": "C-1003", "email": "priya.n@example.com", "name": "Priya Natarajan"}


@pytest.fixture
def make_case(session: Session) -> MakeCase:
    counter = iter(range(1, 1000))

    def _make(
        team: str = ECR,
        channel: str = "email",
        kind: str = "trade_in_credit",
        status: str = "open",
        customer: dict[str, Any] | None = None,
        age: timedelta = timedelta(hours=1),
    ) -> Case:
        n = next(counter)
        case = Case(
            case_number=f"CASE-9{n:05d}",
            kind=kind,
            team=team,
            status=status,
            response_channel=channel,
            conversation_id=f"conv-case-{n}",
            order_number="118-2718281-8284590",
            customer=dict(PRIYA) if customer is None else customer,
            description="Trade-in credit for my old phone never arrived",
            created_at=utcnow() - age,
        )
        session.add(case)
        session.commit()
        return case

    return _make


class JordanCase(NamedTuple):
    jordan: AgentClient
    case: Case


@pytest.fixture
def jordan_case(login: LoginFn, make_case: MakeCase) -> JordanCase:
    """A new open case for ECR, and Jordan (its specialist) logged in."""
    case = make_case()
    return JordanCase(login("jordan.ecr"), case)


def _messages(session: Session, case: Case) -> list[CaseMessage]:
    return fresh_rows(
        session, select(CaseMessage).where(CaseMessage.case_number == case.case_number)
    )


def _fresh(session: Session, case: Case) -> Case:
    session.expire_all()
    row = session.get(Case, case.id)
    assert row is not None
    return row


def _reply_url(case: Case) -> str:
    return f"{URL}/{case.case_number}/reply"


# ---------------------------------------------------------------- who sees what


@pytest.fixture
def three_cases(make_case: MakeCase) -> dict[str, Case]:
    return {
        "ecr": make_case(),
        "email": make_case(team="associates", kind="email_follow_up", age=timedelta(hours=2)),
        "chat": make_case(team="associates", channel="chat", kind="damaged_item"),
    }


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("jordan.ecr", {"ecr"}),
        ("alex", {"email"}),
        ("sam.lead", {"ecr", "email"}),
    ],
)
def test_each_role_sees_its_cases(
    username: str, visible: set[str], login: LoginFn, three_cases: dict[str, Case]
) -> None:
    agent = login(username)
    listed = agent.get(f"{URL}?status=all").json()
    numbers = {c["case_number"] for c in listed["cases"]}
    assert numbers == {three_cases[k].case_number for k in visible}
    assert listed["total"] == len(visible)
    for key, case in three_cases.items():
        detail = agent.get(f"{URL}/{case.case_number}")
        if key in visible:
            assert detail.status_code == 200
            assert detail.json()["case"]["case_number"] == case.case_number
        else:
            assert detail.status_code == 403 and code_of(detail) == "forbidden_role"
            for url, body in (
                (_reply_url(case), {"body": "Hello"}),
                (f"{URL}/{case.case_number}/close", {"note": "done"}),
            ):
                resp = agent.post(url, json=body)
                assert resp.status_code == 403 and code_of(resp) == "forbidden_role"


def test_admin_has_no_cases(login: LoginFn, three_cases: dict[str, Case], session: Session) -> None:
    admin = login("admin")
    ecr = three_cases["ecr"]
    for resp in (
        admin.get(URL),
        admin.get(f"{URL}/{ecr.case_number}"),
        admin.post(_reply_url(ecr), json={"body": "Hello"}),
        admin.post(f"{URL}/{ecr.case_number}/close", json={"note": "done"}),
    ):
        assert resp.status_code == 403 and code_of(resp) == "forbidden_role"
    assert _fresh(session, ecr).status == "open" and _messages(session, ecr) == []


def test_not_logged_in_and_csrf(
    anon: TestClient, login: LoginFn, make_case: MakeCase, session: Session
) -> None:
    case = make_case()
    assert code_of(anon.get(URL)) == "not_logged_in"
    assert code_of(anon.get(f"{URL}/{case.case_number}")) == "not_logged_in"
    jordan = login("jordan.ecr")
    for url, body in (
        (_reply_url(case), {"body": "Hello"}),
        (f"{URL}/{case.case_number}/close", {"note": "done"}),
    ):
        assert anon.post(url, json=body).status_code == 401
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            resp = jordan.http.post(url, json=body, headers=headers)
            assert resp.status_code == 403 and code_of(resp) == "csrf_failed"
    assert _fresh(session, case).status == "open" and _messages(session, case) == []
    assert audit_rows(session, "case.reply") == [] and audit_rows(session, "case.close") == []


def test_status_filter_order_and_card(login: LoginFn, make_case: MakeCase) -> None:
    old = make_case(age=timedelta(days=3))
    new = make_case(age=timedelta(hours=1))
    answered = make_case(status="answered")
    closed = make_case(status="closed")
    jordan = login("jordan.ecr")

    def numbers(status: str) -> list[str]:
        body = jordan.get(f"{URL}?status={status}").json()
        assert body["status"] == status
        return [c["case_number"] for c in body["cases"]]

    assert numbers("open") == [old.case_number, new.case_number]  # oldest first
    assert jordan.get(URL).json()["status"] == "open"  # the default
    assert numbers("answered") == [answered.case_number]
    assert numbers("closed") == [closed.case_number]
    assert numbers("all") == [c.case_number for c in (closed, answered, new, old)]  # newest first
    page = jordan.get(f"{URL}?status=all&limit=1&offset=1").json()
    assert page["total"] == 4 and [c["case_number"] for c in page["cases"]] == [
        answered.case_number
    ]
    assert code_of(jordan.get(f"{URL}?status=pending")) == "validation_error"

    (card,) = [c for c in jordan.get(URL).json()["cases"] if c["case_number"] == old.case_number]
    assert card["kind"] == "trade_in_credit" and card["kind_label"] == "Trade in credit"
    assert card["customer_email"] == "priya.n@example.com"
    assert card["message_count"] == 0 and card["unsent_count"] == 0
    assert card["last_message_at"] is None and card["closed_at"] is None


def test_unknown_case(login: LoginFn) -> None:
    jordan = login("jordan.ecr")
    resp = jordan.get(f"{URL}/CASE-999999")
    assert resp.status_code == 404 and code_of(resp) == "case_not_found"
    resp = jordan.post(f"{URL}/CASE-999999/reply", json={"body": "Hi"})
    assert resp.status_code == 404 and code_of(resp) == "case_not_found"


# ---------------------------------------------------------------- replying by email


def test_reply_is_emailed_and_stored(
    session: Session, catcher: Catcher, jordan_case: JordanCase
) -> None:
    jordan, case = jordan_case
    text = (
        "Hi Priya,\n\nI checked your trade-in: the credit of $180.00 is issued today and "
        "shows on your account within 2 days.\n\nSorry for the wait."
    )
    resp = jordan.post(_reply_url(case), json={"body": text})
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["email_sent"] is True
    assert out["message"] == "Reply emailed to priya.n@example.com."
    assert out["case"]["status"] == "answered" and out["case"]["message_count"] == 1
    assert out["case"]["unsent_count"] == 0

    mail = catcher.only()
    subject = f"Re: your case {case.case_number} \N{EN DASH} Trade in credit"
    assert mail["To"] == "priya.n@example.com"
    assert mail["Subject"] == subject
    assert mail["From"] == get_settings().smtp_from
    assert mail["Reply-To"] == case_threads.reply_address(case.case_number)
    assert mail["X-Tierline-Reference"] == case.case_number
    assert mail.get_content_type() == "text/plain"  # plain text, no HTML part
    body = text_of(mail)
    assert body.startswith(text)
    assert "Jordan Lee" in body and case.case_number in body

    (stored,) = _messages(session, case)
    assert stored.sent is True and stored.direction == "outbound"
    assert stored.author == "jordan.ecr" and stored.to_email == "priya.n@example.com"
    assert stored.subject == subject and stored.body == body
    assert f"<{stored.message_id}>" == mail["Message-ID"]
    assert out["reply"] == {
        "id": stored.id,
        "direction": "outbound",
        "author": "jordan.ecr",
        "to_email": "priya.n@example.com",
        "subject": subject,
        "body": body,
        "message_id": stored.message_id,
        "sent": True,
        "created_at": out["reply"]["created_at"],
        "from_email": None,
        "quoted": None,
        "attachments": [],
    }
    fresh = _fresh(session, case)
    assert fresh.status == "answered" and fresh.closed_at is None
    (row,) = audit_rows(session, "case.reply")
    assert row.actor == "jordan.ecr" and row.order_number == "118-2718281-8284590"
    assert row.details["case_number"] == case.case_number
    assert row.details["message_id"] == stored.message_id
    assert (row.details["from_status"], row.details["status"]) == ("open", "answered")
    (sent_row,) = audit_rows(session, "case.reply_sent")
    assert sent_row.details == {
        "case_number": case.case_number,
        "message_id": stored.message_id,
        "resend": False,
    }

    detail = jordan.get(f"{URL}/{case.case_number}").json()
    assert [m["id"] for m in detail["messages"]] == [stored.id]
    assert jordan.get(f"{URL}?status=answered").json()["cases"][0]["message_count"] == 1


def test_reply_and_close_in_one_go(
    login: LoginFn, make_case: MakeCase, session: Session, catcher: Catcher
) -> None:
    case = make_case(team="associates", kind="email_follow_up")
    alex = login("alex")
    first = alex.post(_reply_url(case), json={"body": "We looked into it."})
    assert first.json()["case"]["status"] == "answered"
    second = alex.post(_reply_url(case), json={"body": "All done, closing this.", "close": True})
    assert second.status_code == 201
    card = second.json()["case"]
    assert card["status"] == "closed" and card["closed_by"] == "alex"
    assert card["closed_at"] is not None and card["message_count"] == 2
    subjects = [m["Subject"] for m in catcher.messages()]
    assert subjects == [f"Re: your case {case.case_number} \N{EN DASH} Email follow up"] * 2
    detail = alex.get(f"{URL}/{case.case_number}").json()
    assert [m["body"].splitlines()[0] for m in detail["messages"]] == [
        "We looked into it.",
        "All done, closing this.",
    ]
    late = alex.post(_reply_url(case), json={"body": "One more thing"})
    assert late.status_code == 409 and code_of(late) == "case_closed"
    assert late.json()["detail"]["closed_by"] == "alex"
    assert len(_messages(session, case)) == 2 and len(catcher.messages()) == 2


def test_reply_to_the_customer_record_when_the_case_has_no_email(
    login: LoginFn, make_case: MakeCase, catcher: Catcher
) -> None:
    case = make_case(customer={"id": "C-1001"})
    resp = login("sam.lead").post(_reply_url(case), json={"body": "Hello Maya"})
    assert resp.status_code == 201 and resp.json()["email_sent"] is True
    assert catcher.only()["To"] == "maya.chen@example.com"


def test_no_customer_email(login: LoginFn, make_case: MakeCase, session: Session) -> None:
    case = make_case(customer={"name": "Anonymous", "email": "not-an-address"})
    jordan = login("jordan.ecr")
    assert jordan.get(f"{URL}/{case.case_number}").json()["case"]["customer_email"] is None
    resp = jordan.post(_reply_url(case), json={"body": "Hello"})
    assert resp.status_code == 409 and code_of(resp) == "no_customer_email"
    assert _messages(session, case) == [] and _fresh(session, case).status == "open"
    assert audit_rows(session, "case.reply") == []


def test_reply_body_limits(jordan_case: JordanCase, session: Session) -> None:
    jordan, case = jordan_case
    for body in (
        {"body": ""},
        {"body": "   \n "},
        {"body": "x" * 10001},
        {},
        {"body": "x", "cc": 1},
    ):
        resp = jordan.post(_reply_url(case), json=body)
        assert resp.status_code == 422 and code_of(resp) == "validation_error", body
    assert _messages(session, case) == []
    ok = jordan.post(_reply_url(case), json={"body": "y" * 10000})
    assert ok.status_code == 201  # stored; mail is off in tests unless a catcher runs


def test_smtp_down_keeps_the_reply_unsent_and_it_can_be_sent_later(
    session: Session,
    catcher: Catcher,
    monkeypatch: pytest.MonkeyPatch,
    jordan_case: JordanCase,
) -> None:
    jordan, case = jordan_case
    use_smtp(monkeypatch, free_port())  # nothing listens there
    resp = jordan.post(_reply_url(case), json={"body": "Your credit is on its way."})
    assert resp.status_code == 201, resp.text
    out = resp.json()
    assert out["email_sent"] is False and out["reply"]["sent"] is False
    assert "NOT emailed to priya.n@example.com" in out["message"]
    assert "mail server could not be reached" in out["message"]
    assert out["case"]["status"] == "answered" and out["case"]["unsent_count"] == 1
    (stored,) = _messages(session, case)
    assert stored.sent is False and stored.body.startswith("Your credit is on its way.")
    assert catcher.messages() == []
    assert len(audit_rows(session, "case.reply")) == 1
    assert audit_rows(session, "case.reply_sent") == []

    use_smtp(monkeypatch, catcher.port)  # the mail server is back
    resend_url = f"{URL}/{case.case_number}/messages/{stored.id}/resend"
    again = jordan.post(resend_url)
    assert again.status_code == 200, again.text
    assert again.json()["email_sent"] is True and again.json()["case"]["unsent_count"] == 0
    mail = catcher.only()
    assert mail["Message-ID"] == f"<{stored.message_id}>" and mail["To"] == "priya.n@example.com"
    assert text_of(mail) == stored.body
    assert _messages(session, case)[0].sent is True
    (row,) = audit_rows(session, "case.reply_sent")
    assert row.details["resend"] is True

    twice = jordan.post(resend_url)
    assert twice.status_code == 409 and code_of(twice) == "already_sent"
    missing = jordan.post(f"{URL}/{case.case_number}/messages/999999/resend")
    assert missing.status_code == 404 and code_of(missing) == "message_not_found"
    no_csrf = jordan.http.post(resend_url)
    assert no_csrf.status_code == 403 and code_of(no_csrf) == "csrf_failed"


def test_smtp_down_fixture_and_mail_switched_off(
    session: Session, dead_smtp: int, monkeypatch: pytest.MonkeyPatch, jordan_case: JordanCase
) -> None:
    jordan, case = jordan_case
    out = jordan.post(_reply_url(case), json={"body": "Hello"}).json()
    assert out["email_sent"] is False and "could not be reached" in out["message"]
    monkeypatch.setenv("MAIL_ENABLED", "false")
    get_settings.cache_clear()
    off = jordan.post(_reply_url(case), json={"body": "Hello again"}).json()
    assert off["email_sent"] is False and "MAIL_ENABLED=false" in off["message"]
    assert [m.sent for m in _messages(session, case)] == [False, False]


# ---------------------------------------------------------------- closing


def test_close_with_a_note(login: LoginFn, make_case: MakeCase, session: Session) -> None:
    case = make_case(status="answered")
    sam = login("sam.lead")
    url = f"{URL}/{case.case_number}/close"
    for body in ({}, {"note": ""}, {"note": "x" * 2001}):
        assert code_of(sam.post(url, json=body)) == "validation_error"
    resp = sam.post(url, json={"note": " Customer confirmed the credit arrived "})
    assert resp.status_code == 200, resp.text
    out = resp.json()
    assert out["note"] == "Customer confirmed the credit arrived"
    assert out["case"]["status"] == "closed" and out["case"]["closed_by"] == "sam.lead"
    fresh = _fresh(session, case)
    assert fresh.status == "closed" and fresh.closed_by == "sam.lead"
    assert fresh.closed_at is not None
    (row,) = audit_rows(session, "case.close")
    assert row.actor == "sam.lead" and row.details == {
        "case_number": case.case_number,
        "role": "supervisor",
        "from_status": "answered",
        "note": "Customer confirmed the credit arrived",
    }
    again = sam.post(url, json={"note": "again"})
    assert again.status_code == 409 and code_of(again) == "case_closed"
    assert len(audit_rows(session, "case.close")) == 1
