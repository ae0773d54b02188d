"""``/api/v1/trash`` and ``@legal-hold``: list, show, restore, purge, empty, holds."""

import pytest
from sqlalchemy import func, select

from charter.audit.models import AuditEntry
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.trash.models import TrashEntry
from charter.tree.models import Node

API = "/api/v1/content"
TRASH = "/api/v1/trash"


@pytest.fixture
def site(site_root, content, dbsession, make_user):
    """/docs (guide, deep/leaf), /archive, /sandbox (note); /private only the board sees."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "# Guide")
    deep = content.add_folder(docs, "deep", "Deep")
    content.add_document(deep, "leaf", "Leaf", "*leaf*")
    content.add_folder(site_root, "archive", "Archive")
    sandbox = content.add_folder(site_root, "sandbox", "Sandbox")
    content.add_document(sandbox, "note", "Note", "A note.")
    private = content.add_folder(site_root, "private", "Private")
    SharingService(dbsession).update(private, {"group:board": ["Reader"]}, inherit=False)
    dbsession.flush()
    return site_root


def grant(dbsession, path, principal, role):
    node = dbsession.scalars(select(Node).where(Node.path == path)).one()
    SharingService(dbsession).update(node, {principal: [role]})
    dbsession.flush()


@pytest.fixture
def manager(make_user, site, dbsession):
    user = make_user("manager", "Mia Manager")
    grant(dbsession, "/", user_principal(user.id), "Manager")
    return user


@pytest.fixture
def as_manager(bearer, manager):
    return bearer(manager)


@pytest.fixture
def as_admin(bearer, admin_user, site):
    return bearer(admin_user)


def delete(app, path, headers, version=1):
    response = app.delete(f"{API}{path}", headers={**headers, "If-Match": f'"{version}"'})
    assert response.status_int == 204
    return int(response.headers["Link"].split(">")[0].rsplit("/", 1)[1])


def live_paths(dbsession):
    dbsession.expire_all()
    return sorted(p for p in dbsession.scalars(select(Node.path)) if p.startswith("/"))


def entry_count(dbsession):
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(TrashEntry))


def test_list_show_restore(anonymous_app, as_manager, dbsession):
    entry_id = delete(anonymous_app, "/docs", as_manager)

    listing = anonymous_app.get(TRASH, headers=as_manager).json
    assert [item["id"] for item in listing["items"]] == [entry_id]
    assert listing["next"] is None
    shown = anonymous_app.get(f"{TRASH}/{entry_id}", headers=as_manager).json
    assert shown["original_path"] == "/docs"
    assert (shown["@type"], shown["item_count"], shown["deleted_by"]) == ("Folder", 4, "manager")
    assert shown["original_folder"] == "http://example.com/api/v1/content"
    assert shown["held_items"] == 0

    restored = anonymous_app.post(shown["restore"], headers=as_manager)
    assert restored.json["path"] == "/docs"
    assert restored.headers["Content-Location"] == "http://example.com/api/v1/content/docs"
    assert anonymous_app.get(f"{API}/docs/deep/leaf", headers=as_manager).json["title"] == "Leaf"
    anonymous_app.get(f"{TRASH}/{entry_id}", headers=as_manager, status=404)
    actions = dbsession.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["content.trashed", "content.restored"]


def test_trashed_nodes_are_gone_from_every_api_view(anonymous_app, as_manager, dbsession):
    uid = anonymous_app.get(f"{API}/docs/guide", headers=as_manager).json["uid"]
    delete(anonymous_app, "/docs", as_manager)

    anonymous_app.get(f"{API}/docs/guide", headers=as_manager, status=404)
    assert_problem(anonymous_app.get(f"/api/v1/nodes/{uid}", headers=as_manager, status=404), 404)
    root = anonymous_app.get(API, headers=as_manager).json
    assert "docs" not in [item["name"] for item in root["items"]]
    body = {"destination": uid}
    moved = anonymous_app.post_json(f"{API}/archive/@move", body, headers=as_manager, status=400)
    assert_problem(moved, 400, "/destination")
    # The name is free again.
    anonymous_app.post_json(
        API, {"@type": "Folder", "title": "Docs", "name": "docs"}, headers=as_manager, status=201
    )


def test_restore_conflicts_say_which_and_target_or_name_resolve_them(
    anonymous_app, as_manager, dbsession
):
    guide = delete(anonymous_app, "/docs/guide", as_manager)
    anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "title": "G", "name": "guide"},
        headers=as_manager,
        status=201,
    )
    taken = anonymous_app.post(f"{TRASH}/{guide}/@restore", headers=as_manager, status=409)
    assert assert_problem(taken, 409)["reason"] == "name-taken"
    assert taken.json["type"] == "urn:charter:problem:restore-conflict"

    leaf = delete(anonymous_app, "/docs/deep/leaf", as_manager)
    delete(anonymous_app, "/docs/deep", as_manager)
    gone = anonymous_app.post(f"{TRASH}/{leaf}/@restore", headers=as_manager, status=409)
    assert assert_problem(gone, 409)["reason"] == "parent-gone"
    assert entry_count(dbsession) == 3

    renamed = anonymous_app.post_json(
        f"{TRASH}/{guide}/@restore", {"name": "guide-1"}, headers=as_manager
    )
    assert renamed.json["path"] == "/docs/guide-1"
    moved = anonymous_app.post_json(
        f"{TRASH}/{leaf}/@restore", {"target": "/archive"}, headers=as_manager
    )
    assert moved.json["path"] == "/archive/leaf"


@pytest.mark.parametrize(
    ("body", "status", "pointer"),
    [
        ({"target": "/nowhere"}, 400, "/target"),
        ({"target": "/private"}, 400, "/target"),
        ({"target": "/sandbox/note"}, 400, "/target"),
        ({"target": "archive"}, 400, "/target"),
        ({"target": 3}, 400, "/target"),
        ({"name": "bad name"}, 400, "/name"),
        ({"name": "@trash"}, 400, "/name"),
        ({"colour": "red"}, 400, "/colour"),
        ({"target": "/@trash/1"}, 400, "/target"),
    ],
)
def test_bad_restore_input_changes_nothing(
    anonymous_app, as_manager, dbsession, body, status, pointer
):
    entry_id = delete(anonymous_app, "/docs/guide", as_manager)
    before = live_paths(dbsession)

    response = anonymous_app.post_json(
        f"{TRASH}/{entry_id}/@restore", body, headers=as_manager, status=status
    )

    assert_problem(response, status, pointer)
    assert live_paths(dbsession) == before
    assert entry_count(dbsession) == 1


def test_restore_body_must_be_json(anonymous_app, as_manager):
    entry_id = delete(anonymous_app, "/docs/guide", as_manager)
    url = f"{TRASH}/{entry_id}/@restore"
    assert_problem(anonymous_app.post(url, "target=/", headers=as_manager, status=415), 415)
    bad = anonymous_app.post(
        url, b"{", headers={**as_manager, "Content-Type": "application/json"}, status=400
    )
    assert_problem(bad, 400)
    assert_problem(
        anonymous_app.post(f"{TRASH}/999999/@restore", headers=as_manager, status=404), 404
    )


def test_purge_deletes_for_good_and_legal_holds_refuse_it(
    anonymous_app, as_manager, as_admin, dbsession
):
    anonymous_app.put(f"{API}/docs/deep/leaf/@legal-hold", headers=as_admin)
    docs = delete(anonymous_app, "/docs", as_manager)
    refused = anonymous_app.delete(f"{TRASH}/{docs}", headers=as_manager, status=409)
    assert assert_problem(refused, 409)["type"] == "urn:charter:problem:legal-hold"
    assert "/docs/deep/leaf" in refused.json["detail"]
    assert anonymous_app.get(f"{TRASH}/{docs}", headers=as_manager).json["held_items"] == 1

    sandbox = delete(anonymous_app, "/sandbox", as_manager)
    held = anonymous_app.put(f"{TRASH}/{sandbox}/@legal-hold", headers=as_admin).json
    assert held["legal_hold"] is True
    assert_problem(anonymous_app.delete(f"{TRASH}/{sandbox}", headers=as_manager, status=409), 409)
    assert entry_count(dbsession) == 2

    anonymous_app.delete(f"{TRASH}/{sandbox}/@legal-hold", headers=as_admin)
    anonymous_app.delete(f"{TRASH}/{sandbox}", headers=as_manager, status=204)
    assert entry_count(dbsession) == 1
    dbsession.expire_all()
    assert dbsession.scalar(select(func.count()).select_from(Node).where(Node.name == "note")) == 0
    anonymous_app.delete(f"{TRASH}/{sandbox}", headers=as_manager, status=404)


def test_empty_purges_what_the_caller_may_and_lists_what_is_held(
    anonymous_app, as_manager, as_admin, dbsession
):
    docs = delete(anonymous_app, "/docs", as_manager)
    delete(anonymous_app, "/sandbox", as_manager)
    anonymous_app.put(f"{TRASH}/{docs}/@legal-hold", headers=as_admin)

    outcome = anonymous_app.delete(TRASH, headers=as_manager).json

    assert (outcome["purged"], outcome["items"]) == (1, 2)
    assert [entry["id"] for entry in outcome["held"]] == [docs]
    assert entry_count(dbsession) == 1


def test_who_sees_restores_and_purges(anonymous_app, make_user, bearer, manager, dbsession):
    ann = make_user("ann")
    grant(dbsession, "/sandbox", user_principal(ann.id), "Editor")
    eve = make_user("eve")
    grant(dbsession, "/sandbox", user_principal(eve.id), "Editor")
    as_ann, as_eve, as_staff = bearer(ann), bearer(eve), bearer(make_user("stan"))

    # Editor on /sandbox: may delete inside it, not /sandbox itself.
    refused = anonymous_app.delete(
        f"{API}/sandbox", headers={**as_ann, "If-Match": '"1"'}, status=403
    )
    assert "folder" in assert_problem(refused, 403)["detail"]
    note = delete(anonymous_app, "/sandbox/note", as_ann)
    docs = delete(anonymous_app, "/docs", bearer(manager))

    def listed(headers):
        return [item["id"] for item in anonymous_app.get(TRASH, headers=headers).json["items"]]

    assert listed(as_ann) == [note]
    assert listed(as_eve) == [note]  # could have deleted it too
    assert listed(as_staff) == []
    for method in ("get", "delete"):
        response = getattr(anonymous_app, method)(f"{TRASH}/{docs}", headers=as_ann, status=404)
        assert_problem(response, 404)
    assert_problem(anonymous_app.post(f"{TRASH}/{docs}/@restore", headers=as_ann, status=404), 404)
    # Restoring needs add where it goes.
    forbidden = anonymous_app.post_json(
        f"{TRASH}/{note}/@restore", {"target": "/archive"}, headers=as_eve, status=403
    )
    assert_problem(forbidden, 403)
    anonymous_app.post(f"{TRASH}/{note}/@restore", headers=as_eve)
    assert "/sandbox/note" in live_paths(dbsession)


def test_anonymous_read_tokens_and_csrf(anonymous_app, as_manager, bearer, manager, client):
    entry_id = delete(anonymous_app, "/docs", as_manager)
    read = bearer(manager, "read")

    for method, url in (
        ("get", TRASH),
        ("get", f"{TRASH}/{entry_id}"),
        ("delete", TRASH),
        ("post", f"{TRASH}/{entry_id}/@restore"),
    ):
        assert_problem(getattr(anonymous_app, method)(url, status=401), 401)
    assert anonymous_app.get(TRASH, headers=read).json["items"][0]["id"] == entry_id
    for method, url in (
        ("delete", f"{TRASH}/{entry_id}"),
        ("delete", TRASH),
        ("post", f"{TRASH}/{entry_id}/@restore"),
    ):
        assert_problem(getattr(anonymous_app, method)(url, headers=read, status=403), 403)
    # A session's change needs its CSRF token.
    assert_problem(client(manager).delete(TRASH, status=400), 400)


def test_legal_holds_are_for_administrators(
    anonymous_app, as_manager, as_admin, bearer, admin_user
):
    refused = anonymous_app.put(f"{API}/docs/@legal-hold", headers=as_manager, status=403)
    assert_problem(refused, 403)
    assert_problem(
        anonymous_app.put(f"{API}/private/@legal-hold", headers=as_manager, status=404), 404
    )
    assert anonymous_app.get(f"{API}/docs/@legal-hold", headers=as_admin).json == {
        "@id": "http://example.com/api/v1/content/docs",
        "legal_hold": False,
    }
    assert anonymous_app.put(f"{API}/docs/@legal-hold", headers=as_admin).json["legal_hold"]
    assert anonymous_app.get(f"{API}/docs/@legal-hold", headers=as_admin).json["legal_hold"]
    lifted = anonymous_app.delete(f"{API}/docs/@legal-hold", headers=as_admin).json
    assert lifted["legal_hold"] is False
    read = bearer(admin_user, "read")
    assert_problem(anonymous_app.put(f"{API}/docs/@legal-hold", headers=read, status=403), 403)

    entry_id = delete(anonymous_app, "/docs", as_manager)
    assert_problem(
        anonymous_app.put(f"{TRASH}/{entry_id}/@legal-hold", headers=as_manager, status=403), 403
    )
    assert_problem(
        anonymous_app.put(f"{TRASH}/999999/@legal-hold", headers=as_admin, status=404), 404
    )


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("post", TRASH, "GET, HEAD, DELETE"),
        ("patch", f"{TRASH}/1", "GET, HEAD, DELETE"),
        ("get", f"{TRASH}/1/@restore", "POST"),
        ("post", f"{TRASH}/1/@legal-hold", "PUT, DELETE"),
        ("post", f"{API}/docs/@legal-hold", "GET, HEAD, PUT, DELETE"),
    ],
)
def test_other_methods_answer_405_with_allow(anonymous_app, as_admin, method, url, allow):
    response = getattr(anonymous_app, method)(url, headers=as_admin, status=405)
    assert_problem(response, 405)
    assert response.headers["Allow"] == allow


def test_listing_filters_and_pages(anonymous_app, as_manager):
    guide = delete(anonymous_app, "/docs/guide", as_manager)
    leaf = delete(anonymous_app, "/docs/deep/leaf", as_manager)
    sandbox = delete(anonymous_app, "/sandbox", as_manager)

    def ids(**params):
        return [i["id"] for i in anonymous_app.get(TRASH, params, headers=as_manager).json["items"]]

    assert ids() == [sandbox, leaf, guide]
    assert ids(type="Document") == [leaf, guide]
    assert ids(path="/docs") == [leaf, guide]
    assert ids(deleted_by="manager", type="Folder") == [sandbox]
    assert ids(deleted_by="nobody") == []
    assert ids(since="2000-01-01", until="9999-12-31") == [sandbox, leaf, guide]
    first = anonymous_app.get(TRASH, {"limit": "2", "type": "Document"}, headers=as_manager).json
    assert [i["id"] for i in first["items"]] == [leaf, guide]
    assert first["next"] is None
    first = anonymous_app.get(TRASH, {"limit": "2"}, headers=as_manager).json
    second = anonymous_app.get(first["next"], headers=as_manager).json
    assert [i["id"] for i in second["items"]] == [guide]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "201"},
        {"after": "bm9wZQ"},
        {"since": "1st of May"},
        {"until": "10000-01-01"},
        {"path": "/" + "a" * 7000},
    ],
)
def test_bad_listing_parameters_are_400(anonymous_app, as_manager, params):
    response = anonymous_app.get(TRASH, params, headers=as_manager, status=400)
    assert_problem(response, 400, "/" + next(iter(params)))
