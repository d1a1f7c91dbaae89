from __future__ import annotations

import re

from tierline_desk.services.ids import case_number, random_code, ticket_number


def test_human_friendly_numbers() -> None:
    assert ticket_number(123) == "T-000123"
    assert case_number(42) == "CASE-100042"
    codes = {random_code(6) for _ in range(200)}
    assert all(re.fullmatch(r"[2-9A-HJKMNP-Z]{6}", c) for c in codes)
    assert len(codes) > 190  # random, not constant


def test_placeholder_numbers_fit_the_32_character_columns() -> None:
    from tierline_desk.models import Case, HandoffTicket
    from tierline_desk.services.ids import placeholder_number

    numbers = {placeholder_number() for _ in range(1000)}
    assert len(numbers) == 1000
    for column in (HandoffTicket.__table__.c.ticket_number, Case.__table__.c.case_number):
        assert all(len(n) <= column.type.length for n in numbers)
