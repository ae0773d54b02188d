"""The Cookie header before WebOb parses it (charter.input.cookies)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from webob.cookies import parse_cookie

from charter.input.cookies import CleanCookiesRequest, well_formed_cookies

# Each shape made WebOb's parser backtrack over the whole run, quadratic in its length.
BACKTRACKING = [
    "a" * 16_000,
    "session=abc; " + "a" * 16_000,
    "x=b," + "c" * 16_000,
    "x=[" + "a" * 16_000,
    "x=" + "\\" * 16_000,
    '"' + "a" * 16_000,
]


@pytest.mark.parametrize("header", BACKTRACKING, ids=lambda header: header[:12])
def test_runs_without_pairs_are_dropped(header):
    cleaned = well_formed_cookies(header)

    assert "a" * 1000 not in cleaned
    assert "c" * 1000 not in cleaned


@pytest.mark.parametrize(
    ("header", "kept"),
    [
        (
            "charter_session=Ab3-_x; charter_language=de",
            "charter_session=Ab3-_x; charter_language=de",
        ),
        ('a="quoted value"', ""),  # a space is no cookie-octet
        ('a="quoted"', 'a="quoted"'),
        ("a=b=c==", "a=b=c=="),  # base64 padding
        ("  a=1 ;b=2;;;  c=3  ", "a=1; b=2; c=3"),
        ("a=1; no-equals; =2; b=[x]; c=é; d=", "a=1; d="),
        ("", ""),
    ],
)
def test_well_formed_pairs_are_kept_in_order(header, kept):
    assert well_formed_cookies(header) == kept


@given(st.text(max_size=300))
def test_webob_reads_every_kept_pair_and_nothing_else(header):
    cleaned = well_formed_cookies(header)
    pairs = [pair.split("=", 1) for pair in cleaned.split("; ") if pair]

    assert well_formed_cookies(cleaned) == cleaned
    assert list(parse_cookie(cleaned)) == [
        (name.encode("latin-1"), value.strip('"').encode("latin-1")) for name, value in pairs
    ]


def test_the_request_factory_cleans_blank_requests_too():
    # Pyramid's scripts (bootstrap, prepare) make their request with the factory's blank().
    request = CleanCookiesRequest.blank("/", headers={"Cookie": "a" * 100 + "; lang=de"})

    assert request.cookies == {"lang": "de"}
