"""``DELETE``, ``@move``, ``@copy`` and ``@order`` on ``/api/v1/content/<path>``."""

import pytest
from sqlalchemy import select

from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.tree.models import Node

SITE = "http://example.com"
API = "/api/v1/content"


@pytest.fixture
def site(site_root, content, make_user, dbsession):
    """/docs (guide, notes, deep/leaf) and /archive; /private only the board may view."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "# Guide")
    content.add_document(docs, "notes", "Notes", "Some notes.")
    deep = content.add_folder(docs, "deep", "Deep")
    content.add_document(deep, "leaf", "Leaf", "*leaf*")
    archive = content.add_folder(site_root, "archive", "Archive")
    private = content.add_folder(site_root, "private", "Private")
    SharingService(dbsession).update(private, {"group:board": ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return {"docs": docs, "archive": archive}


@pytest.fixture
def manager(make_user, site, dbsession):
    """``manager``: Manager on the whole site (may delete, add and edit everywhere it can view)."""
    user = make_user("manager", "Mia Manager")
    root = dbsession.scalars(select(Node).where(Node.parent_id.is_(None))).one()
    SharingService(dbsession).update(root, {user_principal(user.id): ["Manager"]})
    dbsession.flush()
    return user


@pytest.fixture
def as_manager(bearer, manager):
    """The manager's read-write token."""
    return bearer(manager)


@pytest.fixture
def as_reader(bearer, staff_user, site):
    """A read-write token of someone who may only read (Reader through the default policy)."""
    return bearer(staff_user)


def paths(dbsession):
    dbsession.expire_all()
    return sorted(dbsession.scalars(select(Node.path)))


def children(dbsession, path):
    dbsession.expire_all()
    parent = dbsession.scalars(select(Node).where(Node.path == path)).one()
    return list(
        dbsession.scalars(
            select(Node.name).where(Node.parent_id == parent.id).order_by(Node.position, Node.id)
        )
    )


# -- DELETE -----------------------------------------------------------------------


def test_delete_moves_the_subtree_to_the_trash(anonymous_app, as_manager, dbsession):
    response = anonymous_app.delete(
        f"{API}/docs", headers={**as_manager, "If-Match": '"1"'}, status=204
    )

    assert response.body == b""
    entry = anonymous_app.get(response.headers["Link"].split(">")[0][1:], headers=as_manager)
    assert (entry.json["original_path"], entry.json["item_count"]) == ("/docs", 5)
    assert [p for p in paths(dbsession) if p.startswith("/docs")] == []
    assert len([p for p in paths(dbsession) if p.startswith("@trash/")]) == 5
    anonymous_app.get(f"{API}/docs", headers=as_manager, status=404)


def test_delete_needs_if_match_and_a_current_version(anonymous_app, as_manager, dbsession):
    before = paths(dbsession)

    missing = anonymous_app.delete(f"{API}/docs", headers=as_manager, status=428)
    stale = anonymous_app.delete(
        f"{API}/docs", headers={**as_manager, "If-Match": '"9"'}, status=412
    )

    assert_problem(missing, 428)
    assert assert_problem(stale, 412)["current_version"] == 1
    assert paths(dbsession) == before


def test_a_reader_may_not_delete(anonymous_app, as_reader, dbsession):
    before = paths(dbsession)

    response = anonymous_app.delete(
        f"{API}/docs/guide", headers={**as_reader, "If-Match": '"1"'}, status=403
    )

    assert_problem(response, 403)
    assert paths(dbsession) == before


def test_the_root_cannot_be_deleted(anonymous_app, as_manager, dbsession):
    response = anonymous_app.delete(API, headers={**as_manager, "If-Match": '"1"'}, status=409)

    assert_problem(response, 409)


# -- @move --------------------------------------------------------------------------


def test_move_by_path_keeps_every_descendant_reachable(anonymous_app, as_manager, dbsession):
    response = anonymous_app.post_json(
        f"{API}/docs/@move", {"destination": "/archive"}, headers=as_manager
    )

    assert response.json["@id"] == f"{SITE}{API}/archive/docs"
    assert response.json["path"] == "/archive/docs"
    leaf = anonymous_app.get(f"{API}/archive/docs/deep/leaf", headers=as_manager)
    assert leaf.json["body"] == "*leaf*"
    old = anonymous_app.get(f"{API}/docs", headers=as_manager, status=301)
    assert old.location == f"{SITE}{API}/archive/docs"


def test_move_by_uid_with_a_new_name(anonymous_app, as_manager, site):
    uid = site["archive"].uid

    response = anonymous_app.post_json(
        f"{API}/docs/guide/@move",
        {"destination": uid, "name": "old-guide"},
        headers=as_manager,
    )

    assert response.json["path"] == "/archive/old-guide"


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        ({}, 400, "/destination"),
        ({"destination": "/nowhere"}, 400, "/destination"),
        ({"destination": "/private"}, 400, "/destination"),  # not viewable: as if missing
        ({"destination": "/docs/guide"}, 409, None),  # not a folder
        ({"destination": "/docs/deep"}, 409, None),  # its own subtree
        ({"destination": "/archive", "name": 5}, 400, "/name"),
        ({"destination": "/archive", "name": "@bad"}, 400, "/name"),
    ],
)
def test_bad_moves_are_refused_and_change_nothing(
    anonymous_app, as_manager, dbsession, body, status, pointer
):
    before = paths(dbsession)

    response = anonymous_app.post_json(f"{API}/docs/@move", body, headers=as_manager, status=status)

    assert_problem(response, status, pointer)
    assert paths(dbsession) == before


def test_a_reader_may_not_move(anonymous_app, as_reader, dbsession):
    before = paths(dbsession)

    anonymous_app.post_json(
        f"{API}/docs/@move", {"destination": "/archive"}, headers=as_reader, status=403
    )

    assert paths(dbsession) == before


# -- @copy ----------------------------------------------------------------------------


def test_copy_is_deep_with_new_uids(anonymous_app, as_manager, dbsession):
    original = anonymous_app.get(f"{API}/docs/deep/leaf", headers=as_manager).json

    response = anonymous_app.post_json(
        f"{API}/docs/@copy", {"destination": "/archive"}, headers=as_manager, status=201
    )

    assert response.headers["Location"] == f"{SITE}{API}/archive/docs"
    copy = anonymous_app.get(f"{API}/archive/docs/deep/leaf", headers=as_manager).json
    assert copy["body"] == original["body"]
    assert copy["uid"] != original["uid"]
    assert "/docs/deep/leaf" in paths(dbsession)


def test_a_reader_may_not_copy_into_a_folder_it_may_not_add_to(anonymous_app, as_reader, dbsession):
    before = paths(dbsession)

    anonymous_app.post_json(
        f"{API}/docs/@copy", {"destination": "/archive"}, headers=as_reader, status=403
    )

    assert paths(dbsession) == before


# -- @order ---------------------------------------------------------------------------


def test_order_puts_children_in_the_given_order(anonymous_app, as_manager, dbsession):
    response = anonymous_app.post_json(
        f"{API}/docs/@order", {"order": ["deep", "guide"]}, headers=as_manager
    )

    assert [item["name"] for item in response.json["items"]] == ["deep", "notes", "guide"]
    assert children(dbsession, "/docs") == ["deep", "notes", "guide"]


@pytest.mark.parametrize(
    "body", [{}, {"order": "guide"}, {"order": [1]}, {"order": ["guide", "nope"]}]
)
def test_bad_orders_are_refused_and_change_nothing(anonymous_app, as_manager, dbsession, body):
    before = children(dbsession, "/docs")

    response = anonymous_app.post_json(f"{API}/docs/@order", body, headers=as_manager, status=400)

    assert_problem(response, 400, "/order")
    assert children(dbsession, "/docs") == before


def test_order_needs_edit(anonymous_app, as_reader):
    anonymous_app.post_json(
        f"{API}/docs/@order", {"order": ["notes"]}, headers=as_reader, status=403
    )


def test_cookie_writes_need_the_csrf_header(testapp, site, dbsession):
    before = paths(dbsession)

    response = testapp.post_json(f"{API}/docs/@move", {"destination": "/archive"}, status=400)

    assert "CSRF" in response.json["detail"]
    assert paths(dbsession) == before
