"""ETags of content: every node's JSON carries one, and If-None-Match answers 304.

A document's ETag is its version. A folder's JSON also lists children, which
change without the folder's own version moving, so its ETag is
``"<version>-<digest of the body>"``.
"""

import re

import pytest
from sqlalchemy import select

from charter.security.sharing import SharingService
from charter.tree.models import Node

API = "/api/v1/content"
FOLDER_ETAG = re.compile(r'"(\d+)-[0-9a-f]{16}"')


@pytest.fixture
def docs(site_root, content, make_user, dbsession):
    """/docs holding /docs/guide and /docs/board (which only the board may view)."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "# Guide")
    board = content.add_folder(docs, "board", "Board")
    SharingService(dbsession).update(board, {"group:board": ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return docs


def node_at(dbsession, path):
    """The node at ``path``, freshly loaded."""
    dbsession.expire_all()
    return dbsession.scalars(select(Node).where(Node.path == path)).one()


def changed(content, dbsession, path, **fields):
    """Change ``fields`` of the node at ``path`` through the service, as another client would."""
    node = node_at(dbsession, path)
    content.update(node, fields, expected_version=node.version)
    dbsession.flush()  # requests read through their own savepoint


# -- documents ----------------------------------------------------------------------


def test_a_document_is_tagged_with_its_version(testapp, docs, content, dbsession):
    first = testapp.get(f"{API}/docs/guide")
    changed(content, dbsession, "/docs/guide", title="New title")
    second = testapp.get(f"{API}/docs/guide")

    assert first.headers["ETag"] == '"1"'
    assert second.headers["ETag"] == '"2"'
    assert second.json["version"] == 2


def test_every_node_json_may_be_kept_only_privately_and_must_be_revalidated(testapp, docs):
    for path in ("/docs", "/docs/guide"):
        response = testapp.get(f"{API}{path}")
        assert response.headers["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize("if_none_match", ['"1"', 'W/"1"', '"7", "1"', "*"])
def test_a_document_the_client_holds_is_304_without_a_body(testapp, docs, if_none_match):
    response = testapp.get(
        f"{API}/docs/guide", headers={"If-None-Match": if_none_match}, status=304
    )

    assert response.body == b""
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_a_document_changed_since_is_sent_again(testapp, docs, content, dbsession):
    changed(content, dbsession, "/docs/guide", body="Changed.")

    response = testapp.get(f"{API}/docs/guide", headers={"If-None-Match": '"1"'})

    assert response.status_int == 200
    assert response.headers["ETag"] == '"2"'
    assert response.json["body"] == "Changed."


def test_head_has_the_etag_and_is_304_too(testapp, docs):
    assert testapp.head(f"{API}/docs/guide").headers["ETag"] == '"1"'
    testapp.head(f"{API}/docs/guide", headers={"If-None-Match": '"1"'}, status=304)


def test_the_page_url_asked_for_as_json_is_tagged_the_same_and_varies_on_accept(testapp, docs):
    json_headers = {"Accept": "application/json"}
    api = testapp.get(f"{API}/docs/guide")
    page = testapp.get("/docs/guide", headers=json_headers)
    not_modified = testapp.get(
        "/docs/guide", headers={**json_headers, "If-None-Match": '"1"'}, status=304
    )

    assert page.headers["ETag"] == api.headers["ETag"] == '"1"'
    assert not_modified.headers["Vary"] == "Accept"


def test_the_html_page_is_not_answered_304_for_a_json_etag(testapp, docs):
    response = testapp.get("/docs/guide", headers={"Accept": "text/html", "If-None-Match": '"1"'})

    assert response.status_int == 200
    assert response.content_type == "text/html"


# -- folders ------------------------------------------------------------------------


def test_a_folder_is_tagged_with_its_version_and_a_digest_and_is_304_when_unchanged(testapp, docs):
    etag = testapp.get(f"{API}/docs").headers["ETag"]

    response = testapp.get(f"{API}/docs", headers={"If-None-Match": etag}, status=304)

    assert FOLDER_ETAG.fullmatch(etag).group(1) == "1"
    assert response.headers["ETag"] == etag


def test_a_new_child_changes_the_folder_etag_but_not_its_version(testapp, docs, content, dbsession):
    before = testapp.get(f"{API}/docs").headers["ETag"]
    content.add_document(node_at(dbsession, "/docs"), "news", "News", "")
    dbsession.flush()  # requests read through their own savepoint

    after = testapp.get(f"{API}/docs", headers={"If-None-Match": before})

    assert after.status_int == 200
    assert after.headers["ETag"] != before
    assert FOLDER_ETAG.fullmatch(after.headers["ETag"]).group(1) == "1"
    assert [item["name"] for item in after.json["items"]] == ["guide", "news"]


def test_a_child_changed_changes_the_folder_etag(testapp, docs, content, dbsession):
    before = testapp.get(f"{API}/docs").headers["ETag"]
    changed(content, dbsession, "/docs/guide", title="Renamed guide")

    after = testapp.get(f"{API}/docs", headers={"If-None-Match": before})

    assert after.status_int == 200
    assert after.headers["ETag"] != before
    assert after.json["items"][0]["title"] == "Renamed guide"


def test_reordering_the_children_changes_the_folder_etag(admin_app, docs, content, dbsession):
    before = admin_app.get(f"{API}/docs").headers["ETag"]
    content.reorder(node_at(dbsession, "/docs"), ["board", "guide"])
    dbsession.flush()  # requests read through their own savepoint

    after = admin_app.get(f"{API}/docs", headers={"If-None-Match": before}, status=200)

    assert after.headers["ETag"] != before


def test_each_page_of_a_folder_has_its_own_etag(admin_app, docs):
    whole = admin_app.get(f"{API}/docs").headers["ETag"]
    first_page = admin_app.get(f"{API}/docs?limit=1").headers["ETag"]

    response = admin_app.get(f"{API}/docs?limit=1", headers={"If-None-Match": whole})

    assert first_page != whole
    assert response.status_int == 200


def test_callers_who_see_different_children_get_different_etags(testapp, admin_app, docs):
    staff = testapp.get(f"{API}/docs")
    admin = admin_app.get(f"{API}/docs")

    assert [item["name"] for item in staff.json["items"]] == ["guide"]
    assert [item["name"] for item in admin.json["items"]] == ["guide", "board"]
    assert staff.headers["ETag"] != admin.headers["ETag"]
    admin_app.get(f"{API}/docs", headers={"If-None-Match": staff.headers["ETag"]}, status=200)


def test_the_folders_own_change_moves_the_version_in_its_etag(testapp, docs, content, dbsession):
    changed(content, dbsession, "/docs", title="Documents")

    etag = testapp.get(f"{API}/docs").headers["ETag"]

    assert FOLDER_ETAG.fullmatch(etag).group(1) == "2"
