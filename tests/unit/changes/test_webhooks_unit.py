"""URL checks (SSRF), Standard Webhooks signatures and the retry schedule."""

import datetime as dt
import socket

import pytest
from standardwebhooks.webhooks import Webhook

from charter.changes.delivery import RETRY_SCHEDULE
from charter.changes.webhooks import PrivateAddress, check_url, new_secret, signature_header


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "0.0.0.0",
        "100.64.0.1",
    ],
)
def test_non_public_addresses_are_refused(address, monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", (address, 80))]
    )
    with pytest.raises(PrivateAddress):
        check_url("http://partner.example/hook", allow_private=False)
    assert check_url("http://partner.example/hook", allow_private=True) == [address]


def test_a_host_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    addresses = [(socket.AF_INET, 1, 6, "", (a, 80)) for a in ("93.184.216.34", "10.0.0.8")]
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: addresses)
    with pytest.raises(PrivateAddress):
        check_url("https://partner.example/", allow_private=False)


def test_public_addresses_pass(monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(socket.AF_INET, 1, 6, "", ("93.184.216.34", 443))]
    )
    assert check_url("https://partner.example/x?y=1", allow_private=False) == ["93.184.216.34"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://a.example/",
        "http:///nohost",
        "http://u:p@a.example/",
        "http://a.example/#f",
        "http://a.example/ space",
        "http://a.example:99999/",
        "x" * 2001,
        "javascript:alert(1)",
    ],
)
def test_malformed_urls_are_refused_before_any_lookup(url, monkeypatch):
    def no_lookup(*args, **kwargs):
        raise AssertionError("looked up")

    monkeypatch.setattr(socket, "getaddrinfo", no_lookup)
    with pytest.raises(ValueError):  # noqa: PT011 - the message is the field's problem
        check_url(url, allow_private=True)


def test_a_signature_verifies_with_the_library_and_a_rotation_signs_twice():
    old, new = new_secret(), new_secret()
    now = dt.datetime.now(dt.UTC)
    body = '{"type":"content.created"}'
    header = signature_header([new, old], "msg_1", now, body)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": header,
    }

    assert header.count("v1,") == 2
    assert Webhook(new).verify(body, headers) == {"type": "content.created"}
    assert Webhook(old).verify(body, headers) == {"type": "content.created"}


def test_retries_span_about_three_days():
    total = sum(RETRY_SCHEDULE)
    assert 2.5 * 86400 < total < 3.5 * 86400
    assert list(RETRY_SCHEDULE) == sorted(RETRY_SCHEDULE)
