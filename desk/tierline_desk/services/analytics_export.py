"""The analytics as a CSV download: one row per figure (section, item, metric, value).

Values only: numbers as numbers (seconds, shares 0-1), dates as ISO dates, empty for "no data".
A cell a spreadsheet would run as a formula (starting with = + - @, a tab or CR) gets a leading
apostrophe (OWASP's advice for CSV injection): reasons and agents' names are text from outside.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from ..console.schemas import AnalyticsOut, CsatGroup, Durations

HEADER = ("section", "item", "metric", "value")
Row = tuple[str, str, str, Any]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _durations(section: str, item: str, d: Durations) -> Iterator[Row]:
    for metric in ("count", "avg", "p50", "p90"):
        yield (
            section,
            item,
            f"{metric}_seconds" if metric != "count" else "count",
            getattr(d, metric),
        )


def _groups(section: str, groups: list[CsatGroup]) -> Iterator[Row]:
    for g in groups:
        yield section, g.label, "responses", g.responses
        yield section, g.label, "average_score", g.average
        yield section, g.label, "satisfied_share", g.satisfied_share


def rows(report: AnalyticsOut) -> Iterator[Row]:
    yield "period", "", "since", report.since.isoformat()
    yield "period", "", "until", report.until.isoformat()
    yield "period", "", "tier", report.tier
    yield "containment", "", "conversations", report.conversations
    yield "containment", "", "bot_resolved", report.bot_resolved
    yield "containment", "", "bot_resolution_share", report.bot_resolution_share
    for stage in report.funnel:
        yield "funnel", stage.stage, "count", stage.count
    yield from _durations("waits", "all", report.wait_seconds)
    for tw in report.wait_by_tier:
        yield from _durations("waits", f"tier {tw.tier}", tw.wait_seconds)
    yield from _durations("resolution", "all", report.resolution_seconds)
    for reason in report.top_reasons:
        yield "top_reasons", reason.reason, "handoffs", reason.count
    for day in report.daily:
        d = day.date.isoformat()
        yield "daily", d, "conversations", day.conversations
        yield "daily", d, "bot_resolved", day.bot_resolved
        yield "daily", d, "handoffs", day.handoffs
        yield "daily", d, "resolved", day.resolved
    c = report.csat
    yield "csat", "all", "responses", c.responses
    yield "csat", "all", "average_score", c.average
    yield "csat", "all", "satisfied_share", c.satisfied_share
    yield "csat", "all", "low_scores", c.low_scores
    for score, count in enumerate(c.scores, start=1):
        yield "csat_scores", str(score), "responses", count
    yield from _groups("csat_by_tier", c.by_tier)
    yield from _groups("csat_by_agent", c.by_agent)
    yield from _groups("csat_by_reason", c.by_reason)
    for cd in c.daily:
        yield "csat_daily", cd.date.isoformat(), "responses", cd.responses
        yield "csat_daily", cd.date.isoformat(), "average_score", cd.average


def to_csv(report: AnalyticsOut) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows(report):
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def filename(report: AnalyticsOut) -> str:
    tier = f"-tier-{report.tier}" if report.tier is not None else ""
    return (
        f"tierline-analytics-{report.since.date().isoformat()}-to-"
        f"{report.until.date().isoformat()}{tier}.csv"
    )
