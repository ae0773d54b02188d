"""CSRF on cookie-authenticated changes; API tokens: scope, revocation, expiry, last use.

Besides the real endpoints (``POST /login``, ``POST /logout`` and the
read-only content API), the tests use one test view, ``@@touch``, added to a
build of the real app: a change that needs the ``edit`` permission and leaves
a trace in the audit log, reachable both as ``/<path>/@@touch`` and under
``/api/v1/content/<path>/@@touch``. It stands for any state-changing view,
with every check (CSRF, identity, scope, permission) done by the app's own
machinery.
"""

import datetime as dt

import pytest
import webtest
from sqlalchemy import func, select

from charter import make_configurator
from charter.accounts.models import ApiToken, Group, User
from charter.accounts.services import AccountService, TokenService
from charter.audit.models import AuditEntry
from charter.db.meta import utcnow
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.models import GlobalRole, RateLimitCounter
from charter.security.principals import user_principal
from charter.security.roles import Permission
from charter.security.sharing import SharingService
from charter.testing.plugin import TEST_PASSWORD
from charter.testing.sessions import login_as
from charter.tree.models import LocalRole, Node

API = "/api/v1/content"
CHALLENGE = 'Bearer realm="Charter"'
INVALID_TOKEN_CHALLENGE = 'Bearer realm="Charter", error="invalid_token"'
TOUCHED = "test.touched"


def touch(context, request):
    """Test view: a change that needs ``edit``; it records itself in the audit log."""
    request.audit.record(TOUCHED, request.actor, context.path)
    return {"touched": context.path}


@pytest.fixture(scope="module")
def touch_router(charter_settings, charter_engine):
    """Charter's WSGI app plus the ``@@touch`` test view, in HTML and under the API."""
    config = make_configurator(charter_settings, environ={})
    for route in ({}, {"route_name": "api.content"}):
        config.add_view(
            touch,
            name="touch",
            context=Node,
            request_method="POST",
            renderer="json",
            permission=Permission.EDIT,
            **route,
        )
    yield config.make_wsgi_app()
    config.registry["charter.db.engine"].dispose()


@pytest.fixture
def news(site_root, content, dbsession):
    """/news/today, readable by every logged-in person (the default policy)."""
    news = content.add_folder(site_root, "news", "News")
    content.add_document(news, "today", "Today", "Open news.")
    dbsession.flush()  # requests read through their own savepoint
    return news


@pytest.fixture
def editor(make_user, news, dbsession):
    """``editor``: Editor on /news, so allowed to touch it."""
    user = make_user("editor", "Eve Editor")
    SharingService(dbsession).update(news, {user_principal(user.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    return user


@pytest.fixture
def new_app(touch_router, db_connection):
    """``new_app(user=None)``: a WebTest app of its own over the app with ``@@touch``."""

    def build(user=None):
        app = webtest.TestApp(
            touch_router,
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        )
        return app if user is None else login_as(app, user)

    return build


@pytest.fixture
def make_token(dbsession):
    """``make_token(user, scope)``: a new API token's text."""

    def create(user, scope="read-write", expires=None):
        _, text = TokenService(dbsession).create(user, f"{scope} token", scope, expires)
        dbsession.flush()  # requests read through their own savepoint
        return text

    return create


def audit_count(dbsession, action):
    """How many audit entries record ``action``."""
    return dbsession.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def bearer(token):
    """The Authorization header carrying ``token``."""
    return {"Authorization": f"Bearer {token}"}


def logout_form(page):
    """The log-out form of a page."""
    (form,) = [form for form in page.forms.values() if form.action.endswith("/logout")]
    return form


def current_user(app):
    """The name the page header shows for the logged-in person, or None when logged out."""
    page = app.get("/", status=(200, 302))
    if page.status_int == 302:
        return None
    shown = page.html.select_one("#current-user")
    return None if shown is None else shown.get_text(strip=True)


def assert_invalid_token(response):
    """A 401 problem telling the client its token is not valid."""
    assert response.status_int == 401
    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN_CHALLENGE
    assert response.json["status"] == 401


# -- CSRF ----------------------------------------------------------------------


def test_logout_without_the_csrf_token_is_refused_and_the_session_stays(testapp, news, dbsession):
    refused = testapp.post("/logout", status=400)

    assert refused.content_type == "text/html"
    assert "The form has expired or did not come from this site" in refused.text
    assert current_user(testapp) == "Sam Staff"
    dbsession.expire_all()
    assert audit_count(dbsession, "logout") == 0


def test_logout_with_a_wrong_csrf_token_is_refused(testapp, news):
    testapp.post("/logout", {"csrf_token": "not-the-token"}, status=400)

    assert current_user(testapp) == "Sam Staff"


def test_logout_with_the_form_token_ends_the_session(testapp, news, dbsession):
    form = logout_form(testapp.get("/"))
    assert form["csrf_token"].value

    response = form.submit(status=303)

    assert response.headers["Location"] == "http://example.com/login"
    assert current_user(testapp) is None
    dbsession.expire_all()
    assert audit_count(dbsession, "logout") == 1


def test_logout_with_the_token_in_a_header_ends_the_session(testapp, news):
    token = logout_form(testapp.get("/"))["csrf_token"].value

    testapp.post("/logout", headers={"X-CSRF-Token": token}, status=303)

    assert current_user(testapp) is None


def test_login_without_the_csrf_token_is_refused_and_changes_nothing(
    anonymous_app, staff_user, news, dbsession
):
    anonymous_app.get("/login")  # a session holding a CSRF token exists

    refused = anonymous_app.post(
        "/login", {"login": "staff", "password": TEST_PASSWORD}, status=400
    )

    assert "The form has expired" in refused.text
    assert current_user(anonymous_app) is None
    dbsession.expire_all()
    for action in ("login.succeeded", "login.failed", "login.refused"):
        assert audit_count(dbsession, action) == 0
    assert dbsession.scalar(select(func.count()).select_from(RateLimitCounter)) == 0
    assert dbsession.get(type(staff_user), staff_user.id).last_login is None


def test_login_with_the_form_token_logs_in(anonymous_app, staff_user, news):
    form = anonymous_app.get("/login").forms["login-form"]
    form["login"] = "staff"
    form["password"] = TEST_PASSWORD

    form.submit(status=303)

    assert current_user(anonymous_app) == "Sam Staff"


def database_state(dbsession):
    """What any state-changing form could alter: row counts, grants, accounts, tokens."""
    dbsession.expire_all()
    counts = {
        model.__name__: dbsession.scalar(select(func.count()).select_from(model))
        for model in (User, Group, ApiToken, LocalRole, GlobalRole, AuditEntry, Node)
    }
    return {
        "counts": counts,
        "users": dbsession.execute(
            select(
                User.login, User.email, User.full_name, User.active, User.password_hash
            ).order_by(User.login)
        ).all(),
        "groups": dbsession.execute(select(Group.name, Group.title).order_by(Group.name)).all(),
        "tokens": dbsession.execute(select(ApiToken.id, ApiToken.revoked)).all(),
        "inherit": dbsession.execute(
            select(Node.path, Node.inherit_roles).order_by(Node.path)
        ).all(),
    }


# Every state-changing form of the web UI, with data it would act on.
FORMS = [
    pytest.param(
        "/account",
        {
            "current_password": TEST_PASSWORD,
            "new_password": "another long passphrase",
            "new_password_repeat": "another long passphrase",
        },
        id="change-password",
    ),
    pytest.param(
        "/account/tokens",
        {"action": "create", "name": "sneaky", "scope": "read-write"},
        id="create-token",
    ),
    pytest.param(
        "/account/tokens", {"action": "revoke", "token_id": "{token_id}"}, id="revoke-token"
    ),
    pytest.param(
        "/news/@@sharing",
        {"entry-0-principal": "system.Everyone", "entry-0-roles": "Manager"},
        id="sharing",
    ),
    pytest.param(
        "/admin/users",
        {"login": "mallory", "email": "m@example.com", "password": "a long enough password"},
        id="create-user",
    ),
    pytest.param("/admin/users/{user_id}", {"full_name": "Renamed", "active": ""}, id="edit-user"),
    pytest.param("/admin/groups", {"name": "sneaky", "title": "Sneaky"}, id="create-group"),
    pytest.param("/admin/groups/staff", {"title": "Renamed", "members": ""}, id="edit-group"),
]


@pytest.mark.parametrize(("path", "form"), FORMS)
def test_every_form_refuses_a_post_without_the_csrf_token_and_changes_nothing(
    admin_app, admin_user, news, make_user, make_token, dbsession, path, form
):
    make_user("member", groups=["staff"])
    make_token(admin_user)
    (token,) = TokenService(dbsession).list(admin_user)
    values = {"token_id": token.id, "user_id": admin_user.id}
    path = path.format(**values)
    form = {key: value.format(**values) for key, value in form.items()}
    before = database_state(dbsession)

    refused = admin_app.post(path, form, status=400)

    assert "The form has expired or did not come from this site" in refused.text
    assert database_state(dbsession) == before
    assert current_user(admin_app) == "Administrator"


def test_a_cookie_api_change_without_the_csrf_token_is_a_400_problem(new_app, editor, dbsession):
    app = new_app(editor)

    refused = app.post(f"{API}/news/@@touch", status=400)

    assert refused.content_type == "application/problem+json"
    assert "CSRF" in refused.json["detail"]
    dbsession.expire_all()
    assert audit_count(dbsession, TOUCHED) == 0


def test_a_cookie_change_with_the_csrf_header_goes_through(new_app, editor, dbsession):
    app = new_app(editor)
    token = logout_form(app.get("/"))["csrf_token"].value

    api = app.post(f"{API}/news/@@touch", headers={"X-CSRF-Token": token})
    page = app.post("/news/@@touch", {"csrf_token": token})

    assert api.json == page.json == {"touched": "/news"}
    dbsession.expire_all()
    assert audit_count(dbsession, TOUCHED) == 2


def test_a_cookie_html_change_without_the_csrf_token_is_a_400_page(new_app, editor, dbsession):
    refused = new_app(editor).post("/news/@@touch", status=400)

    assert refused.content_type == "text/html"
    dbsession.expire_all()
    assert audit_count(dbsession, TOUCHED) == 0


def test_a_bearer_change_needs_no_csrf_token(new_app, editor, make_token, dbsession):
    response = new_app().post(f"{API}/news/@@touch", headers=bearer(make_token(editor)))

    assert response.json == {"touched": "/news"}
    dbsession.expire_all()
    assert audit_count(dbsession, TOUCHED) == 1


def test_a_bearer_post_to_a_document_is_405_not_a_csrf_refusal(anonymous_app, editor, make_token):
    response = anonymous_app.post(
        f"{API}/news/today", headers=bearer(make_token(editor)), status=405
    )

    assert response.headers["Allow"] == "GET, HEAD, PATCH, DELETE"
    assert response.content_type == "application/problem+json"


# -- token scope -----------------------------------------------------------------


def test_a_read_token_cannot_write(new_app, editor, make_token, dbsession):
    refused = new_app().post(
        f"{API}/news/@@touch", headers=bearer(make_token(editor, "read")), status=403
    )

    assert refused.content_type == "application/problem+json"
    assert refused.json["status"] == 403
    assert refused.json["title"] == "Forbidden"
    dbsession.expire_all()
    assert audit_count(dbsession, TOUCHED) == 0


def test_a_read_token_can_read(anonymous_app, editor, make_token):
    body = anonymous_app.get(f"{API}/news/today", headers=bearer(make_token(editor, "read"))).json

    assert body["path"] == "/news/today"


def test_a_read_write_token_without_the_role_is_403(new_app, staff_user, news, make_token):
    refused = new_app().post(
        f"{API}/news/@@touch", headers=bearer(make_token(staff_user)), status=403
    )

    assert refused.json["title"] == "Forbidden"


# -- invalid tokens ----------------------------------------------------------------


def test_no_credentials_is_401_without_an_error_code(anonymous_app, news):
    response = anonymous_app.get(f"{API}/news/today", status=401)

    assert response.headers["WWW-Authenticate"] == CHALLENGE


def test_an_unknown_token_is_401_invalid_token(anonymous_app, news):
    response = anonymous_app.get(
        f"{API}/news/today", headers=bearer("charter_not-a-real-token"), status=401
    )

    assert_invalid_token(response)


def test_a_revoked_token_is_401_invalid_token(anonymous_app, editor, make_token, dbsession):
    text = make_token(editor)
    anonymous_app.get(f"{API}/news/today", headers=bearer(text))
    (token,) = TokenService(dbsession).list(editor)
    TokenService(dbsession).revoke(editor, token.id)
    dbsession.flush()  # requests read through their own savepoint

    response = anonymous_app.get(f"{API}/news/today", headers=bearer(text), status=401)

    assert_invalid_token(response)


def test_an_expired_token_is_401_invalid_token(anonymous_app, editor, make_token, dbsession):
    text = make_token(editor, expires=utcnow() + dt.timedelta(hours=1))
    anonymous_app.get(f"{API}/news/today", headers=bearer(text))
    (token,) = TokenService(dbsession).list(editor)
    token.expires = utcnow() - dt.timedelta(seconds=1)
    dbsession.flush()  # requests read through their own savepoint

    response = anonymous_app.get(f"{API}/news/today", headers=bearer(text), status=401)

    assert_invalid_token(response)


def test_a_token_not_yet_expired_works(anonymous_app, editor, make_token):
    text = make_token(editor, expires=utcnow() + dt.timedelta(minutes=5))

    anonymous_app.get(f"{API}/news/today", headers=bearer(text), status=200)


def test_an_invalid_token_on_a_write_is_401_not_a_csrf_refusal(new_app, editor, dbsession):
    response = new_app().post(
        f"{API}/news/@@touch", headers=bearer("charter_not-a-real-token"), status=401
    )

    assert_invalid_token(response)
    dbsession.expire_all()
    assert audit_count(dbsession, TOUCHED) == 0


# -- last use ------------------------------------------------------------------------


def stored_token(dbsession, user):
    """``user``'s only token, as the database holds it now."""
    dbsession.expire_all()
    return dbsession.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()


def test_a_token_use_sets_last_used(anonymous_app, editor, make_token, dbsession):
    text = make_token(editor)
    assert stored_token(dbsession, editor).last_used is None
    before = utcnow()

    anonymous_app.get(f"{API}/news/today", headers=bearer(text))

    last_used = stored_token(dbsession, editor).last_used
    assert last_used is not None
    assert before - dt.timedelta(seconds=1) <= last_used <= utcnow()


@pytest.mark.parametrize(
    ("age", "updated"),
    [
        pytest.param(dt.timedelta(minutes=2), True, id="minutes-ago-is-updated"),
        pytest.param(dt.timedelta(seconds=10), False, id="seconds-ago-is-kept"),
    ],
)
def test_last_used_is_written_at_most_once_a_minute(
    anonymous_app, editor, make_token, dbsession, age, updated
):
    text = make_token(editor)
    earlier = utcnow() - age
    stored_token(dbsession, editor).last_used = earlier
    dbsession.flush()  # requests read through their own savepoint

    anonymous_app.get(f"{API}/news/today", headers=bearer(text))

    last_used = stored_token(dbsession, editor).last_used
    assert (last_used > earlier) is updated
    if not updated:
        assert last_used == earlier


# -- deactivated accounts and changed passwords ----------------------------------------


def test_a_deactivated_users_token_stops_working(anonymous_app, editor, make_token, dbsession):
    text = make_token(editor)
    anonymous_app.get(f"{API}/news/today", headers=bearer(text), status=200)
    AccountService(dbsession).deactivate(editor)
    dbsession.flush()  # requests read through their own savepoint

    response = anonymous_app.get(f"{API}/news/today", headers=bearer(text), status=401)

    assert_invalid_token(response)


def test_a_deactivated_users_session_stops_working(new_app, editor, dbsession):
    app = new_app(editor)
    assert current_user(app) == "Eve Editor"
    AccountService(dbsession).deactivate(editor)
    dbsession.flush()  # requests read through their own savepoint

    page = app.get("/news/today", status=302)
    api = app.get(f"{API}/news/today", status=401)

    assert page.headers["Location"].startswith("http://example.com/login?came_from=")
    assert api.headers["WWW-Authenticate"] == CHALLENGE


def test_a_password_change_ends_existing_sessions(new_app, editor, dbsession):
    app = new_app(editor)
    assert current_user(app) == "Eve Editor"
    AccountService(dbsession).set_password(editor, "a brand new passphrase")
    dbsession.flush()  # requests read through their own savepoint

    assert current_user(app) is None
    app.get(f"{API}/news/today", status=401)
