from __future__ import annotations

import pytest

from actions.addresses import one_line, parse_address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "221 Baker St, Springfield, IL 62704",
            {
                "line1": "221 Baker St",
                "line2": None,
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62704",
            },
        ),
        (
            "221 Baker St, Apt 2, Springfield, IL 62704",
            {
                "line1": "221 Baker St",
                "line2": "Apt 2",
                "city": "Springfield",
                "region": "IL",
                "postal_code": "62704",
            },
        ),
        (
            "  500 Howard St, San Francisco CA 94107-1234. ",
            {
                "line1": "500 Howard St",
                "line2": None,
                "city": "San Francisco",
                "region": "CA",
                "postal_code": "94107-1234",
            },
        ),
        (
            "12 main street, unit 5b, new york, ny, 10027",
            {
                "line1": "12 main street",
                "line2": "unit 5b",
                "city": "new york",
                "region": "NY",
                "postal_code": "10027",
            },
        ),
    ],
)
def test_parse_address(text: str, expected: dict[str, str | None]) -> None:
    assert parse_address(text) == {**expected, "country": "US"}


@pytest.mark.parametrize(
    "text",
    [
        "Baker St, Springfield, IL 62704",  # no house number
        "221 Baker St, Springfield, IL",  # no ZIP
        "221 Baker St Springfield IL 62704",  # no commas at all
        "221 Baker St, Springfield, Illinois 62704",
        "221 Baker St, Springfield, IL 6270",
        "send it to my office",
    ],
)
def test_not_an_address(text: str) -> None:
    assert parse_address(text) is None


@pytest.mark.parametrize(
    "text",
    ["221 Baker St, Springfield, IL 62704", "221 Baker St, Apt 2, Springfield, IL 62704-0001"],
)
def test_one_line_round_trips(text: str) -> None:
    parsed = parse_address(text)
    assert parsed is not None
    assert one_line(parsed) == text
    assert parse_address(one_line(parsed)) == parsed
