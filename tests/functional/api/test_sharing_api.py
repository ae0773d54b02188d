"""``/api/v1/content/<path>/@sharing``: who holds which role on a node, and changing it."""

import pytest
from sqlalchemy import select

from charter.audit.models import AuditEntry
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.tree.models import LocalRole, Node

SITE = "http://example.com"
API = "/api/v1/content"


@pytest.fixture
def admin(admin_user, bearer):
    """A read-write token of the site administrator."""
    return bearer(admin_user)


@pytest.fixture
def people(make_user):
    """ann (manages /projects), sid (in staff), bo (in board), otto (in no group)."""
    return {
        "ann": make_user("ann", "Ann Archer"),
        "sid": make_user("sid", groups=["staff"]),
        "bo": make_user("bo", groups=["board"]),
        "otto": make_user("otto"),
    }


@pytest.fixture
def projects(site_root, content, people, dbsession):
    """/projects (staff edit, ann manages) holding /projects/plan and /projects/secret, which
    blocks inheritance and lets only the board read it."""
    sharing = SharingService(dbsession)
    projects = content.add_folder(site_root, "projects", "Projects")
    content.add_document(projects, "plan", "Plan", "The plan.")
    secret = content.add_folder(projects, "secret", "Secret")
    sharing.update(projects, {"group:staff": ["Editor"], f"user:{people['ann'].id}": ["Manager"]})
    sharing.update(secret, {"group:board": ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return projects


def grants(dbsession, path):
    """``(inherit, {(principal, role), ...})`` of the node at ``path``, from the database."""
    dbsession.expire_all()
    node = dbsession.scalars(select(Node).where(Node.path == path)).one()
    rows = dbsession.scalars(select(LocalRole).where(LocalRole.node_id == node.id))
    return node.inherit_roles, {(row.principal, row.role) for row in rows}


def sharing_changes(dbsession):
    """The audit entries of sharing changes made through requests (not by the fixtures)."""
    dbsession.expire_all()
    query = (
        select(AuditEntry)
        .where(AuditEntry.action == "sharing.changed", AuditEntry.actor_id.is_not(None))
        .order_by(AuditEntry.id)
    )
    return list(dbsession.scalars(query))


def names_listed(app, headers, path):
    """The names in the JSON items of the folder at ``path``."""
    return [item["name"] for item in app.get(f"{API}{path}", headers=headers).json["items"]]


# -- reading ------------------------------------------------------------------


def test_get_shows_local_grants_inherited_ones_and_where_they_come_from(
    anonymous_app, admin, people, projects
):
    response = anonymous_app.get(f"{API}/projects/@sharing", headers=admin)

    assert response.content_type == "application/json"
    assert response.json == {
        "@id": f"{SITE}{API}/projects/@sharing",
        "inherit": True,
        "entries": [
            {"principal": "group:staff", "title": "Staff", "roles": ["Editor"]},
            {"principal": f"user:{people['ann'].id}", "title": "Ann Archer", "roles": ["Manager"]},
        ],
        "inherited": [
            {
                "principal": "system.Authenticated",
                "title": "Everyone who is logged in",
                "role": "Reader",
                "path": "/",
                "from": f"{SITE}{API}",
            }
        ],
    }


def test_a_node_that_blocks_inheritance_inherits_nothing(anonymous_app, admin, projects):
    body = anonymous_app.get(f"{API}/projects/secret/@sharing", headers=admin).json

    assert body["inherit"] is False
    assert body["entries"] == [{"principal": "group:board", "title": "Board", "roles": ["Reader"]}]
    assert body["inherited"] == []


def test_inherited_grants_come_from_every_ancestor_nearest_first(
    anonymous_app, admin, people, projects
):
    body = anonymous_app.get(f"{API}/projects/plan/@sharing", headers=admin).json

    assert body["entries"] == []
    assert [(g["principal"], g["role"], g["path"], g["from"]) for g in body["inherited"]] == [
        ("group:staff", "Editor", "/projects", f"{SITE}{API}/projects"),
        (f"user:{people['ann'].id}", "Manager", "/projects", f"{SITE}{API}/projects"),
        ("system.Authenticated", "Reader", "/", f"{SITE}{API}"),
    ]


def test_the_root_has_a_sharing_page_too(anonymous_app, admin, projects):
    body = anonymous_app.get(f"{API}/@sharing", headers=admin).json

    assert body["@id"] == f"{SITE}{API}/@sharing"
    assert body["entries"] == [
        {
            "principal": "system.Authenticated",
            "title": "Everyone who is logged in",
            "roles": ["Reader"],
        }
    ]


def test_a_local_manager_may_read_and_change_sharing_below(
    anonymous_app, bearer, people, projects, dbsession
):
    headers = bearer(people["ann"])

    anonymous_app.get(f"{API}/projects/plan/@sharing", headers=headers, status=200)
    body = anonymous_app.post_json(
        f"{API}/projects/plan/@sharing",
        {"entries": [{"principal": "group:board", "roles": ["Reviewer"]}]},
        headers=headers,
    ).json

    assert body["entries"] == [
        {"principal": "group:board", "title": "Board", "roles": ["Reviewer"]}
    ]
    assert grants(dbsession, "/projects/plan") == (True, {("group:board", "Reviewer")})


# -- changing -----------------------------------------------------------------


def test_post_sets_the_listed_principals_and_keeps_the_others(
    anonymous_app, admin, admin_user, people, projects, dbsession
):
    ann = f"user:{people['ann'].id}"

    response = anonymous_app.post_json(
        f"{API}/projects/@sharing",
        {
            "entries": [
                {"principal": "group:board", "roles": ["Reader", "Contributor"]},
                {"principal": "group:staff", "roles": []},
            ]
        },
        headers=admin,
    )

    assert response.json == {
        "@id": f"{SITE}{API}/projects/@sharing",
        "inherit": True,
        "entries": [
            {"principal": "group:board", "title": "Board", "roles": ["Contributor", "Reader"]},
            {"principal": ann, "title": "Ann Archer", "roles": ["Manager"]},
        ],
        "inherited": [
            {
                "principal": "system.Authenticated",
                "title": "Everyone who is logged in",
                "role": "Reader",
                "path": "/",
                "from": f"{SITE}{API}",
            }
        ],
    }
    assert grants(dbsession, "/projects") == (
        True,
        {("group:board", "Contributor"), ("group:board", "Reader"), (ann, "Manager")},
    )
    [entry] = sharing_changes(dbsession)
    assert (entry.actor_id, entry.target) == (admin_user.id, "/projects")
    assert entry.details["before"]["local"] == {"group:staff": ["Editor"], ann: ["Manager"]}
    assert entry.details["after"]["local"] == {
        "group:board": ["Contributor", "Reader"],
        ann: ["Manager"],
    }
    assert anonymous_app.get(f"{API}/projects/@sharing", headers=admin).json == response.json


def test_blocking_inheritance_hides_the_folder_from_who_lost_access(
    anonymous_app, admin, bearer, people, projects, dbsession
):
    otto, sid = bearer(people["otto"]), bearer(people["sid"])
    assert "projects" in names_listed(anonymous_app, otto, "")

    body = anonymous_app.post_json(
        f"{API}/projects/@sharing", {"inherit": False}, headers=admin
    ).json

    assert (body["inherit"], body["inherited"]) == (False, [])
    assert grants(dbsession, "/projects")[0] is False
    assert "projects" not in names_listed(anonymous_app, otto, "")
    assert_problem(anonymous_app.get(f"{API}/projects", headers=otto, status=404), 404)
    assert_problem(anonymous_app.get(f"{API}/projects/plan", headers=otto, status=404), 404)
    # Staff hold Editor on the folder itself, so they keep it.
    assert "projects" in names_listed(anonymous_app, sid, "")
    assert names_listed(anonymous_app, sid, "/projects") == ["plan"]
    [entry] = sharing_changes(dbsession)
    assert (entry.details["before"]["inherit"], entry.details["after"]["inherit"]) == (True, False)


def test_granting_a_role_shows_the_folder_to_the_grantee(
    anonymous_app, admin, bearer, people, projects
):
    sid = bearer(people["sid"])
    assert names_listed(anonymous_app, sid, "/projects") == ["plan"]

    anonymous_app.post_json(
        f"{API}/projects/secret/@sharing",
        {"entries": [{"principal": f"user:{people['sid'].id}", "roles": ["Reader"]}]},
        headers=admin,
    )

    assert names_listed(anonymous_app, sid, "/projects") == ["plan", "secret"]
    anonymous_app.get(f"{API}/projects/secret", headers=sid, status=200)


def test_restoring_inheritance_brings_the_inherited_grants_back(
    anonymous_app, admin, bearer, people, projects
):
    sid = bearer(people["sid"])

    body = anonymous_app.post_json(
        f"{API}/projects/secret/@sharing", {"inherit": True, "entries": []}, headers=admin
    ).json

    assert body["inherit"] is True
    assert [g["path"] for g in body["inherited"]] == ["/projects", "/projects", "/"]
    anonymous_app.get(f"{API}/projects/secret", headers=sid, status=200)


def test_an_empty_body_changes_nothing_and_audits_nothing(
    anonymous_app, admin, people, projects, dbsession
):
    before = grants(dbsession, "/projects")

    body = anonymous_app.post_json(f"{API}/projects/@sharing", {}, headers=admin).json

    assert [(entry["principal"], entry["roles"]) for entry in body["entries"]] == [
        ("group:staff", ["Editor"]),
        (f"user:{people['ann'].id}", ["Manager"]),
    ]
    assert grants(dbsession, "/projects") == before
    assert sharing_changes(dbsession) == []


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"inherit": "no"}, "/inherit"),
        ({"inherit": None}, "/inherit"),
        ({"entries": {"group:board": ["Reader"]}}, "/entries"),
        ({"entries": ["group:board"]}, "/entries/0"),
        ({"entries": [{"roles": ["Reader"]}]}, "/entries/0/principal"),
        ({"entries": [{"principal": "group:board"}]}, "/entries/0/roles"),
        ({"entries": [{"principal": "group:board", "roles": "Reader"}]}, "/entries/0/roles"),
        ({"entries": [{"principal": "group:board", "roles": ["Reader", 1]}]}, "/entries/0/roles/1"),
        ({"entries": [{"principal": 7, "roles": ["Reader"]}]}, "/entries/0/principal"),
        (
            {"entries": [{"principal": "group:board", "roles": ["Reader"], "until": "2030"}]},
            "/entries/0/until",
        ),
        ({"inherit": False, "owner": "ann"}, "/owner"),
        (
            {
                "entries": [
                    {"principal": "group:board", "roles": ["Reader"]},
                    {"principal": "group:nobody", "roles": ["Reader"]},
                ]
            },
            "/entries/1/principal",
        ),
        ({"entries": [{"principal": "user:999999", "roles": ["Reader"]}]}, "/entries/0/principal"),
        ({"entries": [{"principal": "staff", "roles": ["Reader"]}]}, "/entries/0/principal"),
        ({"entries": [{"principal": "group:board", "roles": ["Owner"]}]}, "/entries/0/roles"),
        (
            {"entries": [{"principal": "group:board", "roles": ["Administrator"]}]},
            "/entries/0/roles",
        ),
        (
            {
                "inherit": False,
                "entries": [
                    {"principal": "group:board", "roles": ["Reader"]},
                    {"principal": "group:board", "roles": []},
                ],
            },
            "/entries/1/principal",
        ),
    ],
)
def test_a_bad_sharing_change_is_refused_and_changes_nothing(
    anonymous_app, admin, projects, dbsession, payload, pointer
):
    before = grants(dbsession, "/projects")

    response = anonymous_app.post_json(
        f"{API}/projects/@sharing", payload, headers=admin, status=400
    )

    assert assert_problem(response, 400, pointer)["type"] == "urn:charter:problem:invalid-input"
    assert grants(dbsession, "/projects") == before
    assert sharing_changes(dbsession) == []


@pytest.mark.parametrize("raw", [b"inherit=false", b"[]", b'"entries"', b"{"])
def test_a_body_that_is_not_a_json_object_is_a_400_problem(
    anonymous_app, admin, projects, dbsession, raw
):
    before = grants(dbsession, "/projects")

    response = anonymous_app.post(
        f"{API}/projects/@sharing",
        raw,
        headers={**admin, "Content-Type": "application/json"},
        status=400,
    )

    assert_problem(response, 400)
    assert grants(dbsession, "/projects") == before


# -- who may ------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_reader_without_share_gets_403(anonymous_app, bearer, people, projects, method):
    # sid may edit /projects (Editor), which is not enough to share it.
    response = anonymous_app.request(
        f"{SITE}{API}/projects/@sharing",
        method=method,
        body=b"{}",
        headers={**bearer(people["sid"]), "Content-Type": "application/json"},
        status=403,
    )

    assert_problem(response, 403)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_who_may_not_view_the_node_gets_404(anonymous_app, bearer, people, projects, method):
    response = anonymous_app.request(
        f"{SITE}{API}/projects/secret/@sharing",
        method=method,
        body=b"{}",
        headers={**bearer(people["sid"]), "Content-Type": "application/json"},
        status=404,
    )

    assert_problem(response, 404)


def test_a_read_token_may_neither_read_nor_change_sharing(
    anonymous_app, admin_user, bearer, projects, dbsession
):
    headers = bearer(admin_user, "read")
    before = grants(dbsession, "/projects")

    anonymous_app.get(f"{API}/projects/@sharing", headers=headers, status=403)
    response = anonymous_app.post_json(
        f"{API}/projects/@sharing", {"inherit": False}, headers=headers, status=403
    )

    assert_problem(response, 403)
    assert grants(dbsession, "/projects") == before


def test_anonymous_gets_401(anonymous_app, projects):
    response = anonymous_app.get(f"{API}/projects/@sharing", status=401)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Charter"'


def test_other_methods_are_405_with_allow(anonymous_app, admin, projects):
    response = anonymous_app.put_json(f"{API}/projects/@sharing", {}, headers=admin, status=405)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD, POST"
