"""Reading ``limit`` and ``after`` from a folder listing's query string."""

import base64

import pytest

from charter.errors import ValidationFailed
from charter.tree.paging import PageRequest

SETTINGS = {"charter.api.default_page_size": 50, "charter.api.max_page_size": 200}
# A cursor as the server hands them out: base64 of [position, id], unpadded.
CURSOR = base64.urlsafe_b64encode(b"[3,17]").decode().rstrip("=")


def test_no_parameters_give_the_default_page():
    page = PageRequest.from_params({}, SETTINGS)

    assert page == PageRequest(limit=50, after=None, limit_given=False)
    assert page.next_query("abc") == {"after": "abc"}


@pytest.mark.parametrize("text", ["1", "3", "200"])
def test_a_limit_within_bounds_is_taken_and_kept_for_the_next_page(text):
    page = PageRequest.from_params({"limit": text}, SETTINGS)

    assert page.limit == int(text)
    assert page.next_query("abc") == {"after": "abc", "limit": text}


def test_the_maximum_comes_from_the_settings():
    settings = {"charter.api.default_page_size": 10, "charter.api.max_page_size": 20}

    assert PageRequest.from_params({}, settings).limit == 10
    with pytest.raises(ValidationFailed) as caught:
        PageRequest.from_params({"limit": "21"}, settings)
    assert caught.value.errors == [("limit", "a whole number from 1 to 20")]


@pytest.mark.parametrize("text", ["0", "201", "-1", "", " 5", "5.0", "abc", "1e2", "²", "٣"])
def test_a_bad_limit_is_refused_naming_limit(text):
    with pytest.raises(ValidationFailed) as caught:
        PageRequest.from_params({"limit": text}, SETTINGS)

    assert caught.value.errors == [("limit", "a whole number from 1 to 200")]


def test_a_cursor_is_passed_on():
    page = PageRequest.from_params({"after": CURSOR, "limit": "5"}, SETTINGS)

    assert page.after == CURSOR
    assert page.limit == 5


def test_an_empty_cursor_means_the_first_page():
    assert PageRequest.from_params({"after": ""}, SETTINGS).after is None


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "!!!",
        base64.urlsafe_b64encode(b"[1]").decode(),
        base64.urlsafe_b64encode(b'["a","b"]').decode(),
        base64.urlsafe_b64encode(b"42").decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_bad_cursor_is_refused_naming_after(cursor):
    with pytest.raises(ValidationFailed) as caught:
        PageRequest.from_params({"after": cursor}, SETTINGS)

    assert caught.value.errors == [("after", "not a cursor this server handed out")]
