"""Whole numbers from text, never an exception (charter.input.numbers)."""

import pytest

from charter.input.numbers import MAX_BIGINT, whole_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("42", 42),
        (str(MAX_BIGINT), MAX_BIGINT),
        (str(MAX_BIGINT + 1), None),
        ("9" * 5000, None),
        ("-1", None),
        ("", None),
        ("²", None),
        ("٣", None),
        (" 1", None),
        ("1.0", None),
    ],
)
def test_whole_number(text, expected):
    assert whole_number(text) == expected


def test_bounds_are_inclusive():
    assert whole_number("1", minimum=1, maximum=3) == 1
    assert whole_number("3", minimum=1, maximum=3) == 3
    assert whole_number("4", minimum=1, maximum=3) is None
