"""Sessions that end: on the server, at once, for every process, whatever the cookie says.

Logging out, a new password, deactivation and an administrator end
sessions; a copied or replayed cookie of an ended session is anonymous, in
this app and in a new one on the same database (a restart). Visitors leave
no row on the server, and no cookie, however hostile, answers with a 500.
"""

import datetime as dt
import uuid

import pytest
import redis
import webtest
from pyramid.interfaces import ISessionFactory
from sqlalchemy import select, update

from charter import make_configurator
from charter.audit.models import AuditEntry
from charter.db.meta import utcnow
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.sessions.cookies import COOKIE_NAME, SessionCookies, new_key
from charter.sessions.models import UserSession
from charter.sessions.store import RedisSessionStore
from charter.testing.plugin import TEST_PASSWORD
from charter.testing.sessions import login_as

SITE = "http://example.com"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def new_client(charter_app, db_connection):
    """``new_client(app=None, cookie=None)``: a WebTest client in the test's transaction, on the
    test app or ``app``, optionally sending ``cookie`` as its session cookie."""

    def build(app=None, cookie=None):
        client = webtest.TestApp(
            app or charter_app,
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        )
        if cookie is not None:
            client.set_cookie(COOKIE_NAME, cookie)
        return client

    return build


@pytest.fixture
def ann(make_user, site_root):
    """An ordinary account on a site every logged-in person may read."""
    return make_user("ann", "Ann Archer")


def session_cookie(app):
    """The session cookie a client holds (without the quotes WebTest keeps it in), or None."""
    value = app.cookies.get(COOKIE_NAME)
    return None if value is None else value.strip('"')


def is_logged_in(app):
    """True when ``app``'s cookie is a live session (checked through the API)."""
    return app.get("/api/v1/me", status=(200, 401)).status_int == 200


def log_in(app, login="ann", user_agent=FIREFOX, address="192.0.2.10"):
    """Log ``app`` in through the login form, from ``address`` with ``user_agent``."""
    environ = {"REMOTE_ADDR": address}
    headers = {"User-Agent": user_agent}
    form = app.get("/login", headers=headers, extra_environ=environ).forms["login-form"]
    form["login"] = login
    form["password"] = TEST_PASSWORD
    form.submit(headers=headers, extra_environ=environ, status=303)
    return app


def log_out(app):
    """Log ``app`` out through the header's form."""
    page = app.get("/account")
    form = next(f for f in page.forms.values() if f.action.endswith("/logout"))
    form.submit(status=303)


def session_rows(dbsession, user=None):
    """The session records in the database (of ``user`` only, when given)."""
    dbsession.expire_all()
    query = select(UserSession).order_by(UserSession.id)
    if user is not None:
        query = query.where(UserSession.user_id == user.id)
    return list(dbsession.scalars(query))


def audit_entries(dbsession, action):
    """(actor login, target, details) of the audit entries recording ``action``."""
    dbsession.expire_all()
    return [
        (e.actor_login, e.target, e.details)
        for e in dbsession.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    ]


@pytest.fixture
def restarted_app(charter_settings):
    """A second app built from the same settings: what the first becomes after a restart."""
    config = make_configurator(charter_settings, environ={})
    yield config.make_wsgi_app()
    config.registry["charter.db.engine"].dispose()


# -- logging in and out -------------------------------------------------------------------


def test_logging_in_starts_a_session_record_under_a_new_key(anonymous_app, ann, dbsession):
    anonymous_app.get("/login")
    visitor_cookie = session_cookie(anonymous_app)
    assert visitor_cookie.startswith("c.")  # the login form's CSRF token, in the cookie

    log_in(anonymous_app)

    cookie = session_cookie(anonymous_app)
    assert cookie.startswith("s.")
    assert cookie != visitor_cookie
    (row,) = session_rows(dbsession)
    assert (row.user_id, row.address, row.user_agent) == (ann.id, "192.0.2.10", FIREFOX)
    # Only a hash of the key is kept.
    key = cookie.split(".")[1]
    assert key not in row.key_hash
    assert is_logged_in(anonymous_app)


def test_logging_in_again_replaces_the_session(anonymous_app, ann, dbsession, new_client):
    log_in(anonymous_app)
    first = session_cookie(anonymous_app)

    log_in(anonymous_app)

    assert session_cookie(anonymous_app) != first
    assert len(session_rows(dbsession, ann)) == 1
    assert not is_logged_in(new_client(cookie=first))


def test_a_cookie_planted_before_login_is_worth_nothing_after_it(anonymous_app, ann, new_client):
    anonymous_app.get("/login")
    planted = session_cookie(anonymous_app)

    log_in(anonymous_app)

    attacker = new_client(cookie=planted)
    assert not is_logged_in(attacker)
    assert attacker.get("/account", status=302).location.startswith(SITE + "/login")


def test_logging_out_deletes_the_record_and_the_cookie(anonymous_app, ann, dbsession):
    log_in(anonymous_app)

    log_out(anonymous_app)

    assert session_rows(dbsession) == []
    assert session_cookie(anonymous_app) is None
    assert not is_logged_in(anonymous_app)


def test_a_replayed_cookie_after_logout_is_anonymous(admin_app, site_root, new_client):
    stolen = session_cookie(admin_app)
    assert new_client(cookie=stolen).get("/admin/users").status_int == 200

    log_out(admin_app)

    replay = new_client(cookie=stolen)
    api = replay.get("/api/v1/me", status=401)
    assert api.content_type == "application/problem+json"
    page = replay.get("/admin/users", status=302)
    assert page.location.startswith(SITE + "/login?came_from=")


def test_a_replayed_cookie_stays_ended_after_a_restart(
    admin_app, site_root, new_client, restarted_app
):
    stolen = session_cookie(admin_app)
    log_out(admin_app)

    replay = new_client(restarted_app, cookie=stolen)

    replay.get("/api/v1/me", status=401)
    assert replay.get("/admin/users", status=302).location.startswith(SITE + "/login?")


def test_a_live_session_survives_a_restart(testapp, site_root, new_client, restarted_app):
    after_restart = new_client(restarted_app, cookie=session_cookie(testapp))

    assert after_restart.get("/api/v1/me").json["login"] == "staff"


# -- visitors ---------------------------------------------------------------------------------


def test_visitors_leave_no_record_and_cost_no_session_query(
    anonymous_app, site_root, dbsession, query_recorder
):
    with query_recorder.record() as queries:
        for _ in range(3):
            anonymous_app.get("/login")
        anonymous_app.get("/", status=302)

    assert session_rows(dbsession) == []
    assert not [q for q in queries if "user_sessions" in q]


def test_a_failed_login_leaves_no_record(anonymous_app, ann, dbsession):
    form = anonymous_app.get("/login").forms["login-form"]
    form["login"] = "ann"
    form["password"] = "not the password"

    form.submit(status=400)

    assert session_rows(dbsession) == []
    assert session_cookie(anonymous_app).startswith("c.")


def test_after_logging_out_the_login_form_works_from_a_cookie_only_session(testapp, site_root):
    log_out(testapp)

    form = testapp.get("/login").forms["login-form"]

    assert form["csrf_token"].value
    assert session_cookie(testapp).startswith("c.")


# -- hostile cookies ------------------------------------------------------------------------

OTHER_SITE = SessionCookies("the-secret-of-some-other-site-0123456789")


def hostile_cookies():
    """Cookie headers no one should be logged in with, and none should break anything."""
    forged_key = new_key()
    return [
        pytest.param(f"{COOKIE_NAME}=garbage", id="garbage"),
        pytest.param(f"{COOKIE_NAME}=s.{forged_key}.{'A' * 43}", id="wrong-hmac"),
        pytest.param(f"{COOKIE_NAME}={OTHER_SITE.server_value(forged_key)}", id="other-secret"),
        pytest.param(
            f"{COOKIE_NAME}={OTHER_SITE.client_value(1.0, 2.0, {'_csrft_': 'x'})}",
            id="other-secret-client",
        ),
        # (A Cookie header over 16 KiB is refused with 431: test_request_input.)
        pytest.param(f"{COOKIE_NAME}=s.{'x' * 12_000}.y", id="huge"),
        pytest.param(f"{COOKIE_NAME}=\xff\xfe\xc3\x28", id="invalid-utf8"),
        pytest.param(f"junk=\xff\xfe; {COOKIE_NAME}=\x00\x01", id="control-bytes"),
        pytest.param(f'{COOKIE_NAME}="\\"quoted\\""', id="quoted"),
        pytest.param(f"{COOKIE_NAME}=c.e30.{'B' * 43}", id="client-wrong-hmac"),
    ]


@pytest.mark.parametrize("cookie_header", hostile_cookies())
def test_a_hostile_cookie_is_anonymous_and_never_an_error(
    anonymous_app, ann, dbsession, cookie_header, query_recorder
):
    headers = {"Cookie": cookie_header}

    with query_recorder.record() as queries:
        login_page = anonymous_app.get("/login", headers=headers)
    anonymous_app.get("/api/v1/me", headers=headers, status=401)
    anonymous_app.get("/account", headers=headers, status=302)
    anonymous_app.post("/logout", headers=headers, status=400)

    assert login_page.status_int == 200
    # Not ours: no lookup; the browser is told to drop it.
    assert not [q for q in queries if "user_sessions" in q]
    assert any(h.startswith(f"{COOKIE_NAME}=") for h in login_page.headers.getall("Set-Cookie"))
    assert session_rows(dbsession) == []


def test_a_non_utf8_cookie_beside_the_session_keeps_the_person_logged_in(testapp, site_root):
    cookie = session_cookie(testapp)

    answer = testapp.get(
        "/api/v1/me", headers={"Cookie": f"tracker=\xff\xfe; {COOKIE_NAME}={cookie}"}
    )

    assert answer.json["login"] == "staff"


def test_a_well_signed_key_of_no_session_is_anonymous(anonymous_app, ann, dbsession):
    cookies = anonymous_app.app.registry.queryUtility(ISessionFactory).cookies
    anonymous_app.set_cookie(COOKIE_NAME, cookies.server_value(new_key()))

    answer = anonymous_app.get("/api/v1/me", status=401)

    assert answer.content_type == "application/problem+json"
    assert session_cookie(anonymous_app) is None  # dropped


# -- the idle timeout and last seen ------------------------------------------------------------


def test_a_session_idle_past_the_timeout_has_ended(testapp, staff_user, site_root, dbsession):
    dbsession.execute(
        update(UserSession)
        .where(UserSession.user_id == staff_user.id)
        .values(expires=utcnow() - dt.timedelta(seconds=1))
    )
    dbsession.flush()

    assert not is_logged_in(testapp)


@pytest.mark.parametrize(
    ("age", "updated"),
    [
        pytest.param(dt.timedelta(minutes=2), True, id="minutes-ago-is-updated"),
        pytest.param(dt.timedelta(seconds=10), False, id="seconds-ago-is-kept"),
    ],
)
def test_last_seen_and_the_expiry_move_on_at_most_once_a_minute(
    testapp, staff_user, site_root, dbsession, age, updated
):
    earlier = utcnow() - age
    dbsession.execute(
        update(UserSession)
        .where(UserSession.user_id == staff_user.id)
        .values(last_seen=earlier, expires=earlier + dt.timedelta(hours=8))
    )
    dbsession.flush()

    testapp.get("/api/v1/me")

    (row,) = session_rows(dbsession, staff_user)
    assert (row.last_seen > earlier) is updated
    if updated:
        assert row.expires - row.last_seen == dt.timedelta(seconds=28800)


# -- ending sessions -----------------------------------------------------------------------------


@pytest.fixture
def anns_browsers(ann, new_client):
    """Three clients logged in as Ann: her laptop (first), her phone and her tablet."""
    return [login_as(new_client(), ann) for _ in range(3)]


def csrf_token(app):
    """The CSRF token of the client's session (from the logout form every page has)."""
    page = app.get("/account")
    return next(f for f in page.forms.values() if f.action.endswith("/logout"))["csrf_token"].value


def test_log_out_everywhere_else(anns_browsers, ann, dbsession, new_client):
    laptop, phone, tablet = anns_browsers
    copy_of_laptop = new_client(cookie=session_cookie(laptop))
    kept_id = session_rows(dbsession, ann)[0].id

    laptop.post(
        "/account", {"action": "end-other-sessions", "csrf_token": csrf_token(laptop)}, status=303
    )

    assert is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert not is_logged_in(tablet)
    # This session goes on under a new key: a copy of its old cookie is worth nothing.
    assert not is_logged_in(copy_of_laptop)
    assert [row.id for row in session_rows(dbsession, ann)] == [kept_id]
    ((actor, target, details),) = audit_entries(dbsession, "sessions.ended_all")
    assert (actor, target) == ("ann", f"user:{ann.id}")
    assert details == {"reason": "ended by their owner", "count": 2, "kept_current": True}


def test_a_new_password_ends_the_other_sessions_but_not_this_one(
    anns_browsers, ann, dbsession, new_client
):
    laptop, phone, _ = anns_browsers
    copy_of_laptop = new_client(cookie=session_cookie(laptop))
    form = laptop.get("/account").forms["password-form"]
    form["current_password"] = TEST_PASSWORD
    form["new_password"] = form["new_password_repeat"] = "a brand new passphrase"

    form.submit(status=303)

    assert is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert not is_logged_in(copy_of_laptop)
    assert len(session_rows(dbsession, ann)) == 1
    ((actor, _, details),) = audit_entries(dbsession, "sessions.ended_all")
    assert actor == "ann"
    assert details["reason"] == "password changed"


def test_an_administrator_setting_a_password_ends_every_session_of_the_person(
    anns_browsers, ann, admin_app, dbsession
):
    form = admin_app.get(f"/admin/users/{ann.id}").forms["set-password-form"]
    form["password"] = form["password_repeat"] = "a password from the admin"

    form.submit(status=303)

    assert not any(is_logged_in(browser) for browser in anns_browsers)
    assert is_logged_in(admin_app)
    assert session_rows(dbsession, ann) == []


def test_deactivation_ends_every_session_and_reactivation_revives_none(
    anns_browsers, ann, admin_app, dbsession
):
    def set_active(value):
        form = admin_app.get(f"/admin/users/{ann.id}").forms["active-form"]
        form.submit("active", value=value, status=303)

    set_active("no")

    assert not any(is_logged_in(browser) for browser in anns_browsers)
    assert session_rows(dbsession, ann) == []

    set_active("yes")

    assert not any(is_logged_in(browser) for browser in anns_browsers)
    ((actor, _, details),) = audit_entries(dbsession, "sessions.ended_all")
    assert (actor, details["reason"], details["count"]) == ("admin", "account deactivated", 3)


def test_an_administrator_ends_someones_sessions(anns_browsers, ann, admin_app, dbsession):
    page = admin_app.get(f"/admin/users/{ann.id}")
    assert len(page.html.select("#user-sessions .user-session")) == 3

    answer = page.forms["end-sessions-form"].submit(status=303).follow()

    assert [m.get_text(strip=True) for m in answer.html.select(".flash-message")] == [
        "3 sessions of ann ended; they must log in again."
    ]
    assert answer.html.select_one("#user-sessions").get_text(strip=True) == (
        "Not logged in anywhere."
    )
    assert not any(is_logged_in(browser) for browser in anns_browsers)
    assert is_logged_in(admin_app)
    ((actor, target, details),) = audit_entries(dbsession, "sessions.ended_all")
    assert (actor, target) == ("admin", f"user:{ann.id}")
    assert details == {"reason": "ended by an administrator", "count": 3, "kept_current": False}


def test_a_failed_password_change_ends_nothing(anns_browsers, ann, dbsession):
    laptop = anns_browsers[0]
    form = laptop.get("/account").forms["password-form"]
    form["current_password"] = "not my password"
    form["new_password"] = form["new_password_repeat"] = "a brand new passphrase"

    form.submit(status=400)

    assert all(is_logged_in(browser) for browser in anns_browsers)
    assert len(session_rows(dbsession, ann)) == 3
    assert audit_entries(dbsession, "sessions.ended_all") == []


# -- sessions in Redis ------------------------------------------------------------------------


@pytest.fixture
def redis_prefix(monkeypatch):
    """Keys of this test only, deleted afterwards."""
    prefix = f"charter-test:{uuid.uuid4().hex}:"
    monkeypatch.setattr(RedisSessionStore, "PREFIX", prefix)
    client = redis.Redis.from_url(TEST_REDIS_URL)
    yield client, prefix
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()


@pytest.fixture
def redis_app(charter_settings, redis_prefix):
    """The app with ``charter.redis_url`` set: its sessions live in Redis."""
    config = make_configurator(
        {**charter_settings, "charter.redis_url": TEST_REDIS_URL}, environ={}
    )
    yield config.make_wsgi_app()
    config.registry["charter.db.engine"].dispose()


def redis_session_keys(redis_prefix):
    client, prefix = redis_prefix
    return list(client.scan_iter(match=prefix + "key:*"))


def test_with_redis_sessions_live_there_and_end_there(
    redis_app, redis_prefix, ann, new_client, dbsession
):
    browser = log_in(new_client(redis_app))
    stolen = session_cookie(browser)

    assert is_logged_in(browser)
    assert len(redis_session_keys(redis_prefix)) == 1
    assert session_rows(dbsession) == []

    log_out(browser)

    assert redis_session_keys(redis_prefix) == []
    assert not is_logged_in(new_client(redis_app, cookie=stolen))


def test_with_redis_an_administrator_ends_someones_sessions(
    redis_app, redis_prefix, ann, admin_user, new_client, dbsession
):
    browsers = [login_as(new_client(redis_app), ann) for _ in range(2)]
    admin = login_as(new_client(redis_app), admin_user)

    admin.get(f"/admin/users/{ann.id}").forms["end-sessions-form"].submit(status=303)

    assert not any(is_logged_in(browser) for browser in browsers)
    assert is_logged_in(admin)
    assert len(redis_session_keys(redis_prefix)) == 1


def test_with_redis_a_new_password_keeps_only_this_session(
    redis_app, redis_prefix, ann, new_client
):
    laptop, phone = (login_as(new_client(redis_app), ann) for _ in range(2))
    copy_of_laptop = new_client(redis_app, cookie=session_cookie(laptop))
    form = laptop.get("/account").forms["password-form"]
    form["current_password"] = TEST_PASSWORD
    form["new_password"] = form["new_password_repeat"] = "a brand new passphrase"

    form.submit(status=303)

    assert is_logged_in(laptop)
    assert not is_logged_in(phone)
    assert not is_logged_in(copy_of_laptop)
    assert len(redis_session_keys(redis_prefix)) == 1


def test_with_redis_a_session_costs_the_database_only_its_identity(
    redis_app, redis_prefix, testapp, staff_user, new_client, query_recorder
):
    browser = login_as(new_client(redis_app), staff_user)

    with query_recorder.record() as queries:
        browser.get("/api/v1/me")

    assert not [q for q in queries if "user_sessions" in q]
