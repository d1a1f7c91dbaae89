"""Console analytics: the funnel, waits per tier, the satisfaction section, the tier filter and
the CSV download, on answers with known timestamps."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.utils.console import LoginFn
from tierline_desk.models import Agent, CsatResponse, utcnow

URL = "/console/api/analytics"


def _answer(
    session: Session, n: int, score: int, tier: int, agent: str | None, reason: str, days_ago: int
) -> None:
    agent_id = (
        session.scalars(select(Agent.id).where(Agent.username == agent)).one() if agent else None
    )
    session.add(
        CsatResponse(
            subject=f"ticket:T-7{n:05d}",
            channel="web",
            conversation_id=f"conv-csat-{n}",
            ticket_number=f"T-7{n:05d}",
            tier=tier,
            agent_id=agent_id,
            reason=reason,
            score=score,
            created_at=utcnow() - timedelta(days=days_ago, minutes=1),
        )
    )


def _seed(session: Session) -> None:
    _answer(session, 1, 5, 1, "alex", "Package arrived damaged", 0)
    _answer(session, 2, 4, 1, "alex", "Package arrived damaged", 1)
    _answer(session, 3, 1, 2, "sam.lead", '=HYPERLINK("http://evil")', 2)
    _answer(session, 4, 2, 3, "jordan.ecr", "trade_in_credit", 3)
    _answer(session, 5, 5, 0, None, "bot_only", 4)
    _answer(session, 6, 3, 1, "alex", "Package arrived damaged", 40)  # outside 30 days
    session.commit()


def test_the_satisfaction_section_by_tier_agent_reason_and_day(
    session: Session, login: LoginFn
) -> None:
    _seed(session)
    data = login("sam.lead").get(f"{URL}?days=30").json()
    c = data["csat"]
    assert c["responses"] == 5 and c["average"] == 3.4 and c["satisfied_share"] == 0.6
    assert c["scores"] == [1, 1, 0, 1, 2] and c["low_scores"] == 2
    tiers = {g["label"]: (g["responses"], g["average"]) for g in c["by_tier"]}
    assert tiers == {
        "Associates": (2, 4.5),
        "Supervisors": (1, 1.0),
        "Specialists": (1, 2.0),
        "Bot": (1, 5.0),
    }
    agents = {g["label"]: g["responses"] for g in c["by_agent"]}
    assert agents == {"Alex Rivera": 2, "Sam Okafor": 1, "Jordan Lee": 1, "Bot": 1}
    assert c["by_reason"][0] == {
        "key": "Package arrived damaged",
        "label": "Package arrived damaged",
        "responses": 2,
        "average": 4.5,
        "satisfied_share": 1.0,
    }
    assert len(c["daily"]) == 30 and sum(d["responses"] for d in c["daily"]) == 5
    assert c["daily"][-1]["responses"] == 1 and c["daily"][-1]["average"] == 5.0
    assert [s["stage"] for s in data["funnel"]] == [
        "bot",
        "associates",
        "supervisors",
        "specialists",
    ]
    assert [w["tier"] for w in data["wait_by_tier"]] == [1, 2]


def test_the_tier_filter_narrows_the_satisfaction_section(session: Session, login: LoginFn) -> None:
    _seed(session)
    sam = login("sam.lead")
    one = sam.get(f"{URL}?days=30&tier=1").json()
    assert one["tier"] == 1 and one["csat"]["responses"] == 2 and one["csat"]["average"] == 4.5
    three = sam.get(f"{URL}?days=30&tier=3").json()
    assert three["csat"]["responses"] == 1 and three["csat"]["by_agent"][0]["responses"] == 1
    assert sam.get(f"{URL}?tier=4").status_code == 422
    assert sam.get(f"{URL}?tier=x").status_code == 422


def test_the_csv_download_has_the_values_a_filename_and_no_formulas(
    session: Session, login: LoginFn
) -> None:
    _seed(session)
    resp = login("admin").get(f"{URL}/export.csv?days=30&tier=2")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="tierline-analytics-')
    assert disposition.endswith('-tier-2.csv"')
    rows = list(csv.reader(io.StringIO(resp.text)))
    assert rows[0] == ["section", "item", "metric", "value"]
    table = {(s, i, m): v for s, i, m, v in rows[1:]}
    assert table[("csat", "all", "responses")] == "1"
    assert table[("csat", "all", "average_score")] == "1.0"
    assert table[("period", "", "tier")] == "2"
    assert table[("funnel", "bot", "count")].isdigit()
    # The reason that looks like a formula is text, not something a spreadsheet runs.
    reasons = [i for s, i, _m, _v in rows[1:] if s == "csat_by_reason"]
    assert reasons and all(not r.startswith("=") for r in reasons)
    assert "'=HYPERLINK" in resp.text
    assert "<" not in resp.text.replace('"http://evil"', "")


def test_only_supervisors_and_admins_download_the_csv(login: LoginFn, anon: object) -> None:
    assert login("alex").get(f"{URL}/export.csv").status_code == 403
    assert login("jordan.ecr").get(f"{URL}/export.csv").status_code == 403
    assert anon.get(f"{URL}/export.csv").status_code == 401  # type: ignore[attr-defined]
