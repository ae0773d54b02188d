"""The query grammar and the normalised terms: parsed once, compiled alike for every engine."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.errors import ValidationFailed
from charter.search.backends import MySQLBackend, PostgreSQLBackend, SQLiteBackend
from charter.search.query import Phrase, Prefix, QuerySyntaxError, parse
from charter.search.text import encode, search_terms, terms


def test_terms_fold_case_and_accents_and_encode_what_innodb_would_drop():
    assert terms("Café CAFE café") == ["cafe", "cafe", "cafe"]
    assert terms("IT in Q3: the Zürich office") == [
        "zq2it",
        "zq2in",
        "zq2q3",
        "zq3the",
        "zurich",
        "office",
    ]
    assert terms("zqueue") == ["zq0zqueue"]
    assert encode("x") == "zq1x"


def test_terms_are_cut_at_a_word_boundary():
    assert search_terms("alpha beta gamma", 11) == "alpha beta"


def test_a_query_is_parsed_into_required_groups_and_exclusions():
    query = parse('budget "IT plan" -draft invoice OR receipt quart*')

    assert query.required[0] == (Phrase(("budget",)),)
    assert query.required[1] == (Phrase(("zq2it", "plan")),)
    assert query.required[2] == (Phrase(("invoice",)), Phrase(("receipt",)))
    assert isinstance(query.required[3][0], Prefix)
    assert query.excluded == (Phrase(("draft",)),)


def test_each_backend_compiles_the_same_tree():
    query = parse('IT "q3 plan" -old wo* OR x')

    assert SQLiteBackend().engine_text(query) == (
        '(("zq2it") AND ("zq2q3 plan") AND ("wo" * OR "zq2wo" OR "zq1x")) NOT ("old")'
    )
    assert PostgreSQLBackend().engine_text(query) == (
        "(zq2it) & (zq2q3 <-> plan) & (wo:* | zq2wo | zq1x) & !(old)"
    )
    # InnoDB is asked for a phrase's words; their order is checked in SQL (MySQLBackend).
    assert (
        MySQLBackend().engine_text(query) == "+(zq2it) +((+zq2q3 +plan)) +(wo* zq2wo zq1x) -(old)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "type a word"),
        ('"open', "closing quote"),
        ("a OR", "OR must stand between"),
        ("OR a", "OR must stand between"),
        ("a OR OR b", "OR must stand between"),
        ("-a", "not only what to leave out"),
        ("a -", "no letters or digits"),
        ("a*b", "* may only end a word"),
        ("a*", "at least 2"),
        ("!!!", "no letters or digits"),
        ("a OR -b", "OR cannot join"),
        ("x" * 501, "at most 500"),
        (" ".join(["w"] * 17), "at most 16"),
    ],
)
def test_bad_syntax_is_a_validation_error_naming_q(text, message):
    with pytest.raises(QuerySyntaxError) as raised:
        parse(text)
    assert raised.value.errors[0][0] == "q"
    assert message in raised.value.errors[0][1]


@given(st.text(max_size=200))
def test_any_text_parses_or_is_refused_as_invalid_input(text):
    try:
        query = parse(text)
    except ValidationFailed:
        return
    for backend in (SQLiteBackend(), PostgreSQLBackend(), MySQLBackend()):
        compiled = backend.engine_text(query)
        assert set(compiled) <= set('abcdefghijklmnopqrstuvwxyz0123456789 "()*+-:!&|<>ANDORT')
