"""The local catcher: mail to the case address goes to the desk, the rest to the Maildir; a
database that cannot take it gets the sender a 451 (try again), never a lost mail."""

from __future__ import annotations

import smtplib
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.email_cases import case_address, make_email_case, shopper_mail
from tests.utils.mail_catcher import Catcher
from tierline_desk.db import reset_engines
from tierline_desk.models import CaseMessage
from tierline_desk.settings import get_settings


def test_each_recipient_gets_its_own_way(session: Session, catcher: Catcher) -> None:
    case = make_email_case(session)
    msg = shopper_mail(to=case_address(case))
    with smtplib.SMTP("127.0.0.1", catcher.port) as smtp:
        smtp.send_message(msg, to_addrs=[case_address(case), "someone@example.com"])
    (kept,) = catcher.messages()
    assert kept["Delivered-To"] == "someone@example.com"
    session.expire_all()
    row = session.scalars(select(CaseMessage)).one()
    assert row.direction == "inbound" and row.case_number == case.case_number


def test_a_database_that_cannot_take_it_gets_a_451(
    session: Session, catcher: Catcher, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    case = make_email_case(session)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'desk.sqlite3'}")
    get_settings.cache_clear()
    reset_engines()
    with (
        smtplib.SMTP("127.0.0.1", catcher.port) as smtp,
        pytest.raises(smtplib.SMTPDataError) as refused,
    ):
        smtp.send_message(shopper_mail(to=case_address(case)))
    assert refused.value.smtp_code == 451
    assert catcher.messages() == []
