"""A trashed node is gone from everyday use, in every place that finds nodes: traversal,
listings, child counts, uids, the name check, the move/copy picker, copies and the
viewer-filtered queries."""

import pytest
from sqlalchemy import select

from charter.tree.models import Node
from charter.tree.services import TreeService

API = "/api/v1/content"


@pytest.fixture
def site(site_root, content, dbsession):
    """/docs holding /docs/old (a folder holding a note, then trashed) and /docs/kept."""
    docs = content.add_folder(site_root, "docs", "Docs")
    old = content.add_folder(docs, "old", "Old")
    note = content.add_document(old, "note", "Note", "x")
    content.add_folder(docs, "kept", "Kept")
    uids = {"old": old.uid, "note": note.uid}
    content.delete(old)
    dbsession.flush()
    return uids


def names(items):
    return [item["name"] for item in items]


def test_traversal_answers_404(admin_app, site):
    for path in ("/docs/old", "/docs/old/note", "/docs/old/@@contents"):
        admin_app.get(path, status=404)
        admin_app.get(f"{API}{path}", status=404)


def test_listings_and_sorted_listings_skip_it(admin_app, testapp, site):
    for app in (admin_app, testapp):
        assert names(app.get(f"{API}/docs").json["items"]) == ["kept"]
        for sort in ("", "title", "-modified"):
            page = app.get("/docs/@@contents", params={"sort": sort} if sort else {})
            assert [row["data-name"] for row in page.html.select(".content-row")] == ["kept"]


def test_child_counts_skip_it(admin_app, site):
    page = admin_app.get("/docs/@@delete")
    assert page.html.select_one(".items-inside").get_text(strip=True).startswith("It holds 1 item")


def test_uids_are_not_found(admin_app, testapp, site):
    for uid in site.values():
        admin_app.get(f"/api/v1/nodes/{uid}", status=404)
        testapp.get(f"/api/v1/nodes/{uid}", status=404)
        body = {"destination": uid}
        admin_app.post_json(
            f"{API}/docs/kept/@copy", body, status=400, headers={"X-CSRF-Token": csrf(admin_app)}
        )


def csrf(app):
    return app.get("/").html.select_one("input[name=csrf_token]")["value"]


def test_its_name_is_free_again(admin_app, site):
    created = admin_app.post_json(
        f"{API}/docs",
        {"@type": "Folder", "title": "Old again", "name": "old"},
        headers={"X-CSRF-Token": csrf(admin_app)},
        status=201,
    )
    assert created.json["path"] == "/docs/old"


def test_the_move_and_copy_picker_skip_it(admin_app, site):
    for view in ("move", "copy"):
        picker = admin_app.get(f"/docs/kept/@@{view}", params={"at": "/docs"})
        offered = [a.get_text(strip=True) for a in picker.html.select(".picker-folders a")]
        assert "Old" not in offered
        admin_app.get(f"/docs/kept/@@{view}", params={"at": "/docs/old"}, status=404)


def test_copying_the_folder_leaves_it_behind(admin_app, site, dbsession):
    admin_app.post_json(
        f"{API}/docs/@copy",
        {"destination": "/", "name": "docs-copy"},
        headers={"X-CSRF-Token": csrf(admin_app)},
        status=201,
    )
    assert names(admin_app.get(f"{API}/docs-copy").json["items"]) == ["kept"]


def test_viewer_filtered_queries_skip_it(site, dbsession, staff_user):
    tree = TreeService(dbsession)
    docs = tree.resolve(["docs"]).context
    viewers = frozenset({"system.Authenticated", f"user:{staff_user.id}"})
    assert [c.name for c in tree.children_page(docs, 50, viewers=viewers).items] == ["kept"]
    assert [c.name for c in tree.sorted_children(docs, "title", False, 50, viewers)] == ["kept"]
    assert tree.count_visible_descendants(docs, viewers) == 1
    for uid in site.values():
        assert tree.path_of_uid(uid, viewers) is None
        assert tree.path_of_uid(uid) is None
    # The rows are still there, under the trash's paths, for a restore.
    trashed = dbsession.scalars(select(Node.path).where(Node.uid.in_(site.values())))
    assert all(path.startswith("@trash/") for path in trashed)
