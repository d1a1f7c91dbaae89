"""``cli reply-as-shopper``: the newcomer's way to answer a case by email against the catcher."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.email_cases import jpeg_bytes, make_email_case
from tests.utils.mail_catcher import Catcher
from tierline_desk.cli import main as cli_main
from tierline_desk.models import Agent, CaseMessage, MailAttachment
from tierline_desk.services import case_followup


def test_it_answers_the_cases_latest_mail_threaded_with_the_file(
    session: Session, catcher: Catcher, tmp_path: Path
) -> None:
    case = make_email_case(session)
    jordan = session.scalars(select(Agent).where(Agent.username == "jordan.ecr")).one()
    row, email = case_followup.reply(session, jordan, case, "A photo, please?", False)
    session.commit()
    assert case_followup.deliver(session, jordan, case, row, email, resend=False).email_sent
    photo = tmp_path / "box.jpg"
    photo.write_bytes(jpeg_bytes())

    assert (
        cli_main(["reply-as-shopper", case.case_number, "Attached.", "--attach", str(photo)]) == 0
    )

    session.expire_all()
    row = session.scalars(select(CaseMessage).where(CaseMessage.direction == "inbound")).one()
    assert row.case_number == case.case_number and row.body == "Attached."
    assert row.from_email == "priya.n@example.com"
    assert session.scalars(select(MailAttachment)).one().filename == "box.jpg"


def test_it_says_so_when_the_case_has_no_mail(
    session: Session, catcher: Catcher, capsys: pytest.CaptureFixture[str]
) -> None:
    case = make_email_case(session)
    assert cli_main(["reply-as-shopper", case.case_number, "Hello"]) == 2
    assert f"no mail about {case.case_number}" in capsys.readouterr().err
