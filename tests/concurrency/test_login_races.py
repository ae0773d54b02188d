"""Concurrent wrong passwords for one account on a live server.

The failure counter must be atomic: with ``charter.login.max_failures`` at 5,
twenty wrong passwords sent at once get at most five password checks; the
others are refused (429) without one, and so is the right password until
the window has passed.
"""

import pytest

CLIENTS = 20
MAX_FAILURES = 5
WINDOW_S = 900


@pytest.fixture(scope="module")
def charter_live_settings(charter_live_settings):
    """The account limit under test; the per-address limit out of its way (every client
    here is 127.0.0.1)."""
    return {
        **charter_live_settings,
        "charter.login.max_failures": str(MAX_FAILURES),
        "charter.login.max_failures_per_address": "10000",
        "charter.login.window": str(WINDOW_S),
    }


def log_in(live, session, login, password):
    return live.prepare(
        "POST",
        "/login",
        form={"login": login, "password": password, "csrf_token": session.csrf_token},
        headers={"Cookie": session.cookie},
    )


def test_concurrent_wrong_passwords_get_at_most_the_allowed_checks(live):
    account = live.make_user()
    sessions = [live.web_session() for _ in range(CLIENTS + 1)]
    mark = live.audit_mark()

    responses = live.race(
        [log_in(live, session, account.login, "not the password") for session in sessions[:-1]]
    )

    # 400: the password was checked and wrong; 429: refused without a check.
    counts = live.assert_statuses(responses, {400, 429})
    failed = live.audit_entries("login.failed", after=mark, target=account.login)
    refused = live.audit_entries("login.refused", after=mark, target=account.login)
    assert len(failed) <= MAX_FAILURES, live.explain(
        f"{len(failed)} password checks got through; statuses {counts}", responses
    )
    assert (len(failed), len(refused)) == (counts.get(400, 0), counts.get(429, 0))
    assert len(live.audit_entries(after=mark)) == CLIENTS
    for response in responses:
        if response.status == 429:
            assert 0 < int(response.headers["retry-after"]) <= WINDOW_S
            assert b"Too many failed logins" in response.body

    right = live.send(log_in(live, sessions[-1], account.login, account.password))

    live.assert_statuses([right], {429})
    assert b"Too many failed logins" in right.body
    later = live.audit_entries(after=mark)[CLIENTS:]
    assert [(entry.action, entry.target) for entry in later] == [("login.refused", account.login)]
