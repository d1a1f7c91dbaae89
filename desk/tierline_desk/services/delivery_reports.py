"""Delivery problem reports, kept per ZIP code, and recurring delivery-route detection.

When ROUTE_REPORTS_THRESHOLD different conversations report a delivery problem for the same
ZIP code within ROUTE_WINDOW_DAYS, and that ZIP has no open route case, an
``executive_customer_relations`` case of kind ``recurring_delivery_route`` is opened listing the
reports. Later reports for the ZIP are attached to the open case instead of opening another.
Reports already attached to an earlier, closed route case do not count again.

Concurrency: the check and the case are made in the same transaction as the new report, and
that transaction is serialised per ZIP: on SQLite the report's INSERT comes first and takes the
database's write lock before anything is counted; on PostgreSQL a transaction-scoped advisory
lock on the ZIP is taken first. So two reports arriving together never open two cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, text
from sqlalchemy.orm import Session

from ..api.schemas import DeliveryReportCreated, DeliveryReportOut, DeliveryReportRequest
from ..errors import ApiError
from ..models import Case, DeliveryReport, utcnow
from ..responses import from_row
from ..settings import get_settings
from ..store import get_store
from . import audit, cases

ROUTE_CASE_KIND = "recurring_delivery_route"
# A US ZIP or ZIP+4 ("30309", "30309-1234", "303091234"): kept as the 5-digit ZIP.
_ZIP_RE = re.compile(r"^([0-9]{5})(?:[- ]?[0-9]{4})?$")  # ASCII digits only


def normalise_postal_code(value: str) -> str:
    """US ZIP+4 -> 5-digit ZIP; other postal codes upper-cased with single spaces."""
    cleaned = " ".join(value.split()).upper()
    match = _ZIP_RE.fullmatch(cleaned)
    return match.group(1) if match else cleaned


def _postal_code_for(session: Session, req: DeliveryReportRequest) -> str:
    order = None
    if req.order_number is not None:
        order = get_store().order(session, req.order_number)
        if order is None:
            raise ApiError(404, "order_not_found", f"No order {req.order_number}.")
    if req.postal_code:
        return normalise_postal_code(req.postal_code)
    if order is not None and order.ship_postal_code.strip():
        return normalise_postal_code(order.ship_postal_code)
    raise ApiError(
        422,
        "postal_code_required",
        "Give the postal_code where the delivery problem happened, or an order_number whose "
        "shipping address has one.",
    )


def _lock_postal_code(session: Session, postal_code: str) -> None:
    """PostgreSQL: serialise route detection per ZIP until the transaction ends. (SQLite needs
    nothing here: the report's INSERT takes the database write lock.)"""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"delivery-route:{postal_code}"},
        )


def open_route_case(session: Session, postal_code: str) -> Case | None:
    return session.scalar(
        select(Case)
        .where(
            Case.kind == ROUTE_CASE_KIND,
            Case.postal_code == postal_code,
            Case.status.in_(cases.OPEN_CASE_STATES),
        )
        .order_by(Case.id)
        .limit(1)
    )


def counted_reports(
    session: Session, postal_code: str, now: datetime, open_case: Case | None
) -> list[DeliveryReport]:
    """Reports for the ZIP within the window that are not part of an earlier (closed) case."""
    since = now - timedelta(days=get_settings().route_window_days)
    attached: ColumnElement[bool] = DeliveryReport.route_case_number.is_(None)
    if open_case is not None:
        attached = or_(attached, DeliveryReport.route_case_number == open_case.case_number)
    return list(
        session.scalars(
            select(DeliveryReport)
            .where(
                DeliveryReport.postal_code == postal_code,
                DeliveryReport.created_at >= since,
                attached,
            )
            .order_by(DeliveryReport.created_at, DeliveryReport.id)
        )
    )


def _report_line(report: DeliveryReport) -> str:
    order = f"order {report.order_number}" if report.order_number else "no order given"
    return (
        f"- {report.created_at:%Y-%m-%d %H:%M} UTC, {order}, conversation "
        f"{report.conversation_id}: {report.description}"
    )


def _route_case_description(
    postal_code: str, reports: list[DeliveryReport], conversations: int
) -> str:
    settings = get_settings()
    return "\n".join(
        [
            f"Recurring delivery problems for ZIP code {postal_code}: {conversations} shoppers "
            f"reported a problem within {settings.route_window_days} days (threshold "
            f"{settings.route_reports_threshold}). Check the carrier's route for this area.",
            "",
            "Reports:",
            *(_report_line(r) for r in reports),
        ]
    )


@dataclass(frozen=True)
class Reported:
    report: DeliveryReport
    reports_in_window: int  # distinct conversations counted for the ZIP
    route_case: Case | None
    route_case_opened: bool


def report(
    session: Session, req: DeliveryReportRequest, actor: str, now: datetime | None = None
) -> Reported:
    """Store a report; open or join the ZIP's route case when it recurs (not committed)."""
    now = now or utcnow()
    postal_code = _postal_code_for(session, req)
    _lock_postal_code(session, postal_code)
    row = DeliveryReport(
        postal_code=postal_code,
        order_number=req.order_number,
        conversation_id=req.conversation_id,
        description=req.description,
        created_at=now,
    )
    session.add(row)
    session.flush()  # first write of the transaction: holds SQLite's write lock from here on

    case = open_route_case(session, postal_code)
    counted = counted_reports(session, postal_code, now, case)
    conversations = len({r.conversation_id for r in counted})
    opened = False
    if case is not None:
        row.route_case_number = case.case_number
        case.description = f"{case.description}\n{_report_line(row)}"
        _audit_route_case(session, "route_case.attach", actor, row, case, {"report_id": row.id})
    elif conversations >= get_settings().route_reports_threshold:
        case = cases.open_case(
            session,
            kind=ROUTE_CASE_KIND,
            conversation_id=row.conversation_id,
            description=_route_case_description(postal_code, counted, conversations),
            actor=actor,
            postal_code=postal_code,
        )
        for contributing in counted:
            contributing.route_case_number = case.case_number
        opened = True
        _audit_route_case(
            session,
            "route_case.open",
            actor,
            row,
            case,
            {
                "report_ids": [r.id for r in counted],
                "conversations": conversations,
                "window_days": get_settings().route_window_days,
            },
        )
    return Reported(
        report=row, reports_in_window=conversations, route_case=case, route_case_opened=opened
    )


def _audit_route_case(
    session: Session,
    action: str,
    actor: str,
    report: DeliveryReport,
    case: Case,
    details: dict[str, Any],
) -> None:
    """A report joined or opened its ZIP's route case: audited with the case, the ZIP and
    ``details``."""
    audit.record(
        session,
        action,
        actor=actor,
        order_number=report.order_number,
        details={"case_number": case.case_number, "postal_code": report.postal_code, **details},
    )


def created_out(reported: Reported) -> DeliveryReportCreated:
    return DeliveryReportCreated(
        report_id=reported.report.id,
        postal_code=reported.report.postal_code,
        reports_in_window=reported.reports_in_window,
        route_case_number=reported.route_case.case_number if reported.route_case else None,
        route_case_opened=reported.route_case_opened,
    )


def to_out(report: DeliveryReport) -> DeliveryReportOut:
    return from_row(DeliveryReportOut, report, report_id=report.id)


def list_reports(session: Session, postal_code: str | None) -> list[DeliveryReport]:
    stmt = select(DeliveryReport).order_by(DeliveryReport.id)
    if postal_code:
        stmt = stmt.where(DeliveryReport.postal_code == normalise_postal_code(postal_code))
    return list(session.scalars(stmt))
