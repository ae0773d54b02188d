"""Logging in with a password: wrong credentials, limits per account and address, rehashing."""

import datetime as dt

import pytest
from sqlalchemy import select, update

from charter.accounts.passwords import verify_password
from charter.audit.models import AuditEntry
from charter.db.meta import utcnow
from charter.security import login as login_module
from charter.security.login import LoginRefused, LoginService
from charter.security.models import RateLimitCounter
from charter.security.ratelimit import DatabaseRateLimiter
from charter.testing.plugin import TEST_PASSWORD

WINDOW = 900
MAX_FAILURES = 3
MAX_FAILURES_PER_ADDRESS = 5
ADDRESS = "192.0.2.1"
WRONG = "not the password"


@pytest.fixture
def limiter(dbsession):
    """Failure counters in the test transaction."""
    return DatabaseRateLimiter(dbsession, WINDOW)


@pytest.fixture
def service(dbsession, limiter):
    """The login service with small limits."""
    return LoginService(
        dbsession,
        limiter,
        max_failures=MAX_FAILURES,
        max_failures_per_address=MAX_FAILURES_PER_ADDRESS,
    )


@pytest.fixture
def ann(make_user):
    """An account whose password is TEST_PASSWORD."""
    return make_user("ann")


def refusal(service, login, password, address=ADDRESS):
    """The LoginRefused raised by an attempt."""
    with pytest.raises(LoginRefused) as caught:
        service.authenticate(login, password, address)
    return caught.value


def fail(service, login, times, address=ADDRESS):
    """Make ``times`` attempts with a wrong password."""
    for _ in range(times):
        refusal(service, login, WRONG, address)


def leave_seconds(dbsession, key, seconds):
    """Move the window of ``key`` back so that it ends in ``seconds``."""
    start = utcnow() - dt.timedelta(seconds=WINDOW - seconds)
    dbsession.execute(
        update(RateLimitCounter).where(RateLimitCounter.key == key).values(window_start=start)
    )
    dbsession.expire_all()


def audit_entries(dbsession):
    """(action, actor id, actor login, address, target, details) of every entry, in order."""
    dbsession.flush()
    return [
        (e.action, e.actor_id, e.actor_login, e.address, e.target, e.details)
        for e in dbsession.scalars(select(AuditEntry).order_by(AuditEntry.id))
    ]


def test_the_right_password_logs_in_and_is_audited(service, ann, dbsession):
    assert ann.last_login is None

    user = service.authenticate(" Ann ", TEST_PASSWORD, ADDRESS)

    assert user is ann
    assert ann.last_login is not None
    assert audit_entries(dbsession) == [
        ("login.succeeded", ann.id, "ann", ADDRESS, f"user:{ann.id}", {})
    ]


def test_a_wrong_password_is_refused_counted_and_audited(service, ann, limiter, dbsession):
    refused = refusal(service, "ann", WRONG)

    assert refused.detail == "Wrong login or password."
    assert refused.retry_after == 0
    assert ann.last_login is None
    assert limiter.count("login:account:ann") == 1
    assert limiter.count(f"login:address:{ADDRESS}") == 1
    assert audit_entries(dbsession) == [("login.failed", None, "ann", ADDRESS, "ann", {})]


def test_an_unknown_login_gets_the_same_answer(service, ann, limiter, dbsession):
    refused = refusal(service, "nobody", TEST_PASSWORD)

    assert refused.detail == "Wrong login or password."
    assert limiter.count("login:account:nobody") == 1
    assert audit_entries(dbsession) == [("login.failed", None, "nobody", ADDRESS, "nobody", {})]


def test_an_inactive_account_cannot_log_in_even_with_its_password(service, ann, dbsession):
    ann.active = False
    dbsession.flush()

    refused = refusal(service, "ann", TEST_PASSWORD)

    assert refused.detail == "Wrong login or password."
    assert ann.last_login is None
    assert [entry[0] for entry in audit_entries(dbsession)] == ["login.failed"]


def test_after_too_many_failures_even_the_right_password_is_refused(service, ann, dbsession):
    fail(service, "ann", MAX_FAILURES - 1)
    assert refusal(service, "ann", WRONG).detail == "Wrong login or password."

    refused = refusal(service, "ann", TEST_PASSWORD)

    assert refused.detail == "Too many failed logins; try again in 15 minutes."
    assert 0 < refused.retry_after <= WINDOW
    assert ann.last_login is None
    entries = audit_entries(dbsession)
    assert [entry[0] for entry in entries] == ["login.failed"] * MAX_FAILURES + ["login.refused"]
    assert entries[-1] == (
        "login.refused",
        None,
        "ann",
        ADDRESS,
        "ann",
        {"reason": "too many failures"},
    )


def test_a_locked_account_is_locked_from_every_address(service, ann):
    fail(service, "ann", MAX_FAILURES, address="192.0.2.1")

    refused = refusal(service, "ann", TEST_PASSWORD, address="198.51.100.7")

    assert refused.detail.startswith("Too many failed logins")


@pytest.mark.parametrize(
    ("seconds_left", "message"),
    [
        (30, "Too many failed logins; try again in 1 minute."),
        (60, "Too many failed logins; try again in 1 minute."),
        (130, "Too many failed logins; try again in 3 minutes."),
    ],
)
def test_the_message_says_how_many_minutes_are_left(service, ann, dbsession, seconds_left, message):
    fail(service, "ann", MAX_FAILURES)
    leave_seconds(dbsession, "login:account:ann", seconds_left)

    refused = refusal(service, "ann", TEST_PASSWORD)

    assert refused.detail == message
    assert seconds_left - 1 <= refused.retry_after <= seconds_left


def test_too_many_failures_from_one_address_refuse_it_for_every_account(service, ann, make_user):
    make_user("bob")
    # Spread over accounts, so that no account reaches its own limit.
    for login in ("x1", "x2", "x3", "x4", "x5"):
        fail(service, login, 1, address=ADDRESS)

    refused = refusal(service, "bob", TEST_PASSWORD, address=ADDRESS)

    assert refused.detail == "Too many failed logins; try again in 15 minutes."
    assert service.authenticate("bob", TEST_PASSWORD, "198.51.100.7").login == "bob"


def test_attempts_without_an_address_share_one_counter(service, ann, limiter):
    fail(service, "nobody", 2, address=None)

    assert limiter.count("login:address:unknown") == 2


def test_the_lock_ends_when_the_window_has_passed(service, ann, dbsession):
    fail(service, "ann", MAX_FAILURES)
    assert refusal(service, "ann", TEST_PASSWORD).detail.startswith("Too many failed logins")

    leave_seconds(dbsession, "login:account:ann", -1)
    leave_seconds(dbsession, f"login:address:{ADDRESS}", -1)

    assert service.authenticate("ann", TEST_PASSWORD, ADDRESS) is ann


def test_a_success_resets_the_account_counter_only(service, ann, limiter):
    fail(service, "ann", MAX_FAILURES - 1)

    service.authenticate("ann", TEST_PASSWORD, ADDRESS)

    assert limiter.count("login:account:ann") == 0
    assert limiter.count(f"login:address:{ADDRESS}") == MAX_FAILURES - 1
    # A full allowance again: as many failures as before are not yet a lock.
    fail(service, "ann", MAX_FAILURES - 1)
    assert service.authenticate("ann", TEST_PASSWORD, ADDRESS) is ann


def test_the_hash_is_renewed_when_the_parameters_change(service, ann, monkeypatch):
    old_hash = ann.password_hash
    monkeypatch.setattr(login_module, "needs_rehash", lambda password_hash: True)

    service.authenticate("ann", TEST_PASSWORD, ADDRESS)

    assert ann.password_hash != old_hash
    assert verify_password(ann.password_hash, TEST_PASSWORD)


def test_the_hash_is_kept_when_the_parameters_are_current(service, ann, monkeypatch):
    old_hash = ann.password_hash
    monkeypatch.setattr(login_module, "needs_rehash", lambda password_hash: False)

    service.authenticate("ann", TEST_PASSWORD, ADDRESS)

    assert ann.password_hash == old_hash


def test_a_wrong_password_never_rehashes(service, ann, monkeypatch):
    old_hash = ann.password_hash
    monkeypatch.setattr(login_module, "needs_rehash", lambda password_hash: True)

    refusal(service, "ann", WRONG)

    assert ann.password_hash == old_hash
