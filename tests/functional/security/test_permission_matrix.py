"""The permission matrix: each role, each permission, each way a role can be granted.

How it is driven: the real WSGI app, built by ``make_configurator`` like the
production one, plus one test view, ``@@permissions``, on every node. It
answers which of the seven permissions ``request.has_permission`` grants on
its context. A request to it goes through everything a real request does:
the session cookie (set by ``login_as``) or the ``Authorization: Bearer``
header, the identity query, the one-query traversal that loads the lineage
with its local roles, and CharterSecurityPolicy.permits. So each matrix cell
is decided by the production code path; only the question is asked by a
test view. One request answers all seven permissions of a cell, and each
test builds its small tree once.

The end-to-end tests at the bottom use the unmodified app: what a reader, an
outsider and an anonymous visitor get back from real pages and API URLs.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import webtest
from pyramid.security import NO_PERMISSION_REQUIRED
from sqlalchemy import func, select

from charter import make_configurator
from charter.accounts.services import AccountService, TokenService
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.errors import ValidationFailed
from charter.security.principals import AUTHENTICATED, EVERYONE, group_principal, user_principal
from charter.security.roles import ROLE_PERMISSIONS, Permission, Role
from charter.security.sharing import SharingService
from charter.testing.sessions import login_as
from charter.tree.models import LocalRole, Node

SITE = "http://example.com"
API = "/api/v1/content"
EVERY_PERMISSION = sorted(Permission)
NOTHING: list[str] = []


def permissions_probe(context, request):
    """Test view: the permissions the caller holds on the context, by the security policy."""
    return sorted(p for p in Permission if request.has_permission(p, context))


@pytest.fixture(scope="module")
def probe_router(charter_settings, charter_engine):
    """Charter's WSGI app plus the ``@@permissions`` test view on every node."""
    config = make_configurator(charter_settings, environ={})
    config.add_view(
        permissions_probe,
        name="permissions",
        context=Node,
        renderer="json",
        permission=NO_PERMISSION_REQUIRED,
    )
    yield config.make_wsgi_app()
    config.registry["charter.db.engine"].dispose()


@pytest.fixture
def probe(probe_router, db_connection, dbsession):
    """``probe(path, user=None, token=None)``: the permissions held on ``path``.

    Logged in as ``user`` through a session cookie, or sending ``token`` as a
    bearer token, or anonymous when given neither.
    """

    def ask(path, user=None, token=None):
        dbsession.flush()  # requests read through their own savepoint
        app = webtest.TestApp(
            probe_router,
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        )
        if user is not None:
            login_as(app, user)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return app.get(f"{path.rstrip('/')}/@@permissions", headers=headers).json

    return ask


@pytest.fixture
def sharing(dbsession):
    """The sharing service on the test session."""
    return SharingService(dbsession)


@pytest.fixture
def matrix_site(content, dbsession):
    """/area/middle/folder below a root that grants nothing to anyone.

    Returns the nodes by name. Grants on ``area`` reach ``folder`` through
    ``middle`` unless a test makes ``middle`` block inheritance.
    """
    root = content.create_root("Matrix")
    dbsession.flush()  # the root needs its id before children are placed in it
    area = content.add_folder(root, "area", "Area")
    middle = content.add_folder(area, "middle", "Middle")
    folder = content.add_folder(middle, "folder", "Folder")
    document = content.add_document(folder, "page", "Page", "Text.")
    return {"root": root, "area": area, "middle": middle, "folder": folder, "page": document}


@pytest.fixture
def member(make_user):
    """``member``, in the group ``team``, with no roles of their own."""
    return make_user("member", groups=["team"])


def granted_by(role):
    """What ROLE_PERMISSIONS says ``role`` allows, as the probe lists it."""
    return sorted(ROLE_PERMISSIONS[role])


# How a role reaches /area/middle/folder: (to whom, on which node or "global",
# whether middle blocks inheritance, whether the role then applies on folder).
GRANTS = [
    pytest.param("user", "global", True, True, id="global-to-the-user-below-a-block"),
    pytest.param("group", "global", True, True, id="global-to-a-group-below-a-block"),
    pytest.param("user", "folder", False, True, id="local-on-the-folder"),
    pytest.param("user", "folder", True, True, id="local-on-the-folder-below-a-block"),
    pytest.param("user", "area", False, True, id="inherited-from-an-ancestor"),
    pytest.param("user", "area", True, False, id="blocked-in-between"),
    pytest.param("user", "middle", True, True, id="inherited-from-the-blocking-node"),
    pytest.param("group", "folder", False, True, id="local-to-a-group"),
    pytest.param("group", "area", False, True, id="inherited-by-a-group"),
    pytest.param("group", "area", True, False, id="blocked-for-a-group"),
]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("grantee", "where", "blocked", "applies"), GRANTS)
def test_each_role_grants_its_permissions_however_it_is_granted(
    probe, sharing, matrix_site, member, role, grantee, where, blocked, applies
):
    principal = group_principal("team") if grantee == "group" else user_principal(member.id)
    if blocked:
        sharing.update(matrix_site["middle"], {}, inherit=False)

    if where == "global":
        sharing.set_global_roles(principal, [role.value])
    elif role is Role.ADMINISTRATOR:
        # Administrator is a site-wide role: no node can hand it out.
        with pytest.raises(ValidationFailed) as refusal:
            sharing.update(matrix_site[where], {principal: [role.value]})
        assert [field for field, _ in refusal.value.errors] == ["entries/0/roles"]
        assert "'Administrator' is not one of" in refusal.value.errors[0][1]
        applies = False
    else:
        sharing.update(matrix_site[where], {principal: [role.value]})

    held = probe("/area/middle/folder", user=member)

    assert held == (granted_by(role) if applies else NOTHING)


def test_administrator_cannot_be_granted_on_a_node_and_nothing_changes(
    sharing, matrix_site, member, dbsession
):
    folder = matrix_site["folder"]

    with pytest.raises(ValidationFailed):
        sharing.update(folder, {user_principal(member.id): ["Reader", "Administrator"]})

    assert dbsession.scalar(select(func.count()).select_from(LocalRole)) == 0
    assert folder.local_roles == []


def test_roles_from_several_sources_add_up(probe, sharing, matrix_site, member):
    sharing.update(matrix_site["area"], {user_principal(member.id): ["Reader"]})
    sharing.update(matrix_site["folder"], {group_principal("team"): ["Reviewer"]})
    sharing.set_global_roles(group_principal("team"), ["Contributor"])

    assert probe("/area/middle/folder", user=member) == ["add", "review", "view"]
    assert probe("/area", user=member) == ["add", "view"]


def test_local_grants_reach_documents_below_the_folder(probe, sharing, matrix_site, member):
    sharing.update(matrix_site["area"], {user_principal(member.id): ["Editor"]})

    assert probe("/area/middle/folder/page", user=member) == granted_by(Role.EDITOR)
    assert probe("/", user=member) == NOTHING


def test_a_block_lower_down_stops_grants_only_from_above_it(probe, sharing, matrix_site, member):
    sharing.update(matrix_site["area"], {user_principal(member.id): ["Editor"]})
    sharing.update(matrix_site["folder"], {}, inherit=False)

    assert probe("/area", user=member) == granted_by(Role.EDITOR)
    assert probe("/area/middle", user=member) == granted_by(Role.EDITOR)
    assert probe("/area/middle/folder", user=member) == NOTHING
    assert probe("/area/middle/folder/page", user=member) == NOTHING


def test_anonymous_holds_only_what_system_everyone_is_granted(probe, sharing, matrix_site, member):
    sharing.update(matrix_site["root"], {AUTHENTICATED: ["Editor"]})
    sharing.update(matrix_site["area"], {EVERYONE: ["Contributor"]})

    assert probe("/area/middle/folder") == granted_by(Role.CONTRIBUTOR)
    assert probe("/") == NOTHING
    assert probe("/area/middle/folder", user=member) == granted_by(Role.EDITOR)


def test_anonymous_holds_nothing_under_the_default_policy(probe, site_root, staff_user):
    assert probe("/") == NOTHING
    assert probe("/", user=staff_user) == granted_by(Role.READER)


def test_system_authenticated_grants_reach_every_logged_in_user(
    probe, sharing, matrix_site, member, make_user
):
    loner = make_user("loner")
    sharing.update(matrix_site["area"], {AUTHENTICATED: ["Reviewer"]})

    assert probe("/area/middle/folder", user=member) == granted_by(Role.REVIEWER)
    assert probe("/area/middle/folder", user=loner) == granted_by(Role.REVIEWER)
    assert probe("/area/middle/folder") == NOTHING


def test_a_group_grant_reaches_members_only(probe, sharing, matrix_site, member, make_user):
    outsider = make_user("outsider", groups=["other"])
    sharing.update(matrix_site["folder"], {group_principal("team"): ["Manager"]})

    assert probe("/area/middle/folder", user=member) == granted_by(Role.MANAGER)
    assert probe("/area/middle/folder", user=outsider) == NOTHING


def test_a_global_role_of_a_group_reaches_members_only(
    probe, sharing, matrix_site, member, make_user
):
    outsider = make_user("outsider")
    sharing.set_global_roles(group_principal("team"), ["Reader"])

    assert probe("/area", user=member) == granted_by(Role.READER)
    assert probe("/area", user=outsider) == NOTHING


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        pytest.param("read", ["view"], id="read-token-may-only-view"),
        pytest.param("read-write", EVERY_PERMISSION, id="read-write-token-holds-every-role"),
    ],
)
def test_a_token_acts_within_its_scope_even_for_an_administrator(
    probe, matrix_site, admin_user, dbsession, scope, expected
):
    _, token = TokenService(dbsession).create(admin_user, "probe", scope=scope)

    assert probe("/area/middle/folder", token=token) == expected
    assert probe("/area/middle/folder", user=admin_user) == EVERY_PERMISSION


def test_a_read_token_holding_no_view_gets_nothing(probe, matrix_site, member, dbsession):
    _, token = TokenService(dbsession).create(member, "probe", scope="read")

    assert probe("/area/middle/folder", token=token) == NOTHING


# -- end to end, through the unmodified app -----------------------------------


@pytest.fixture
def private_site(site_root, content, sharing, dbsession):
    """/hr blocks inheritance and grants Reader to the group ``hr``; /news is open to staff.

    Both hold a document: /hr/salaries and /news/today.
    """
    hr = content.add_folder(site_root, "hr", "Human resources")
    content.add_document(hr, "salaries", "Salaries", "Confidential figures.")
    news = content.add_folder(site_root, "news", "News")
    content.add_document(news, "today", "Today", "Open news.")
    AccountService(dbsession).create_group("hr", "Human resources")
    dbsession.flush()  # the group must exist before it is granted a role
    sharing.update(hr, {group_principal("hr"): ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return hr


@pytest.fixture
def app_for(anonymous_app):
    """``app_for(user)``: a WebTest app of its own, logged in as ``user``."""

    def build(user):
        app = webtest.TestApp(anonymous_app.app, extra_environ=dict(anonymous_app.extra_environ))
        return login_as(app, user)

    return build


@pytest.mark.parametrize(
    "path", ["/news/today", "/hr/salaries"], ids=["open-document", "private-document"]
)
def test_a_reader_gets_the_document_page_and_json(app_for, make_user, private_site, path):
    reader = app_for(make_user("reader", groups=["hr"]))

    page = reader.get(path)
    body = reader.get(API + path).json

    assert page.status_int == 200
    assert page.content_type == "text/html"
    assert body["path"] == path
    assert body["@type"] == "Document"


@pytest.mark.parametrize("path", ["/hr", "/hr/salaries"])
def test_what_a_user_may_not_view_is_a_404_page_like_a_missing_one(testapp, private_site, path):
    hidden = testapp.get(path, status=404)
    missing = testapp.get("/no-such-folder", status=404)

    assert hidden.content_type == "text/html"
    assert hidden.html.find("h1").get_text(strip=True) == "Page not found"
    # The page names the address asked for (the language menu returns there); nothing else differs.
    assert hidden.text.replace(path, "/no-such-folder") == missing.text
    assert "Human resources" not in hidden.text
    assert "Salaries" not in hidden.text


@pytest.mark.parametrize("path", ["/hr", "/hr/salaries"])
def test_what_a_user_may_not_view_is_a_404_problem_like_a_missing_one(testapp, private_site, path):
    hidden = testapp.get(API + path, status=404)
    missing = testapp.get(API + "/no-such-folder", status=404)
    asked_as_json = testapp.get(path, headers={"Accept": "application/json"}, status=404)

    assert hidden.content_type == "application/problem+json"
    assert hidden.json == missing.json
    assert hidden.json["status"] == 404
    assert asked_as_json.content_type == "application/problem+json"
    assert asked_as_json.json["status"] == 404


def test_anonymous_is_sent_to_the_login_page_with_came_from(anonymous_app, private_site):
    response = anonymous_app.get("/news/today", status=302)

    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "example.com", "/login")
    assert parse_qs(location.query) == {"came_from": [f"{SITE}/news/today"]}


def test_anonymous_is_sent_to_log_in_for_a_private_node_too(anonymous_app, private_site):
    response = anonymous_app.get("/hr/salaries", status=302)

    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"came_from": [f"{SITE}/hr/salaries"]}


@pytest.mark.parametrize("path", ["/news/today", "/hr/salaries", "/"])
def test_anonymous_gets_a_401_problem_from_the_api(anonymous_app, private_site, path):
    response = anonymous_app.get(API + path, status=401)

    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Charter"'
    assert response.json["status"] == 401
    assert response.json["title"] == "Unauthorized"


def test_anonymous_asking_for_json_gets_a_401_problem(anonymous_app, private_site):
    response = anonymous_app.get("/news/today", headers={"Accept": "application/json"}, status=401)

    assert response.content_type == "application/problem+json"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Charter"'


@pytest.mark.parametrize(
    ("existing", "missing"),
    [
        pytest.param("/hr", "/no-such-folder", id="top-level"),
        pytest.param("/hr/salaries", "/hr/no-such-page", id="inside-a-private-folder"),
    ],
)
def test_anonymous_cannot_tell_which_paths_exist(anonymous_app, private_site, existing, missing):
    # Otherwise the names of private folders leak to anyone, logged in or not.
    page_for_existing = anonymous_app.get(existing, status="*")
    page_for_missing = anonymous_app.get(missing, status="*")
    api_for_existing = anonymous_app.get(API + existing, status="*")
    api_for_missing = anonymous_app.get(API + missing, status="*")

    assert page_for_missing.status_int == page_for_existing.status_int == 302
    assert api_for_missing.status_int == api_for_existing.status_int == 401
