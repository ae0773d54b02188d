"""Who may call the people and sharing API: 401, 403, token scopes, CSRF, the query budget."""

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, update

from charter.accounts.models import ApiToken, Group, User
from charter.accounts.services import TokenService
from charter.audit.models import AuditEntry
from charter.db.meta import utcnow
from charter.security.models import GlobalRole
from charter.testing.assertions import assert_problem
from charter.testing.plugin import TEST_PASSWORD
from charter.tree.models import LocalRole, Node

SITE = "http://example.com"
API = "/api/v1"
CHALLENGE = 'Bearer realm="Charter"'

# (method, URL template, JSON body): every endpoint that changes something.
# Templates name {ann} (an ordinary account), {token} (one of the caller's
# tokens); bodies are valid, so only the refusal under test can stop them.
WRITES = [
    ("POST", "/users", {"login": "new", "email": "new@example.com", "password": TEST_PASSWORD}),
    ("PATCH", "/users/{ann}", {"full_name": "Changed"}),
    ("DELETE", "/users/{ann}", None),
    ("POST", "/groups", {"name": "new", "members": ["ann"]}),
    ("PATCH", "/groups/staff", {"members": []}),
    ("DELETE", "/groups/staff", None),
    ("PATCH", "/me", {"full_name": "Changed"}),
    ("POST", "/me/tokens", {"name": "new", "scope": "read"}),
    ("DELETE", "/me/tokens/{token}", None),
    ("POST", "/content/projects/@sharing", {"inherit": False}),
]
READS = [
    ("GET", "/users", None),
    ("GET", "/users/{ann}", None),
    ("GET", "/groups", None),
    ("GET", "/groups/staff", None),
    ("GET", "/me", None),
    ("GET", "/me/tokens", None),
    ("GET", "/me/tokens/{token}", None),
    ("GET", "/content/projects/@sharing", None),
]
ADMIN_ONLY = [
    ("GET", "/users", None),
    ("POST", "/users", {"login": "new", "email": "new@example.com", "password": TEST_PASSWORD}),
    ("GET", "/users/{admin}", None),
    ("PATCH", "/users/{admin}", {"full_name": "Changed"}),
    ("DELETE", "/users/{admin}", None),
    ("GET", "/groups", None),
    ("POST", "/groups", {"name": "new"}),
    ("GET", "/groups/staff", None),
    ("PATCH", "/groups/staff", {"members": []}),
    ("DELETE", "/groups/staff", None),
]


def endpoint_id(endpoint):
    method, url, _ = endpoint
    return f"{method} {url}"


@pytest.fixture
def world(site_root, content, make_user, admin_user, dbsession):
    """ann in staff, the folder /projects, and a token each for ann and the administrator."""
    ann = make_user("ann", groups=["staff"])
    content.add_folder(site_root, "projects", "Projects")
    tokens = TokenService(dbsession)
    anns_token, _ = tokens.create(ann, "ann's", scope="read-write")
    admins_token, _ = tokens.create(admin_user, "admin's", scope="read-write")
    dbsession.flush()  # requests read through their own savepoint
    return {
        "ann": ann,
        "admin": admin_user,
        "tokens": {ann.id: anns_token, admin_user.id: admins_token},
    }


def call(app, world, caller, endpoint, status, headers=None):
    """Send ``endpoint`` as ``caller`` (whose token fills {token}); expect ``status``."""
    method, template, payload = endpoint
    token = world["tokens"][caller.id].id if caller is not None else 0
    # A full URL: TestApp.request does not apply the app's HTTP_HOST, and cookies need it.
    url = SITE + API + template.format(ann=world["ann"].id, admin=world["admin"].id, token=token)
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    return app.request(url, method=method, body=body, headers=headers, status=status)


def bearer(dbsession, user, scope="read-write", **options):
    """The Authorization header of a new API token of ``user``."""
    _, text = TokenService(dbsession).create(user, "tests", scope=scope, **options)
    dbsession.flush()  # requests read through their own savepoint
    return {"Authorization": f"Bearer {text}"}


def snapshot(dbsession):
    """Everything the endpoints under test could change."""
    dbsession.expire_all()
    return {
        "users": dbsession.execute(
            select(
                User.login, User.email, User.full_name, User.active, User.password_hash
            ).order_by(User.login)
        ).all(),
        "groups": [
            (group.name, group.title, [m.login for m in group.members])
            for group in dbsession.scalars(select(Group).order_by(Group.name))
        ],
        "tokens": dbsession.execute(
            select(ApiToken.id, ApiToken.revoked).order_by(ApiToken.id)
        ).all(),
        "global_roles": dbsession.execute(
            select(GlobalRole.principal, GlobalRole.role).order_by(GlobalRole.id)
        ).all(),
        "local_roles": dbsession.execute(
            select(LocalRole.node_id, LocalRole.principal, LocalRole.role).order_by(LocalRole.id)
        ).all(),
        "inherit": dbsession.execute(select(Node.path, Node.inherit_roles).order_by(Node.id)).all(),
        "audit": dbsession.scalar(select(func.count()).select_from(AuditEntry)),
    }


def csrf_header(app):
    """The X-CSRF-Token header for ``app``'s session, read from a page's logout form."""
    page = app.get("/", headers={"Accept": "text/html"})
    return {"X-CSRF-Token": page.html.select_one("#user-menu input[name=csrf_token]")["value"]}


# -- 401: no valid credentials ------------------------------------------------


@pytest.mark.parametrize("endpoint", READS + WRITES, ids=endpoint_id)
def test_anonymous_callers_get_401_with_a_bearer_challenge(
    anonymous_app, world, dbsession, endpoint
):
    before = snapshot(dbsession)

    response = call(anonymous_app, world, None, endpoint, 401)

    body = assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert "Authorization: Bearer" in body["detail"]
    assert snapshot(dbsession) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer charter_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46YWRtaW4="},
    ],
    ids=["unknown token", "empty token", "basic"],
)
def test_a_wrong_credential_is_401(anonymous_app, world, headers):
    response = anonymous_app.get(f"{API}/me", headers=headers, status=401)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith(CHALLENGE)


def test_an_unknown_token_is_named_invalid_in_the_challenge(anonymous_app, world):
    response = anonymous_app.get(
        f"{API}/me", headers={"Authorization": "Bearer charter_nope"}, status=401
    )

    assert response.headers["WWW-Authenticate"] == f'{CHALLENGE}, error="invalid_token"'


def test_a_revoked_token_is_401(anonymous_app, world, dbsession):
    ann = world["ann"]
    headers = bearer(dbsession, ann)
    anonymous_app.get(f"{API}/me", headers=headers, status=200)
    token = dbsession.scalars(select(ApiToken).where(ApiToken.name == "tests")).one()
    TokenService(dbsession).revoke(ann, token.id)
    dbsession.flush()  # requests read through their own savepoint

    response = anonymous_app.get(f"{API}/me", headers=headers, status=401)

    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_an_expired_token_is_401(anonymous_app, world, dbsession):
    headers = bearer(dbsession, world["ann"], expires=utcnow() + dt.timedelta(hours=1))
    anonymous_app.get(f"{API}/me", headers=headers, status=200)
    dbsession.execute(
        update(ApiToken)
        .where(ApiToken.name == "tests")
        .values(expires=utcnow() - dt.timedelta(seconds=1))
    )
    dbsession.flush()  # requests read through their own savepoint

    response = anonymous_app.get(f"{API}/me", headers=headers, status=401)

    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_deactivated_accounts_token_is_401(anonymous_app, world, dbsession):
    headers = bearer(dbsession, world["ann"])
    world["ann"].active = False
    dbsession.flush()  # requests read through their own savepoint

    assert_problem(anonymous_app.get(f"{API}/me", headers=headers, status=401), 401)


# -- 403: valid credentials that are not enough -------------------------------


@pytest.mark.parametrize("endpoint", ADMIN_ONLY, ids=endpoint_id)
def test_people_who_are_not_site_admins_get_403_from_admin_endpoints(
    anonymous_app, world, dbsession, endpoint
):
    headers = bearer(dbsession, world["ann"])
    before = snapshot(dbsession)

    response = call(anonymous_app, world, world["ann"], endpoint, 403, headers)

    assert_problem(response, 403)
    assert snapshot(dbsession) == before


@pytest.mark.parametrize("endpoint", WRITES, ids=endpoint_id)
def test_a_read_token_cannot_write_even_for_an_admin(anonymous_app, world, dbsession, endpoint):
    headers = bearer(dbsession, world["admin"], "read")
    before = snapshot(dbsession)

    response = call(anonymous_app, world, world["admin"], endpoint, 403, headers)

    assert_problem(response, 403)
    assert snapshot(dbsession) == before


@pytest.mark.parametrize(
    "url", ["/me", "/me/tokens", "/content", "/content/projects"], ids=lambda url: url
)
def test_a_read_token_reads_its_own_account_and_content(anonymous_app, world, dbsession, url):
    headers = bearer(dbsession, world["ann"], "read")

    anonymous_app.get(API + url, headers=headers, status=200)


# -- CSRF ---------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", WRITES, ids=endpoint_id)
@pytest.mark.parametrize("csrf", [None, "wrong"], ids=["missing", "wrong"])
def test_a_cookie_write_without_the_csrf_header_is_refused_and_changes_nothing(
    admin_app, world, dbsession, endpoint, csrf
):
    headers = {} if csrf is None else {"X-CSRF-Token": csrf}
    before = snapshot(dbsession)

    response = call(admin_app, world, world["admin"], endpoint, 400, headers)

    assert "CSRF" in assert_problem(response, 400)["detail"]
    assert snapshot(dbsession) == before


@pytest.mark.parametrize(
    ("endpoint", "status"),
    [(WRITES[0], 201), (WRITES[3], 201), (WRITES[5], 204), (WRITES[9], 200)],
    ids=lambda value: endpoint_id(value) if isinstance(value, tuple) else str(value),
)
def test_a_cookie_write_with_the_csrf_header_works(admin_app, world, endpoint, status):
    call(admin_app, world, world["admin"], endpoint, status, csrf_header(admin_app))


def test_an_own_token_created_with_the_session_cookie_and_the_csrf_header(
    testapp, world, staff_user, dbsession
):
    response = testapp.post_json(
        f"{API}/me/tokens",
        {"name": "from the browser", "scope": "read"},
        headers=csrf_header(testapp),
        status=201,
    )

    dbsession.expire_all()
    token = dbsession.get(ApiToken, response.json["id"])
    assert (token.user_id, token.name) == (staff_user.id, "from the browser")


def test_a_bearer_write_needs_no_csrf_token(anonymous_app, world, dbsession):
    headers = bearer(dbsession, world["admin"])

    anonymous_app.post_json(f"{API}/groups", {"name": "by-token"}, headers=headers, status=201)

    assert "by-token" in [name for name, _, _ in snapshot(dbsession)["groups"]]


# -- the query budget ---------------------------------------------------------


@pytest.fixture
def folders_of_3_and_500(site_root, content, make_user, dbsession):
    """The paths of a folder of 3 documents and of a folder of 500."""
    for name, count in (("few", 3), ("many", 500)):
        folder = content.add_folder(site_root, name, name.title())
        for number in range(count):
            content.add_document(folder, f"d{number}", f"Document {number}", "")
    dbsession.flush()  # requests read through their own savepoint
    return "/few", "/many"


def test_a_folder_read_with_a_token_costs_the_same_for_3_and_500_children(
    anonymous_app, make_user, query_recorder, folders_of_3_and_500, dbsession
):
    headers = bearer(dbsession, make_user("reader"), "read")
    # A token's first use records when it was used; later reads within a
    # minute write nothing, and those are what is measured here.
    anonymous_app.get(f"{API}/content", headers=headers)
    few_path, many_path = folders_of_3_and_500

    with query_recorder.record() as few_queries:
        few = anonymous_app.get(f"{API}/content{few_path}", headers=headers)
    with query_recorder.record() as many_queries:
        many = anonymous_app.get(f"{API}/content{many_path}", headers=headers)

    assert (len(few.json["items"]), len(many.json["items"])) == (3, 50)
    assert len(few_queries) == len(many_queries), (few_queries, many_queries)
    assert len(many_queries) <= 5, many_queries
