"""The session cookie: signed values that read back, and hostile ones that read as nothing."""

import base64
import json

import pytest

from charter.sessions.cookies import (
    COOKIE_NAME,
    MAX_COOKIE_LENGTH,
    ClientCookie,
    ServerCookie,
    SessionCookies,
    cookie_value,
    key_hash,
    new_key,
)

SECRET = "a-test-secret-of-at-least-thirty-two-characters"


@pytest.fixture
def cookies():
    return SessionCookies(SECRET)


def header(value):
    """A Cookie header carrying ``value`` as the session cookie, beside another cookie."""
    return f"theme=dark; {COOKIE_NAME}={value}"


def test_a_server_value_reads_back_as_its_key(cookies):
    key = new_key()

    assert cookies.read(header(cookies.server_value(key))) == ServerCookie(key)


def test_keys_are_256_random_bits_and_only_their_hash_is_kept():
    keys = {new_key() for _ in range(100)}

    assert len(keys) == 100
    assert all(len(base64.urlsafe_b64decode(k + "=")) == 32 for k in keys)
    key = next(iter(keys))
    assert key_hash(key) != key
    assert len(key_hash(key)) == 64


def test_a_client_value_reads_back_with_its_data(cookies):
    value = cookies.client_value(1000.0, 2000.0, {"_csrft_": "abc", "_f_": ["Saved."]})

    assert cookies.read(header(value)) == ClientCookie(
        1000.0, 2000.0, {"_csrft_": "abc", "_f_": ["Saved."]}
    )


def test_another_sites_secret_does_not_read_the_cookie(cookies):
    other = SessionCookies("another-secret-of-at-least-thirty-two-chars")

    assert cookies.read(header(other.server_value(new_key()))) is None
    assert cookies.read(header(other.client_value(1.0, 2.0, {"a": 1}))) is None


def test_a_server_key_signed_as_client_data_is_refused(cookies):
    # The kind is part of what is signed: one kind's MAC does not pass for the other.
    key = new_key()
    _, _, mac = cookies.server_value(key).split(".")

    assert cookies.read(header(f"c.{key}.{mac}")) is None


def test_changed_client_data_is_refused(cookies):
    value = cookies.client_value(1.0, 2.0, {"role": "reader"})
    kind, _, mac = value.split(".")
    forged = base64.urlsafe_b64encode(
        json.dumps({"c": 1.0, "w": 2.0, "d": {"role": "admin"}}).encode()
    ).decode()

    assert cookies.read(header(f"{kind}.{forged.rstrip('=')}.{mac}")) is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("", id="empty"),
        pytest.param("garbage", id="no-dots"),
        pytest.param("s..", id="empty-parts"),
        pytest.param("s.key.mac", id="wrong-mac"),
        pytest.param("x" * (MAX_COOKIE_LENGTH + 1), id="too-long"),
        pytest.param("s.\xff\xfe.\x00", id="not-ascii"),
        pytest.param('"quoted"', id="quoted"),
        pytest.param("s.a.b.c.d", id="too-many-dots"),
    ],
)
def test_hostile_values_read_as_no_session(cookies, value):
    assert cookies.read(header(value)) is None


def test_a_correctly_signed_client_value_that_is_not_an_object_is_refused(cookies):
    payload = base64.urlsafe_b64encode(b"[1, 2, 3]").decode().rstrip("=")
    signed = cookies._mac("c", payload)

    assert cookies.read(header(f"c.{payload}.{signed}")) is None


@pytest.mark.parametrize(
    ("cookie_header", "expected"),
    [
        (None, None),
        ("", None),
        ("theme=dark", None),
        (f"{COOKIE_NAME}=abc", "abc"),
        (f"theme=dark;{COOKIE_NAME}=abc ; x=1", "abc"),
        (f'{COOKIE_NAME}="abc"', "abc"),
        (f"{COOKIE_NAME}=first; {COOKIE_NAME}=second", "first"),
        (f"x{COOKIE_NAME}=abc", None),
        # Bytes that are not UTF-8 elsewhere in the header (WSGI hands them over as Latin-1).
        (f"junk=\xff\xfe; {COOKIE_NAME}=abc", "abc"),
    ],
)
def test_cookie_value_finds_the_session_cookie_in_any_header(cookie_header, expected):
    assert cookie_value(cookie_header) == expected
