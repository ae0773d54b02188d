"""``/api/v1/groups``: site administrators create groups, set their members, delete them."""

import json

import pytest
from sqlalchemy import func, select

from charter.accounts.models import Group
from charter.audit.models import AuditEntry
from charter.security.models import GlobalRole
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.tree.models import LocalRole, NodeViewer

SITE = "http://example.com"
GROUPS = "/api/v1/groups"


@pytest.fixture
def admin(admin_user, bearer):
    """A read-write token of the site administrator."""
    return bearer(admin_user)


@pytest.fixture
def people(make_user):
    """ann and bob in the group ``staff``; cy in ``board``."""
    return {
        "ann": make_user("ann", groups=["staff"]),
        "bob": make_user("bob", groups=["staff"]),
        "cy": make_user("cy", groups=["board"]),
    }


def group_body(dbsession, name):
    """The JSON the group called ``name`` should have, from the database."""
    dbsession.expire_all()
    group = dbsession.scalars(select(Group).where(Group.name == name)).one()
    return {
        "@id": f"{SITE}{GROUPS}/{name}",
        "name": name,
        "title": group.title,
        "created": group.created.isoformat(),
        "members": [member.login for member in group.members],
    }


def actions(dbsession, action):
    """The audit entries of ``action``, oldest first."""
    dbsession.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(dbsession.scalars(query))


def group_names(dbsession):
    dbsession.expire_all()
    return list(dbsession.scalars(select(Group.name).order_by(Group.name)))


def test_admin_lists_groups_with_their_members(anonymous_app, admin, people, dbsession):
    response = anonymous_app.get(GROUPS, headers=admin)

    assert response.json == {
        "items": [group_body(dbsession, "board"), group_body(dbsession, "staff")]
    }
    assert response.json["items"][1]["members"] == ["ann", "bob"]
    assert response.json["items"][1]["title"] == "Staff"


@pytest.mark.parametrize(
    ("text", "names"),
    [("sta", ["staff"]), ("BOARD", ["board"]), ("zzz", []), ("", ["board", "staff"])],
)
def test_q_keeps_groups_whose_name_or_title_contain_it(anonymous_app, admin, people, text, names):
    body = anonymous_app.get(GROUPS, {"q": text}, headers=admin).json

    assert [item["name"] for item in body["items"]] == names


def test_admin_creates_a_group_with_members(anonymous_app, admin, admin_user, people, dbsession):
    response = anonymous_app.post_json(
        GROUPS,
        {"name": "editors", "title": "Editors", "members": ["cy", "ann"]},
        headers=admin,
        status=201,
    )

    assert response.headers["Location"] == f"{SITE}{GROUPS}/editors"
    assert response.json == group_body(dbsession, "editors")
    assert response.json["members"] == ["ann", "cy"]
    [entry] = actions(dbsession, "group.created")
    assert (entry.actor_id, entry.target) == (admin_user.id, "group:editors")
    assert entry.details == {"title": "Editors", "members": ["ann", "cy"]}


def test_a_group_needs_only_a_name(anonymous_app, admin, dbsession):
    body = anonymous_app.post_json(GROUPS, {"name": "solo"}, headers=admin, status=201).json

    assert (body["title"], body["members"]) == ("solo", [])


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"title": "No name"}, "/name"),
        ({"name": 5}, "/name"),
        ({"name": "Has Spaces"}, "/name"),
        ({"name": "ok", "title": False}, "/title"),
        ({"name": "ok", "members": "ann"}, "/members"),
        ({"name": "ok", "members": ["ann", 2]}, "/members/1"),
        ({"name": "ok", "members": ["ann", "nobody"]}, "/members"),
        ({"name": "ok", "owner": "ann"}, "/owner"),
    ],
)
def test_a_bad_new_group_is_refused_and_nothing_is_created(
    anonymous_app, admin, people, dbsession, payload, pointer
):
    before = group_names(dbsession)

    response = anonymous_app.post_json(GROUPS, payload, headers=admin, status=400)

    assert_problem(response, 400, pointer)
    assert group_names(dbsession) == before
    assert actions(dbsession, "group.created") == []


def test_a_taken_group_name_is_a_conflict(anonymous_app, admin, people, dbsession):
    response = anonymous_app.post_json(GROUPS, {"name": "staff"}, headers=admin, status=409)

    assert_problem(response, 409)
    assert group_body(dbsession, "staff")["members"] == ["ann", "bob"]


def test_admin_reads_a_group(anonymous_app, admin, people, dbsession):
    response = anonymous_app.get(f"{GROUPS}/staff", headers=admin)

    assert response.json == group_body(dbsession, "staff")


def test_an_unknown_group_is_404(anonymous_app, admin):
    for method in ("GET", "PATCH", "DELETE"):
        response = anonymous_app.request(
            f"{SITE}{GROUPS}/nothing", method=method, body=b"{}", headers=admin, status=404
        )
        assert_problem(response, 404)


def test_patch_members_sets_exactly_those_members(
    anonymous_app, admin, admin_user, people, dbsession
):
    response = anonymous_app.patch_json(
        f"{GROUPS}/staff", {"members": ["bob", "cy"]}, headers=admin
    )

    assert response.json == group_body(dbsession, "staff")
    assert response.json["members"] == ["bob", "cy"]
    assert response.json["title"] == "Staff"
    [entry] = actions(dbsession, "group.updated")
    assert (entry.actor_id, entry.target) == (admin_user.id, "group:staff")
    assert entry.details == {"added": ["cy"], "removed": ["ann"]}


def test_patch_title_keeps_the_members(anonymous_app, admin, people, dbsession):
    body = anonymous_app.patch_json(f"{GROUPS}/staff", {"title": "All staff"}, headers=admin).json

    assert (body["title"], body["members"]) == ("All staff", ["ann", "bob"])
    assert [e.details for e in actions(dbsession, "group.updated")] == [{"title": "All staff"}]


def test_patch_with_an_empty_member_list_empties_the_group(anonymous_app, admin, people):
    body = anonymous_app.patch_json(f"{GROUPS}/staff", {"members": []}, headers=admin).json

    assert body["members"] == []


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"members": ["ann", "ghost"]}, "/members"),
        ({"members": None}, "/members"),
        ({"title": "New", "members": [1]}, "/members/0"),
        ({"name": "renamed"}, "/name"),
    ],
)
def test_a_bad_patch_changes_nothing(anonymous_app, admin, people, dbsession, payload, pointer):
    response = anonymous_app.patch_json(f"{GROUPS}/staff", payload, headers=admin, status=400)

    assert_problem(response, 400, pointer)
    body = group_body(dbsession, "staff")
    assert (body["title"], body["members"]) == ("Staff", ["ann", "bob"])
    assert actions(dbsession, "group.updated") == []


def test_delete_removes_the_group_its_grants_and_what_they_let_members_see(
    anonymous_app, admin, admin_user, bearer, people, site_root, content, dbsession
):
    sharing = SharingService(dbsession)
    board_room = content.add_folder(site_root, "board-room", "Board room")
    sharing.update(board_room, {"group:board": ["Editor"]}, inherit=False)
    sharing.set_global_roles("group:board", ["Reviewer"])
    dbsession.flush()  # requests read through their own savepoint
    cys_token = bearer(people["cy"])
    anonymous_app.get("/api/v1/content/board-room", headers=cys_token, status=200)

    response = anonymous_app.delete(f"{GROUPS}/board", headers=admin, status=204)

    assert response.body == b""
    assert group_names(dbsession) == ["staff"]
    assert (
        dbsession.scalars(select(LocalRole).where(LocalRole.principal == "group:board")).all() == []
    )
    assert (
        dbsession.scalars(select(GlobalRole).where(GlobalRole.principal == "group:board")).all()
        == []
    )
    assert (
        dbsession.scalar(
            select(func.count())
            .select_from(NodeViewer)
            .where(NodeViewer.principal == "group:board")
        )
        == 0
    )
    [entry] = actions(dbsession, "group.deleted")
    assert (entry.actor_id, entry.target) == (admin_user.id, "group:board")
    assert_problem(
        anonymous_app.get("/api/v1/content/board-room", headers=cys_token, status=404), 404
    )


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("GET", GROUPS, None),
        ("POST", GROUPS, {"name": "mine"}),
        ("GET", f"{GROUPS}/staff", None),
        ("PATCH", f"{GROUPS}/staff", {"members": ["ann"]}),
        ("DELETE", f"{GROUPS}/staff", None),
    ],
)
def test_people_who_are_not_site_admins_get_403_and_change_nothing(
    anonymous_app, bearer, people, dbsession, method, url, payload
):
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = {**bearer(people["ann"]), "Content-Type": "application/json"}

    response = anonymous_app.request(
        SITE + url, method=method, body=body, headers=headers, status=403
    )

    assert_problem(response, 403)
    assert group_names(dbsession) == ["board", "staff"]
    assert group_body(dbsession, "staff")["members"] == ["ann", "bob"]


def test_other_methods_are_405_with_allow(anonymous_app, admin, people):
    response = anonymous_app.put_json(f"{GROUPS}/staff", {}, headers=admin, status=405)

    assert response.headers["Allow"] == "GET, HEAD, PATCH, DELETE"
    assert_problem(response, 405)
