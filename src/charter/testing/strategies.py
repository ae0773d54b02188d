"""Hypothesis strategies for hostile input, one per kind of input Charter reads.

Charter's property tests send these through every view and service; an
add-on's tests use the same ones for its own fields and views (see
docs/testing.md). Each strategy yields values a careless parser, codec or
database trips over: text with lone surrogates, NUL and other controls,
text just past a limit in characters or in UTF-8 bytes, bytes that are not
UTF-8, JSON values of the wrong type, numbers past what a column stores,
moments past what a database stores, malformed headers and query strings.

The profiles ``charter-ci`` (the default: few examples, derandomized, so a
run is repeatable) and ``charter-long`` (many examples, random) are
registered here; the plugin loads the one ``CHARTER_HYPOTHESIS_PROFILE``
names.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

PROFILE_VARIABLE = "CHARTER_HYPOTHESIS_PROFILE"
CI_PROFILE = "charter-ci"
LONG_PROFILE = "charter-long"

# Property tests of a web app share a function-scoped transaction between
# examples (each example runs in a savepoint of its own) and may be slow.
_COMMON = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
    "print_blob": True,
}
settings.register_profile(CI_PROFILE, max_examples=10, derandomize=True, database=None, **_COMMON)
settings.register_profile(LONG_PROFILE, max_examples=300, **_COMMON)


def profile_name() -> str:
    """The profile ``CHARTER_HYPOTHESIS_PROFILE`` names (``charter-ci`` when unset)."""
    return os.environ.get(PROFILE_VARIABLE) or CI_PROFILE


def load_profile() -> str:
    """Load the profile :func:`profile_name` names; returns its name."""
    name = profile_name()
    settings.load_profile(name)
    return name


# -- text ---------------------------------------------------------------------

LONE_SURROGATES = ("\ud800", "\udbff", "\udc00", "\udfff")
# C0 controls (NUL, tab, line feeds, escape), DEL and C1 controls.
CONTROLS = ("\x00", "\x01", "\x08", "\t", "\n", "\r", "\x0b", "\x1b", "\x7f", "\x85", "\x9f")
# Bidirectional overrides and marks, zero-width and joiners, a BOM, separators.
INVISIBLES = (
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\ufeff",
    "\u2028",
    "\u2029",
    "\u00a0",
    "\u3000",
)
COMBINING = ("\u0301", "\u0308", "\u0336", "\u20dd", "\u0e49")
# Four-byte characters, a ZWJ family and a flag (several code points each).
EMOJI = ("😀", "🏳️‍🌈", "👨‍👩‍👧‍👦", "🇺🇦", "\U0010ffff", "\U0001d54f")
# Characters HTML or JSON escaping turns into several.
INFLATING = ("<", ">", "&", '"', "'", "\\", "\u2028")
ODD = ("\ufffd", "\uffff", "\ufffe", "\ue000", "ǅ", "ß", "İ", "ﬃ", "a\u0301", "../", "%00", "%ff")
# One character of each UTF-8 size, and the escaped ones: what fills a field to its limit.
FILL_UNITS = ("a", "é", "€", "😀", "<", "&")


def hostile_characters() -> st.SearchStrategy[str]:
    """One of the characters (or short sequences) that break careless text handling."""
    return st.sampled_from(
        LONE_SURROGATES + CONTROLS + INVISIBLES + COMBINING + EMOJI + INFLATING + ODD
    )


def hostile_text(min_size: int = 0, max_size: int = 40) -> st.SearchStrategy[str]:
    """Short text mixing ordinary letters with hostile characters (surrogates and NUL too)."""
    piece = st.one_of(
        hostile_characters(),
        st.text(st.characters(codec="utf-8"), max_size=4),
        st.text(st.characters(), max_size=3),  # any code point, surrogates included
    )
    return st.lists(piece, min_size=min_size, max_size=max_size).map("".join)


def storable_text(max_size: int = 40, *, single_line: bool = False) -> st.SearchStrategy[str]:
    """Text every database stores (no NUL, no lone surrogate; no controls if ``single_line``),
    hostile all the same: right-to-left marks, combining marks, emoji, escapes."""
    excluded = "\x00" + ("".join(chr(c) for c in range(32)) + "\x7f" if single_line else "")
    alphabet = st.characters(codec="utf-8", exclude_characters=excluded)
    pieces = [c for c in INVISIBLES + COMBINING + EMOJI + INFLATING + ODD if c not in excluded]
    if single_line:
        pieces = [c for c in pieces if not any(ch in excluded for ch in c)]
    piece = st.one_of(st.sampled_from(pieces), st.text(alphabet, max_size=3))
    return st.lists(piece, max_size=max_size).map("".join)


def text_around_limit(max_chars: int, max_bytes: int | None = None) -> st.SearchStrategy[str]:
    """Text just inside and just past a limit of ``max_chars`` characters (and ``max_bytes``
    UTF-8 bytes), made of 1- to 4-byte characters and of characters escaping inflates."""
    return st.sampled_from(FILL_UNITS).flatmap(
        lambda unit: st.sampled_from(sorted(_lengths_near(unit, max_chars, max_bytes))).map(
            lambda count: unit * count
        )
    )


def _lengths_near(unit: str, max_chars: int, max_bytes: int | None) -> set[int]:
    lengths = {max_chars - 1, max_chars, max_chars + 1}
    if max_bytes is not None:
        per_unit = len(unit.encode("utf-8"))
        lengths |= {max_bytes // per_unit, max_bytes // per_unit + 1}
    return {length for length in lengths if length >= 0}


def over_limit_text(max_chars: int, max_bytes: int | None = None) -> st.SearchStrategy[str]:
    """Text that breaks a limit of ``max_chars`` characters or ``max_bytes`` UTF-8 bytes."""

    def breaks(text: str) -> bool:
        return len(text) > max_chars or (
            max_bytes is not None and len(text.encode("utf-8")) > max_bytes
        )

    return text_around_limit(max_chars, max_bytes).filter(breaks)


def unstorable_text() -> st.SearchStrategy[str]:
    """Text no database stores: it holds NUL or a lone surrogate somewhere."""
    poison = st.sampled_from(("\x00", *LONE_SURROGATES))
    return st.tuples(storable_text(8), poison, storable_text(8)).map("".join)


# -- bytes --------------------------------------------------------------------

INVALID_UTF8 = (
    b"\xff",
    b"\xfe",
    b"\x80",  # a continuation byte alone
    b"\xbf",
    b"\xc0\xaf",  # an overlong "/"
    b"\xc1\xbf",
    b"\xe0\x80\xaf",  # an overlong three-byte form
    b"\xe2\x82",  # a truncated "€"
    b"\xed\xa0\x80",  # a UTF-16 surrogate encoded as UTF-8
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xf8\x88\x80\x80\x80",  # a five-byte form
    b"\xc3",  # a truncated "é" at the end
)


def invalid_utf8() -> st.SearchStrategy[bytes]:
    """Bytes that are not UTF-8: a bad sequence between valid text."""
    valid = st.text(st.characters(codec="utf-8"), max_size=6).map(lambda t: t.encode("utf-8"))
    return st.tuples(valid, st.sampled_from(INVALID_UTF8), valid).map(b"".join)


def percent_encoded(data: bytes | str) -> str:
    """``data`` percent-encoded for a URL or form (text is encoded as UTF-8, surrogates too)."""
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    return quote(data, safe="")


# -- JSON ---------------------------------------------------------------------

BOUNDARY_INTEGERS = (
    0,
    -1,
    1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**32,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    -(10**30),
)
BOUNDARY_FLOATS = (0.0, -0.0, 0.5, 1e-300, 5e-324, 1.7976931348623157e308, -1e308, 1.0, 2.0**63)


def boundary_numbers() -> st.SearchStrategy[int | float]:
    """Numbers at and past the edges of 32- and 64-bit columns, floats at the edges of doubles."""
    return st.one_of(
        st.sampled_from(BOUNDARY_INTEGERS),
        st.sampled_from(BOUNDARY_FLOATS),
        st.integers(),
        st.floats(allow_nan=False, allow_infinity=False),
    )


def json_scalars() -> st.SearchStrategy[Any]:
    """Any JSON scalar: null, booleans, boundary numbers, hostile strings."""
    return st.one_of(st.none(), st.booleans(), boundary_numbers(), hostile_text(max_size=8))


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value, nested objects and arrays included."""
    return st.recursive(
        json_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(hostile_text(max_size=4), children, max_size=4),
        ),
        max_leaves=max_leaves,
    )


JSON_KINDS = {
    "null": type(None),
    "boolean": bool,
    "integer": int,
    "number": (int, float),
    "string": str,
    "array": list,
    "object": dict,
}


def wrong_json_type(*expected: str) -> st.SearchStrategy[Any]:
    """A JSON value of none of the ``expected`` kinds ("string", "integer", "array"...)."""
    kinds = tuple(JSON_KINDS[kind] for kind in expected)

    def unexpected(value: Any) -> bool:
        if isinstance(value, bool):
            # True is an int to Python but never an integer to JSON.
            return "boolean" not in expected
        return not isinstance(value, kinds)

    return json_values(max_leaves=4).filter(unexpected)


def huge_json_number() -> st.SearchStrategy[bytes]:
    """A JSON number of thousands of digits (Python refuses to convert more than 4,300)."""
    return st.sampled_from((4_301, 5_000, 20_000)).map(lambda digits: b"9" * digits)


def malformed_json() -> st.SearchStrategy[bytes]:
    """A body that is not one JSON object: bad syntax, repeated keys, NaN, deep nesting,
    invalid UTF-8, a bare value."""
    return st.one_of(
        st.sampled_from(
            (
                b"",
                b"{",
                b"{}}",
                b"[]",
                b"null",
                b'"text"',
                b"3",
                b'{"title": NaN}',
                b'{"title": Infinity}',
                b'{"title": -Infinity}',
                b'{"title": 1e999}',
                b'{"title": "a", "title": "b"}',
                b"{'title': 'single quotes'}",
                b'{"title": "\\ud800"}',
                b'{"title": "\\u0000"}',
                b'{"\\ud800": 1}',
                b"\xef\xbb\xbf{}",  # a BOM before an empty object
                b'{"title": "a"} trailing',
            )
        ),
        st.integers(33, 200).map(lambda depth: b'{"a": ' + b"[" * depth + b"]" * depth + b"}"),
        st.integers(1_000, 100_000).map(lambda depth: b"[" * depth + b"]" * depth),
        invalid_utf8().map(lambda raw: b'{"title": "' + raw + b'"}'),
        huge_json_number().map(lambda digits: b'{"title": ' + digits + b"}"),
    )


TEXT_LIMITS = (100, 255, 500, 1024, 5000)


def field_values() -> st.SearchStrategy[Any]:
    """A hostile value for one JSON field: any JSON value, hostile or unstorable text, text
    around the common limits (100, 255, 500, 1024 and 5000 characters), numbers, moments."""
    return st.one_of(
        json_values(),
        hostile_text(),
        unstorable_text(),
        st.sampled_from(TEXT_LIMITS).flatmap(text_around_limit),
        boundary_numbers(),
        moment_texts(),
        number_texts(),
    )


def encode_json(value: Any, ascii_only: bool = True) -> bytes:
    """``value`` as a JSON body; lone surrogates become ``\\ud800`` escapes, or (with
    ``ascii_only`` false) the invalid UTF-8 bytes a careless client sends."""
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


def json_bodies(acceptable: dict[str, Any]) -> st.SearchStrategy[bytes]:
    """Bodies like the ``acceptable`` JSON object with one field made hostile (replaced by a
    :func:`field_values` value, left out, or joined by an unknown key), or not one object at
    all (:func:`malformed_json`, any other JSON value)."""
    names = sorted(acceptable) or ["field"]
    objects = st.one_of(
        st.tuples(st.sampled_from(names), field_values()).map(
            lambda nv: {**acceptable, nv[0]: nv[1]}
        ),
        st.sampled_from(names).map(lambda n: {k: v for k, v in acceptable.items() if k != n}),
        st.tuples(hostile_text(max_size=6), json_values()).map(
            lambda kv: {**acceptable, kv[0]: kv[1]}
        ),
    )
    return st.one_of(
        st.tuples(objects, st.booleans()).map(lambda ob: encode_json(*ob)),
        malformed_json(),
        json_values().map(encode_json),
    )


# -- numbers as text ----------------------------------------------------------

NUMBER_TEXTS = (
    "",
    "0",
    "-1",
    "+1",
    "01",
    " 1",
    "1 ",
    "1.0",
    "1e3",
    "0x10",
    "1_000",
    "2147483647",
    "2147483648",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999999",
    "-9223372036854775809",
    "²",
    "٣",
    "\uff11\uff12",  # fullwidth digits
    "߂",
    "NaN",
    "inf",
    "-0",
    "1\x00",
)


def number_texts() -> st.SearchStrategy[str]:
    """Text where a whole number is expected (an id, a version, a limit): signs, spaces,
    unicode digits like "²" and "٣", numbers of 64 bits and past, of thousands of digits."""
    return st.one_of(
        st.sampled_from(NUMBER_TEXTS),
        st.integers().map(str),
        st.sampled_from((19, 20, 4_301, 5_000)).map(lambda digits: "9" * digits),
    )


# -- moments ------------------------------------------------------------------

MOMENT_TEXTS = (
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0999-12-31T23:59:59Z",
    "1000-01-01T00:00:00Z",
    "1000-01-01T00:00:00+14:00",
    "1000-01-01T00:00:00-14:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-23:59",
    "2026-06-30T12:00:00",  # naive
    "2026-06-30",
    "2026-06-30T12:00:00+24:00",
    "2026-06-30T12:00:00+14:01",
    "2026-13-01T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-06-30T24:00:00Z",
    "2026-06-30T23:59:60Z",
    "2026-06-30T25:00:00Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "T",
    "Z",
    "",
    "now",
    "\uff12\uff10\uff12\uff16-\uff10\uff16-\uff13\uff10T12:00:00Z",  # fullwidth digits
    "2026-06-30T12:00:00Z\x00",
    "2026-06-30 12:00:00+00:00",
    "20260630T120000Z",
    "2026-W27-2",
    "1e10",
)


def moment_texts() -> st.SearchStrategy[str]:
    """ISO 8601 text at and past the edges (years 1, 1000 and 9999 with offsets up to ±14:00
    and beyond), naive, malformed, in unicode digits."""
    return st.one_of(
        st.sampled_from(MOMENT_TEXTS),
        st.builds(_moment_text, boundary_datetimes(), _offsets()),
    )


def boundary_datetimes() -> st.SearchStrategy[dt.datetime]:
    """Naive datetimes at the years 1, 1000 and 9999 and anywhere between."""
    edges = st.sampled_from(
        (
            dt.datetime(1, 1, 1),
            dt.datetime(1000, 1, 1),
            dt.datetime(999, 12, 31, 23, 59, 59, 999999),
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999),
            dt.datetime(9999, 12, 31),
        )
    )
    return st.one_of(edges, st.datetimes())


def _offsets() -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        st.sampled_from(("Z", "+00:00", "+14:00", "-14:00", "+23:59", "-23:59", "+05:45")),
    )


def _moment_text(moment: dt.datetime, offset: str | None) -> str:
    return moment.isoformat() + (offset or "")


def moments() -> st.SearchStrategy[dt.datetime]:
    """Aware and naive datetimes at the edges of what Python and the databases hold."""
    zones = st.sampled_from(
        (
            dt.UTC,
            dt.timezone(dt.timedelta(hours=14)),
            dt.timezone(dt.timedelta(hours=-14)),
            dt.timezone(dt.timedelta(hours=23, minutes=59)),
            dt.timezone(dt.timedelta(hours=-23, minutes=-59)),
        )
    )
    return st.one_of(
        boundary_datetimes(),
        st.builds(lambda moment, zone: moment.replace(tzinfo=zone), boundary_datetimes(), zones),
    )


# -- headers ------------------------------------------------------------------


def header_text() -> st.SearchStrategy[str]:
    """A header value as WSGI hands it over (latin-1 text): printable, controls, and UTF-8
    or invalid bytes seen through latin-1."""
    return st.one_of(
        st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
        st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=30),
        hostile_text(max_size=6).map(
            lambda t: t.encode("utf-8", "surrogatepass").decode("latin-1").replace("\r", "")
        ),
        invalid_utf8().map(lambda raw: raw.decode("latin-1")),
        st.sampled_from((8_000, 70_000)).map(lambda size: "x" * size),
    )


def content_types() -> st.SearchStrategy[str]:
    """Content-Type values: JSON, forms and others, with odd or unsupported charsets."""
    kinds = st.sampled_from(
        (
            "application/json",
            "application/problem+json",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "text/plain",
            "text/html",
            "application/octet-stream",
            "application/xml",
            "",
            "json",
            "application/",
            "*/*",
        )
    )
    charsets = st.sampled_from(
        (
            "",
            "; charset=utf-8",
            "; charset=UTF-8",
            '; charset="utf-8"',
            "; charset=utf8",
            "; charset=klingon",
            "; charset=utf-16",
            "; charset=latin-1",
            "; charset=",
            '; charset=""',
            "; charset=utf-8; charset=utf-16",
            "; charset=\u00e9",
            "; boundary=",
            "; boundary=x" * 3,
            ";;;",
        )
    )
    return st.one_of(st.tuples(kinds, charsets).map("".join), header_text())


def etags() -> st.SearchStrategy[str]:
    """If-Match and If-None-Match values: real-looking tags, weak ones, lists, ``*``, numbers
    past 64 bits, unquoted and malformed ones."""
    numbers = number_texts().map(lambda n: f'"{n}"')
    return st.one_of(
        st.sampled_from(
            (
                '"1"',
                "1",
                'W/"1"',
                "*",
                '"1", "2"',
                '"1-0123456789abcdef"',
                '"1-zz"',
                '"1-"',
                '""',
                '"',
                '"1',
                "W/",
                '"1"x',
                '\t"1"\t',
            )
        ),
        numbers,
        header_text(),
    )


def slugs() -> st.SearchStrategy[str]:
    """``Slug`` header values: percent-encoded UTF-8 and invalid bytes, raw UTF-8 seen through
    latin-1, path segments, dots, NUL, very long names."""
    return st.one_of(
        hostile_text(max_size=10).map(percent_encoded),
        invalid_utf8().map(percent_encoded),
        invalid_utf8().map(lambda raw: raw.decode("latin-1")),
        st.sampled_from(("", ".", "..", "../../etc/passwd", "a/b", "%00", "%", "%zz", "@@x")),
        st.sampled_from((255, 256, 5_000)).map(lambda size: "n" * size),
        header_text(),
    )


def authorizations() -> st.SearchStrategy[str]:
    """Authorization values: wrong schemes, malformed and forged bearer tokens."""
    return st.one_of(
        st.sampled_from(
            (
                "",
                "Bearer",
                "Bearer ",
                "bearer x",
                "Basic YWRtaW46YWRtaW4=",
                "Basic",
                "Bearer charter_",
                "Bearer charter_" + "A" * 43,
                "Bearer  charter_x",
                "Bearer a b",
                "Digest username=admin",
            )
        ),
        header_text().map(lambda text: "Bearer " + text),
        header_text(),
    )


def request_headers() -> st.SearchStrategy[dict[str, str]]:
    """A few request headers with hostile values: Accept, Content-Type, If-Match,
    If-None-Match, If-Modified-Since, Range, Slug, X-CSRF-Token and others."""
    by_name: dict[str, st.SearchStrategy[str]] = {
        "Accept": st.one_of(
            st.sampled_from(
                (
                    "application/json",
                    "application/json;q=0.9, text/html;q=0.1",
                    "*/*;q=abc",
                    "text/html;q=2",
                    "application/problem+json",
                    ";;;",
                )
            ),
            header_text(),
        ),
        "Accept-Language": header_text(),
        "Content-Type": content_types(),
        "If-Match": etags(),
        "If-None-Match": etags(),
        "If-Modified-Since": st.one_of(moment_texts(), header_text()),
        "If-Unmodified-Since": moment_texts(),
        "Range": st.one_of(
            st.sampled_from(
                (
                    "bytes=0-",
                    "bytes=-0",
                    "bytes=5-1",
                    "bytes=0-99999999999999999999",
                    "bytes=-99999999999999999999",
                    "bytes=0-1,2-3,4-5",
                    "bytes=",
                    "items=0-1",
                )
            ),
            header_text(),
        ),
        "Slug": slugs(),
        "X-CSRF-Token": header_text(),
        "User-Agent": header_text(),
        "X-Forwarded-For": header_text(),
        "Cookie": header_text(),
    }
    return st.dictionaries(st.sampled_from(sorted(by_name)), st.just(None), min_size=1).flatmap(
        lambda names: st.fixed_dictionaries({name: by_name[name] for name in names})
    )


# -- query strings and forms ----------------------------------------------------


def query_values() -> st.SearchStrategy[str]:
    """One query value, percent-encoded: hostile text, invalid UTF-8, numbers, moments."""
    return st.one_of(
        hostile_text(max_size=10).map(percent_encoded),
        invalid_utf8().map(percent_encoded),
        number_texts().map(percent_encoded),
        moment_texts().map(percent_encoded),
        st.sampled_from(("", "%", "%f", "%zz", "+", "%2B", "%00", "a%00b", "%C0%AF", "%ED%A0%80")),
    )


def query_strings(keys: Sequence[str] = ()) -> st.SearchStrategy[str]:
    """A raw query string: the ``keys`` a view reads (and others) with hostile values,
    plus ones over the length and parameter limits and malformed separators."""
    key = st.one_of(st.sampled_from(tuple(keys) or ("q",)), query_values())
    pairs = st.lists(st.tuples(key, query_values()), min_size=1, max_size=6)
    return st.one_of(
        pairs.map(lambda items: "&".join(f"{k}={v}" for k, v in items)),
        st.sampled_from(
            (
                "&&&",
                "=",
                "==",
                "a",
                ";",
                "a=1;b=2",
                "&".join(["a=1"] * 101),
                "q=" + "x" * 8_200,
                "q=" + "%ff" * 3_000,
                "q=" + "%E2%82%AC" * 900,
            )
        ),
    )


def form_values() -> st.SearchStrategy[bytes]:
    """One form field value as raw bytes: hostile text as UTF-8, invalid UTF-8, numbers,
    moments, long text."""
    return st.one_of(
        hostile_text(max_size=10).map(lambda t: t.encode("utf-8", "surrogatepass")),
        invalid_utf8(),
        number_texts().map(lambda t: t.encode("utf-8")),
        moment_texts().map(lambda t: t.encode("utf-8")),
        st.sampled_from(TEXT_LIMITS).flatmap(text_around_limit).map(lambda t: t.encode("utf-8")),
    )


def encode_form(fields: dict[str | bytes, str | bytes] | list[tuple[Any, Any]]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body of ``fields`` (names and values as text
    or raw bytes), percent-encoded as a browser would."""
    items = fields.items() if isinstance(fields, dict) else fields
    return "&".join(
        f"{percent_encoded(name)}={percent_encoded(value)}" for name, value in items
    ).encode("ascii")


def form_fields_like(acceptable: dict[str, str]) -> st.SearchStrategy[dict[Any, bytes]]:
    """The fields of an ``acceptable`` form with one of them made hostile: its value
    replaced (:func:`form_values`), the field left out, renamed (numbers in its name
    replaced, as in ``entry-٣-principal``) or joined by an unknown field."""
    base: dict[Any, bytes] = {name: value.encode("utf-8") for name, value in acceptable.items()}
    names = sorted(acceptable) or ["field"]
    extra_name = st.one_of(
        hostile_text(min_size=1, max_size=6).map(lambda t: t.encode("utf-8", "surrogatepass")),
        invalid_utf8(),
    )
    return st.one_of(
        st.tuples(st.sampled_from(names), form_values()).map(lambda nv: {**base, nv[0]: nv[1]}),
        st.sampled_from(names).map(lambda n: {k: v for k, v in base.items() if k != n}),
        st.sampled_from(names).flatmap(
            lambda n: _renamed_field(n).map(
                lambda new: {**{k: v for k, v in base.items() if k != n}, new: base.get(n, b"")}
            )
        ),
        st.tuples(extra_name, form_values()).map(lambda nv: {**base, nv[0]: nv[1]}),
    )


def _renamed_field(name: str) -> st.SearchStrategy[str]:
    prefix = name.rpartition("-")[0]
    numbered = re.search(r"\d+", name)
    renamed = hostile_text(min_size=1, max_size=6)
    variants = [renamed.map(lambda t: f"{prefix}-{t}" if prefix else t)]
    if numbered:
        variants.append(
            number_texts().map(lambda n: name[: numbered.start()] + n + name[numbered.end() :])
        )
    return st.one_of(variants)


def path_segments() -> st.SearchStrategy[str]:
    """One URL path segment, percent-encoded: hostile text, invalid UTF-8, numbers past
    64 bits, dot segments, view and traversal markers, encoded slashes, long names."""
    return st.one_of(
        hostile_text(min_size=1, max_size=10).map(percent_encoded),
        invalid_utf8().map(percent_encoded),
        number_texts().filter(bool).map(percent_encoded),
        st.sampled_from(
            (".", "..", "%2e%2e", "@@edit", "@@", "@sharing", "%2F", "%00", "~", "_x", "@x", "%25")
        ),
        st.sampled_from((101, 1_000, 5_000)).map(lambda size: "n" * size),
    )
