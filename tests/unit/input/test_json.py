"""Reading JSON bodies (charter.input.json)."""

import pytest
from pyramid.request import Request

from charter.errors import MalformedRequest, TooLarge, UnsupportedMediaType, ValidationFailed
from charter.input.json import MAX_DEPTH, MAX_ITEMS, json_object, string_problems


class Registry:
    settings = {"charter.input.max_body_size": 1024}


def request(body: bytes, content_type: str = "application/json") -> Request:
    built = Request.blank("/", method="POST", body=body, content_type=content_type)
    built.registry = Registry()
    return built


def test_an_object_is_read():
    assert json_object(request(b'{"a": [1, "b", null]}')) == {"a": [1, "b", None]}


def test_a_byte_order_mark_is_ignored():
    assert json_object(request(b'\xef\xbb\xbf{"a": 1}')) == {"a": 1}


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_other_types_and_charsets_are_415(content_type):
    with pytest.raises(UnsupportedMediaType):
        json_object(request(b"{}", content_type))


def test_a_vendor_json_type_is_json():
    assert json_object(request(b'{"a": 1}', "application/merge-patch+json")) == {"a": 1}


def test_a_body_over_the_limit_is_too_large():
    with pytest.raises(TooLarge):
        json_object(request(b'{"a": "' + b"x" * 2000 + b'"}'))


@pytest.mark.parametrize(
    "body", [b"[1]", b"\xff", b"{", b'{"a": 1, "a": 2}', b'{"a": Infinity}', b'{"a": -1e400}']
)
def test_what_is_not_one_plain_json_object_is_malformed(body):
    with pytest.raises(MalformedRequest):
        json_object(request(body))


def test_every_unstorable_string_is_named_by_its_pointer():
    body = {"a": "\x00", "b/c": ["ok", {"d~": "\ud800"}], "\udfff": 1}

    assert string_problems(body) == [
        ("\\udfff", "the key holds a lone surrogate, which is not a character"),
        ("a", "holds the NUL character"),
        ("b~1c/1/d~0", "holds a lone surrogate, which is not a character"),
    ]


def test_nesting_deeper_than_the_limit_is_refused():
    body: dict = {}
    inner = body
    for _ in range(MAX_DEPTH + 1):
        inner["x"] = {}
        inner = inner["x"]

    with pytest.raises(ValidationFailed, match="nested deeper"):
        json_object(request(str(body).replace("'", '"').encode()))


def test_arrays_and_objects_of_too_many_entries_are_refused():
    body = {"order": ["x"] * (MAX_ITEMS + 1), "entries": {str(n): [] for n in range(MAX_ITEMS)}}

    assert string_problems(body) == [("order", f"has more than {MAX_ITEMS:,} entries")]
