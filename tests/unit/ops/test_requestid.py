"""Request ids and proxy trust, without the app."""

import re

import pytest

from charter.ops.requestid import (
    ENVIRON_PEER,
    ENVIRON_REQUEST_ID,
    ProxyTrust,
    parse_networks,
    valid_request_id,
)
from charter.settings import SettingsError, parse_settings


def test_networks_accept_addresses_and_cidrs():
    trust = ProxyTrust(parse_networks("127.0.0.1 10.0.0.0/8\n::1"))

    assert trust.trusts("10.200.1.2")
    assert trust.trusts("::1")
    assert trust.trusts("::ffff:127.0.0.1")  # an IPv4 peer on a dual-stack socket
    assert not trust.trusts("11.0.0.1")
    assert not trust.trusts("not-an-address")
    assert not trust.trusts(None)


def test_an_empty_list_trusts_nobody():
    assert not ProxyTrust(()).trusts("127.0.0.1")


def test_the_setting_refuses_a_bad_address():
    with pytest.raises(SettingsError, match=re.escape("charter.proxy.trusted = '10.0.0.300'")):
        parse_settings(
            {
                "sqlalchemy.url": "sqlite://",
                "charter.session.secret": "x" * 32,
                "charter.proxy.trusted": "10.0.0.300",
            },
            environ={},
        )


@pytest.mark.parametrize("value", ["a", "A1-b_c.d:e+f=g/h", "0" * 64])
def test_valid_ids(value):
    assert valid_request_id(value) == value


@pytest.mark.parametrize("value", [None, "", "0" * 65, "a b", "a\nb", "_x", "ü"])
def test_invalid_ids(value):
    assert valid_request_id(value) is None


def test_apply_runs_once_per_request_across_retries():
    trust = ProxyTrust(parse_networks("10.0.0.5"))
    environ = {
        "REMOTE_ADDR": "10.0.0.5",
        "HTTP_X_FORWARDED_FOR": "203.0.113.1",
        "HTTP_X_REQUEST_ID": "abc",
        "wsgi.url_scheme": "http",
    }
    trust.apply(environ)
    trust.apply(environ)  # a retried attempt sees the rewritten address: nothing changes

    assert environ["REMOTE_ADDR"] == "203.0.113.1"
    assert environ[ENVIRON_PEER] == "10.0.0.5"
    assert environ[ENVIRON_REQUEST_ID] == "abc"
