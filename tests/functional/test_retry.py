"""A request that loses a deadlock is run again by pyramid_retry and succeeds.

Two real requests, each in its own transaction on its own connection, lock
two rows in opposite orders; the database kills one of them as the deadlock
victim. The victim's request must be retried (mysql-connector's error 1213
is marked retryable by Charter, see charter.db.retry) and answer 200.
"""

import threading

import pytest
import webtest
from pyramid.response import Response
from pyramid_retry import IBeforeRetry
from sqlalchemy import delete, select, update

from charter import make_configurator
from charter.accounts.models import User
from charter.accounts.passwords import hash_password
from charter.db.meta import utcnow

LOGINS = ("deadlock-a", "deadlock-b")


@pytest.fixture
def committed_users(charter_engine):
    """Two committed accounts the competing requests update; removed afterwards."""
    with charter_engine.begin() as connection:
        for login in LOGINS:
            connection.execute(
                User.__table__.insert().values(
                    login=login,
                    email=f"{login}@example.com",
                    full_name="",
                    active=True,
                    password_hash=hash_password("not-used-here"),
                    created=utcnow(),
                )
            )
    yield
    with charter_engine.begin() as connection:
        connection.execute(delete(User).where(User.login.in_(LOGINS)))


@pytest.fixture
def deadlock_app(charter_settings):
    """Charter plus one view that updates two accounts in the order the URL gives.

    On the first attempt both requests wait at a barrier after their first
    update, so each holds the lock the other needs next: a deadlock.
    """
    barrier = threading.Barrier(2, timeout=20)
    attempts: list[tuple[str, int]] = []
    retried_because: list[BaseException] = []

    def update_in_order(request):
        first, second = request.matchdict["first"], request.matchdict["second"]
        attempt = request.environ["retry.attempt"]
        attempts.append((first, attempt))
        session = request.dbsession
        # The e-mail address: a change to a name would also move the identity generation on
        # (alembic 0013), whose one row would then queue the second request behind the first.
        session.execute(update(User).where(User.login == first).values(email=f"by-{first}@x.org"))
        if attempt == 0:
            barrier.wait()
        session.execute(update(User).where(User.login == second).values(email=f"by-{first}@x.org"))
        return Response(f"updated {first} then {second} on attempt {attempt}")

    config = make_configurator(charter_settings, environ={})
    config.add_route("deadlock", "/test-deadlock/{first}/{second}")
    config.add_view(update_in_order, route_name="deadlock", require_csrf=False)
    config.add_subscriber(lambda event: retried_because.append(event.exception), IBeforeRetry)
    app = config.make_wsgi_app()
    yield webtest.TestApp(app), attempts, retried_because
    config.registry["charter.db.engine"].dispose()


def as_waitress_sends(testapp, method, path):
    """``method path`` without a body, with the environ waitress hands a WSGI app: no
    CONTENT_LENGTH, and an input it says ends (so WebOb calls the body readable)."""
    request = webtest.TestRequest.blank(path, method=method)
    request.environ.pop("CONTENT_LENGTH", None)
    request.environ["wsgi.input_terminated"] = True
    return testapp.do_request(request, expect_errors=True)


# A GET that writes (a token's last use, a session's last sight) and a DELETE.
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_deadlock_victim_is_retried_and_succeeds(
    charter_engine, committed_users, deadlock_app, method
):
    if charter_engine.dialect.name == "sqlite":
        pytest.skip("SQLite serialises writers: two transactions cannot deadlock")
    testapp, attempts, retried_because = deadlock_app
    responses = {}

    def call(first, second):
        responses[first] = as_waitress_sends(testapp, method, f"/test-deadlock/{first}/{second}")

    threads = [
        threading.Thread(target=call, args=LOGINS),
        threading.Thread(target=call, args=tuple(reversed(LOGINS))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert {login: r.status_int for login, r in responses.items()} == {
        "deadlock-a": 200,
        "deadlock-b": 200,
    }
    # Exactly one request was the victim and ran a second time.
    assert len(retried_because) == 1
    victim_error = retried_because[0].orig
    assert getattr(victim_error, "errno", None) == 1213 or getattr(
        victim_error, "sqlstate", None
    ) in {"40P01", "40001"}
    assert sorted(attempt for _, attempt in attempts) == [0, 0, 1]
    # Both transactions committed: the retried one's writes are the last.
    victim = next(login for login, attempt in attempts if attempt == 1)
    with charter_engine.connect() as connection:
        emails = connection.execute(select(User.email).where(User.login.in_(LOGINS))).scalars()
        assert set(emails) == {f"by-{victim}@x.org"}
