"""Sessions on My account and on an account's admin page."""

import datetime as dt

import pytest
import webtest
from sqlalchemy import select, update

from charter.audit.models import AuditEntry
from charter.db.meta import utcnow
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.sessions.models import UserSession
from charter.testing.plugin import TEST_PASSWORD

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def browser(charter_app, db_connection):
    """``browser(login, user_agent, address)``: a new client logged in through the login form."""

    def log_in(login, user_agent, address):
        app = webtest.TestApp(
            charter_app,
            extra_environ={
                TEST_CONNECTION_ENVIRON_KEY: db_connection,
                "HTTP_HOST": "example.com",
                "HTTP_USER_AGENT": user_agent,
                "REMOTE_ADDR": address,
            },
        )
        form = app.get("/login").forms["login-form"]
        form["login"] = login
        form["password"] = TEST_PASSWORD
        form.submit(status=303)
        return app

    return log_in


@pytest.fixture
def ann(make_user, site_root):
    return make_user("ann", "Ann Archer")


@pytest.fixture
def laptop_and_phone(ann, browser):
    """Ann logged in on her laptop, then on her phone."""
    return browser("ann", FIREFOX, "192.0.2.10"), browser("ann", IPHONE, "198.51.100.4")


def rows(page):
    """(device, address, 'this session' or an End button) of each session listed on My account."""
    listed = []
    for row in page.html.select("#sessions .session-row"):
        marker = row.select_one(".session-current")
        listed.append(
            (
                row.select_one(".session-device").get_text(strip=True),
                row.select_one(".session-address").get_text(strip=True),
                marker.get_text(strip=True)
                if marker
                else row.select_one("button").get_text(" ", strip=True),
            )
        )
    return listed


def is_logged_in(app):
    return app.get("/api/v1/me", status=(200, 401)).status_int == 200


def flashes(page):
    return [m.get_text(strip=True) for m in page.html.select(".flash-message")]


def test_my_account_lists_where_i_am_logged_in(laptop_and_phone, ann, dbsession):
    laptop, _ = laptop_and_phone
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    dbsession.execute(
        update(UserSession)
        .where(UserSession.address == "192.0.2.10")
        .values(created=an_hour_ago, last_seen=an_hour_ago)
    )
    dbsession.flush()

    page = laptop.get("/account")

    iphone = "Mobile Safari 17 on iOS 17 (iPhone)"
    assert rows(page) == [
        # Most recently seen first: this request moved the laptop's last_seen on.
        ("Firefox 120 on Linux", "192.0.2.10", "this session"),
        (iphone, "198.51.100.4", f"End the session on {iphone}"),
    ]
    laptop_row = next(
        r for r in page.html.select(".session-row") if r.select_one(".session-current")
    )
    assert laptop_row.select_one(".session-device")["title"] == FIREFOX
    assert (
        an_hour_ago.strftime("%Y-%m-%d %H:%M UTC")
        in laptop_row.select_one(".session-created").get_text()
    )
    assert laptop_row.select_one(".session-last-seen time") is not None
    assert page.forms["end-other-sessions-form"]


def test_ending_a_session_from_my_account_logs_that_browser_out(laptop_and_phone, ann, dbsession):
    laptop, phone = laptop_and_phone
    page = laptop.get("/account")
    end = next(form for form in page.forms.values() if "session_id" in form.fields)

    answer = end.submit(status=303).follow()

    assert flashes(answer) == ["The session was ended; that browser is logged out."]
    assert [row[2] for row in rows(answer)] == ["this session"]
    assert "end-other-sessions-form" not in answer.forms
    assert not is_logged_in(phone)
    assert is_logged_in(laptop)
    dbsession.expire_all()
    entry = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "session.ended")).one()
    assert (entry.actor_login, entry.target) == ("ann", f"user:{ann.id}")
    assert entry.details["reason"] == "ended by their owner"


def test_log_out_everywhere_else_from_my_account(laptop_and_phone, browser):
    laptop, phone = laptop_and_phone
    tablet = browser("ann", IPHONE, "203.0.113.9")

    answer = laptop.get("/account").forms["end-other-sessions-form"].submit(status=303).follow()

    assert flashes(answer) == ["You were logged out everywhere else (2 sessions ended)."]
    assert not is_logged_in(phone)
    assert not is_logged_in(tablet)
    assert is_logged_in(laptop)


@pytest.mark.parametrize("session_id", ["", "abc", "-1", " 1", "9" * 20])
def test_a_bad_session_id_is_refused(laptop_and_phone, session_id):
    laptop, phone = laptop_and_phone
    csrf = laptop.get("/account").forms["end-other-sessions-form"]["csrf_token"].value

    laptop.post(
        "/account",
        {"action": "end-session", "session_id": session_id, "csrf_token": csrf},
        status=400,
    )

    assert is_logged_in(phone)


def test_someone_elses_session_cannot_be_ended(laptop_and_phone, make_user, browser, dbsession):
    make_user("bob")
    bob = browser("bob", FIREFOX, "192.0.2.99")
    laptop, phone = laptop_and_phone
    dbsession.expire_all()
    anns_ids = dbsession.scalars(
        select(UserSession.id).where(UserSession.address != "192.0.2.99")
    ).all()
    csrf = bob.get("/account").forms["password-form"]["csrf_token"].value

    for session_id in anns_ids:
        bob.post(
            "/account",
            {"action": "end-session", "session_id": str(session_id), "csrf_token": csrf},
            status=404,
        )

    assert is_logged_in(laptop)
    assert is_logged_in(phone)


def test_ending_a_session_needs_the_csrf_token(laptop_and_phone, dbsession):
    laptop, phone = laptop_and_phone

    laptop.post("/account", {"action": "end-other-sessions"}, status=400)

    assert is_logged_in(phone)


def test_the_admin_page_lists_someones_sessions(laptop_and_phone, ann, admin_app):
    page = admin_app.get(f"/admin/users/{ann.id}")

    listed = sorted(li.get_text(" ", strip=True) for li in page.html.select(".user-session"))
    assert len(listed) == 2
    assert listed[0].startswith("Firefox 120 on Linux · 192.0.2.10 · last seen ")
    assert listed[1].startswith("Mobile Safari 17 on iOS 17 (iPhone) · 198.51.100.4 · last seen ")
    assert page.forms["end-sessions-form"]


def test_ending_someones_sessions_needs_the_csrf_token(laptop_and_phone, ann, admin_app):
    admin_app.post(f"/admin/users/{ann.id}", {"action": "sessions"}, status=400)

    assert all(is_logged_in(browser) for browser in laptop_and_phone)
