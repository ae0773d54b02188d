"""Comparing revisions: unified diffs for the API, numbered hunks with changed words for pages."""

import pytest

from charter.content.schemas import DocumentFields, FileFields
from charter.history import diff
from charter.history.diff import FieldChange, Segment, long_text_fields

BEFORE = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten"
AFTER = "one\n2\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven"


def shape(change):
    """Each hunk as its header and (kind, old number, new number, text) lines."""
    return [
        (
            hunk.header,
            [
                (
                    line.kind,
                    line.old_number,
                    line.new_number,
                    "".join(s.text for s in line.segments),
                )
                for line in hunk.lines
            ],
        )
        for hunk in change.hunks
    ]


def test_a_unified_diff_like_difflib_writes_it():
    change = FieldChange("body", "text", BEFORE, AFTER)

    assert change.changed
    assert change.unified("version 1", "version 2") == "\n".join(
        [
            "--- version 1",
            "+++ version 2",
            "@@ -1,5 +1,5 @@",
            " one",
            "-two",
            "+2",
            " three",
            " four",
            " five",
            "@@ -8,3 +8,4 @@",
            " eight",
            " nine",
            " ten",
            "+eleven",
        ]
    )


def test_hunks_number_the_lines_of_both_versions():
    assert shape(FieldChange("body", "text", BEFORE, AFTER)) == [
        (
            "@@ -1,5 +1,5 @@",
            [
                ("context", 1, 1, "one"),
                ("removed", 2, None, "two"),
                ("added", None, 2, "2"),
                ("context", 3, 3, "three"),
                ("context", 4, 4, "four"),
                ("context", 5, 5, "five"),
            ],
        ),
        (
            "@@ -8,3 +8,4 @@",
            [
                ("context", 8, 8, "eight"),
                ("context", 9, 9, "nine"),
                ("context", 10, 10, "ten"),
                ("added", None, 11, "eleven"),
            ],
        ),
    ]


def test_from_nothing_and_to_nothing():
    assert shape(FieldChange("body", "text", "", "a\nb")) == [
        ("@@ -0,0 +1,2 @@", [("added", None, 1, "a"), ("added", None, 2, "b")])
    ]
    assert shape(FieldChange("body", "text", "a", None)) == [
        ("@@ -1 +0,0 @@", [("removed", 1, None, "a")])
    ]


def test_a_line_replaced_by_one_line_has_its_changed_words_marked():
    change = FieldChange("body", "text", "the quick brown fox.", "the slow brown fox!")

    removed, added = change.hunks[0].lines
    assert removed.segments == (
        Segment("the "),
        Segment("quick", True),
        Segment(" brown fox"),
        Segment(".", True),
    )
    assert added.segments == (
        Segment("the "),
        Segment("slow", True),
        Segment(" brown fox"),
        Segment("!", True),
    )


def test_larger_changes_are_marked_whole_lines():
    old = "\n".join(f"line {n}" for n in range(diff.MAX_INLINE_LINES + 1))
    new = "\n".join(f"row {n}" for n in range(diff.MAX_INLINE_LINES + 1))

    lines = FieldChange("body", "text", old, new).hunks[0].lines

    assert all(line.segments == (Segment(line.segments[0].text, True),) for line in lines)
    long_line = "x" * (diff.MAX_INLINE_LENGTH + 1)
    removed, added = FieldChange("body", "text", long_line, long_line + "y").hunks[0].lines
    assert removed.segments == (Segment(long_line, True),)
    assert added.segments == (Segment(long_line + "y", True),)


def test_a_page_shows_a_bounded_number_of_lines(monkeypatch):
    monkeypatch.setattr(diff, "MAX_SHOWN_LINES", 5)
    change = FieldChange("body", "text", "\n".join("a" * 10), "\n".join("b" * 10))

    assert sum(len(hunk.lines) for hunk in change.hunks) == 5
    assert change.hidden_lines == 15
    # The first hunk is cut after five lines; the second is left out.
    assert FieldChange("body", "text", BEFORE, AFTER).hidden_lines == 5


def test_unchanged_fields_say_so():
    assert not FieldChange("title", "value", "Same", "Same").changed
    assert FieldChange("title", "value", "Same", "Same").unified("a", "b") == ""


@pytest.mark.parametrize(
    ("schema", "expected"),
    [(DocumentFields, {"description", "body"}), (FileFields, {"description"})],
)
def test_long_text_is_a_string_that_may_be_longer_than_a_line_or_two(schema, expected):
    assert long_text_fields(schema) == expected
