"""The limits every stored string obeys (charter.input.text)."""

import pytest
from pydantic import BaseModel, ValidationError

from charter.input.text import BoundedText, text_problem


@pytest.mark.parametrize(
    ("value", "limits", "problem"),
    [
        ("abc", {"max_chars": 3}, None),
        ("abcd", {"max_chars": 3}, "has at most 3 characters"),
        ("😀😀", {"max_chars": 2, "max_bytes": 8}, None),
        ("😀😀😀", {"max_chars": 3, "max_bytes": 8}, "has at most 8 bytes in UTF-8"),
        ("a\ud800", {"max_chars": 10}, "lone surrogate"),
        ("a\x00b", {"max_chars": 10}, "NUL"),
        ("two\nlines\tand tabs", {"max_chars": 100}, None),
        ("two\nlines", {"max_chars": 100, "single_line": True}, "one line"),
        ("bell\x07", {"max_chars": 100, "single_line": True}, "one line"),
        ("del\x7f", {"max_chars": 100, "single_line": True}, "one line"),
        ("Ünïcödé ✓", {"max_chars": 100, "single_line": True}, None),
    ],
)
def test_text_problem_names_what_is_wrong(value, limits, problem):
    found = text_problem(value, **limits)

    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_bounded_text_validates_and_declares_its_length():
    class Fields(BaseModel):
        name: BoundedText(5, single_line=True)  # type: ignore[valid-type]

    assert Fields(name="short").name == "short"
    with pytest.raises(ValidationError, match="has at most 5 characters"):
        Fields(name="too long")
    assert Fields.model_json_schema()["properties"]["name"]["maxLength"] == 5
