from __future__ import annotations

import re

import pytest

from tierline_desk.services.cases import route
from tierline_desk.services.ids import case_number, random_code, ticket_number


def test_human_friendly_numbers() -> None:
    assert ticket_number(123) == "T-000123"
    assert case_number(42) == "CASE-100042"
    codes = {random_code(6) for _ in range(200)}
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", c) for c in codes)
    assert len(codes) > 190  # random, not constant


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("trade_in_credit", ("executive_customer_relations", "email")),
        ("recurring_delivery_problem", ("executive_customer_relations", "email")),
        ("damaged_item", ("associates", "chat")),
        ("complaint", ("associates", "chat")),
    ],
)
def test_case_routing(kind: str, expected: tuple[str, str]) -> None:
    assert route(kind) == expected


def test_placeholder_numbers_fit_the_32_character_columns() -> None:
    from tierline_desk.models import Case, HandoffTicket
    from tierline_desk.services.ids import placeholder_number

    numbers = {placeholder_number() for _ in range(1000)}
    assert len(numbers) == 1000
    for column in (HandoffTicket.__table__.c.ticket_number, Case.__table__.c.case_number):
        assert all(len(n) <= column.type.length for n in numbers)
