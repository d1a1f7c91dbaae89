"""The desk CLI's assignment commands: an agent's capacity and a tier's automatic assignment."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.utils.desk import audit_rows
from tierline_desk.cli import main
from tierline_desk.db import get_session_factory
from tierline_desk.models import Agent


def test_capacity_is_set_cleared_and_refused_when_out_of_range(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["capacity", "alex", "5"]) == 0
    assert capsys.readouterr().out == "alex: capacity 5\n"
    assert main(["capacity", "alex", "default"]) == 0
    assert capsys.readouterr().out == "alex: capacity 3 (AGENT_CAPACITY)\n"
    assert main(["capacity", "alex", "0"]) == 5
    assert "1 to 50" in capsys.readouterr().err
    assert main(["capacity", "nobody", "2"]) == 5
    assert "no agent 'nobody'" in capsys.readouterr().err
    with get_session_factory()() as s:
        alex = s.scalars(select(Agent).where(Agent.username == "alex")).one()
        assert alex.capacity is None
        assert [r.details["to"] for r in audit_rows(s, "agent.capacity")] == [5, None]


def test_auto_assign_shows_and_switches_a_tier(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["auto-assign", "2"]) == 0
    assert capsys.readouterr().out == "tier 2: automatic assignment on\n"
    assert main(["auto-assign", "2", "off"]) == 0
    assert capsys.readouterr().out == "tier 2: automatic assignment off\n"
    assert main(["auto-assign", "2"]) == 0
    assert capsys.readouterr().out == "tier 2: automatic assignment off\n"
