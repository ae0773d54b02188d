"""A node's history over the API: ``@history``, one revision, ``@diff``, ``@restore``, and
``@comment`` beside the fields of POST and PATCH."""

import pytest
from sqlalchemy import select

from charter.audit.models import AuditEntry
from charter.history.models import Revision
from charter.history.revisions import BASELINE_COMMENT
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.testing.sessions import login_as
from charter.tree.models import Node

SITE = "http://example.com"
API = "/api/v1/content"
GUIDE = f"{API}/docs/guide"


@pytest.fixture
def docs(site_root, content, make_user, dbsession):
    """/docs holding /docs/guide (revision 1 of 1); /private, which only the board may view."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "one\ntwo\nthree", "How to.")
    private = content.add_folder(site_root, "private", "Private")
    content.add_document(private, "plans", "Plans", "secret")
    SharingService(dbsession).update(private, {"group:board": ["Editor"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return docs


@pytest.fixture
def editor(make_user, docs, dbsession):
    """Editor on /docs, Reader elsewhere."""
    user = make_user("editor", "Eve Editor")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    return user


@pytest.fixture
def as_editor(bearer, editor):
    """The editor's read-write token."""
    return bearer(editor)


@pytest.fixture
def as_reader(bearer, staff_user):
    """A token of ``staff``, who may only read /docs."""
    return bearer(staff_user)


@pytest.fixture
def edited(anonymous_app, as_editor):
    """/docs/guide changed twice by the editor: revisions 1, 2 and 3, at version 3."""
    anonymous_app.patch_json(
        GUIDE,
        {"body": "one\n2\nthree", "@comment": "a number"},
        headers={**as_editor, "If-Match": '"1"'},
    )
    anonymous_app.patch_json(
        GUIDE, {"title": "The guide"}, headers={**as_editor, "If-Match": '"2"'}
    )


def revisions_of(dbsession, path):
    """(number, comment, author_login) of the node's stored revisions, oldest first."""
    dbsession.expire_all()
    node_id = dbsession.scalar(select(Node.id).where(Node.path == path))
    return [
        (revision.number, revision.comment, revision.author_login)
        for revision in dbsession.scalars(
            select(Revision).where(Revision.node_id == node_id).order_by(Revision.number)
        )
    ]


def node_at(dbsession, path):
    """The node at ``path`` as the database now has it."""
    dbsession.expire_all()
    return dbsession.scalars(select(Node).where(Node.path == path)).one()


# -- @comment beside the fields --------------------------------------------------


def test_post_and_patch_take_a_comment_for_the_revision(anonymous_app, as_editor, dbsession):
    anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "title": "Notes", "@comment": "  started  "},
        headers=as_editor,
        status=201,
    )
    anonymous_app.patch_json(
        f"{API}/docs/notes",
        {"title": "Notes 2", "@comment": "renamed"},
        headers={**as_editor, "If-Match": '"1"'},
    )
    anonymous_app.patch_json(
        f"{API}/docs/notes",
        {"title": "Notes 3", "@comment": None},
        headers={**as_editor, "If-Match": '"2"'},
    )

    assert revisions_of(dbsession, "/docs/notes") == [
        (1, "started", "editor"),
        (2, "renamed", "editor"),
        (3, "", "editor"),
    ]


@pytest.mark.parametrize(
    "comment", ["x" * 501, "two\nlines", 7, {"a": 1}], ids=["long", "lines", "number", "object"]
)
def test_a_bad_comment_is_a_400_naming_it_and_changes_nothing(
    anonymous_app, as_editor, dbsession, comment
):
    patched = anonymous_app.patch_json(
        GUIDE,
        {"title": "Changed", "@comment": comment},
        headers={**as_editor, "If-Match": '"1"'},
        status=400,
    )
    posted = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "title": "New", "@comment": comment},
        headers=as_editor,
        status=400,
    )

    assert_problem(patched, 400, "/@comment")
    assert_problem(posted, 400, "/@comment")
    assert node_at(dbsession, "/docs/guide").title == "Guide"
    assert revisions_of(dbsession, "/docs/guide") == [(1, "", "system")]
    assert dbsession.scalar(select(Node.id).where(Node.path == "/docs/new")) is None


# -- reading the history ---------------------------------------------------------


def test_the_history_lists_revisions_newest_first(anonymous_app, as_reader, edited):
    response = anonymous_app.get(f"{GUIDE}/@history", headers=as_reader)

    body = response.json
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert body["@id"] == f"{SITE}{GUIDE}/@history"
    assert body["node"] == f"{SITE}{GUIDE}"
    assert body["next"] is None
    assert [
        (item["number"], item["author"], item["comment"], item["current"]) for item in body["items"]
    ] == [(3, "editor", "", True), (2, "editor", "a number", False), (1, "system", "", False)]
    assert body["items"][0]["@id"] == f"{SITE}{GUIDE}/@history/3"
    assert "fields" not in body["items"][0]
    assert "download" not in body["items"][0]


def test_the_history_is_paged_by_keyset(anonymous_app, as_reader, edited):
    first = anonymous_app.get(f"{GUIDE}/@history?limit=2", headers=as_reader).json
    second = anonymous_app.get(first["next"], headers=as_reader).json

    assert [item["number"] for item in first["items"]] == [3, 2]
    assert first["next"] == f"{SITE}{GUIDE}/@history?after=2&limit=2"
    assert [(item["number"], item["current"]) for item in second["items"]] == [(1, False)]
    assert second["next"] is None


@pytest.mark.parametrize(
    ("query", "pointer"),
    [
        ("limit=0", "/limit"),
        ("limit=201", "/limit"),
        ("limit=many", "/limit"),
        ("after=0", "/after"),
        ("after=abc", "/after"),
        ("after=99999999999999999999", "/after"),
    ],
)
def test_a_bad_page_request_is_a_400(anonymous_app, as_reader, edited, query, pointer):
    response = anonymous_app.get(f"{GUIDE}/@history?{query}", headers=as_reader, status=400)

    assert_problem(response, 400, pointer)


def test_a_revision_has_the_fields_it_recorded(anonymous_app, as_reader, edited):
    body = anonymous_app.get(f"{GUIDE}/@history/2", headers=as_reader).json

    assert body == {
        "@id": f"{SITE}{GUIDE}/@history/2",
        "number": 2,
        "created": body["created"],
        "author": "editor",
        "comment": "a number",
        "fields": {"title": "Guide", "description": "How to.", "body": "one\n2\nthree"},
    }


def test_a_diff_compares_every_field(anonymous_app, as_reader, edited):
    body = anonymous_app.get(f"{GUIDE}/@history/1/@diff/3", headers=as_reader).json

    assert body == {
        "@id": f"{SITE}{GUIDE}/@history/1/@diff/3",
        "from": 1,
        "to": 3,
        "fields": [
            {"name": "title", "kind": "value", "changed": True, "old": "Guide", "new": "The guide"},
            {"name": "description", "kind": "text", "changed": False},
            {
                "name": "body",
                "kind": "text",
                "changed": True,
                "diff": "--- version 1\n+++ version 3\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three",
            },
        ],
    }
    backwards = anonymous_app.get(f"{GUIDE}/@history/3/@diff/1", headers=as_reader).json
    assert backwards["fields"][0] == {
        "name": "title",
        "kind": "value",
        "changed": True,
        "old": "The guide",
        "new": "Guide",
    }
    same = anonymous_app.get(f"{GUIDE}/@history/2/@diff/2", headers=as_reader).json
    assert not any(field["changed"] for field in same["fields"])


@pytest.mark.parametrize(
    "path",
    [
        "@history/4",
        "@history/0",
        "@history/-1",
        "@history/abc",
        "@history/1.0",
        "@history/%C2%B2",
        "@history/99999999999999999999999",
        "@history/1/@diff/4",
        "@history/x/@diff/1",
        "@history/1/@diff",
        "@history/1/@diff/2/3",
        "@history/1/@download",
        "@history/1/@nothing",
    ],
)
def test_what_is_no_revision_is_a_404(anonymous_app, as_reader, edited, path):
    response = anonymous_app.get(f"{GUIDE}/{path}", headers=as_reader, status=404)

    assert_problem(response, 404)


@pytest.mark.parametrize(
    "path", ["@history", "@history/1", "@history/1/@diff/1"], ids=["list", "one", "diff"]
)
def test_a_hidden_node_has_no_history_to_show(anonymous_app, bearer, staff_user, docs, path):
    hidden = anonymous_app.get(
        f"{API}/private/plans/{path}", headers=bearer(staff_user), status=404
    )
    anonymous = anonymous_app.get(f"{API}/private/plans/{path}", status=401)
    missing = anonymous_app.get(
        f"{API}/docs/nothing/{path}", headers=bearer(staff_user), status=404
    )

    assert assert_problem(hidden, 404)["detail"] == assert_problem(missing, 404)["detail"]
    assert_problem(anonymous, 401)


def test_the_history_of_the_root_and_of_a_folder(anonymous_app, as_reader, docs):
    root = anonymous_app.get(f"{API}/@history", headers=as_reader).json
    folder = anonymous_app.get(f"{API}/docs/@history/1", headers=as_reader).json

    assert root["@id"] == f"{SITE}{API}/@history"
    assert [item["number"] for item in root["items"]] == [1]
    assert folder["fields"] == {"title": "Docs", "description": ""}


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_methods_are_a_405_saying_what_is_allowed(anonymous_app, as_editor, edited, method):
    listing = anonymous_app.request(
        f"{GUIDE}/@history", method=method, headers=as_editor, status=405
    )
    restore = anonymous_app.request(
        f"{GUIDE}/@history/1/@restore", method=method, headers=as_editor, status=405
    )

    assert listing.headers["Allow"] == "GET, HEAD"
    assert restore.headers["Allow"] == "POST"
    assert_problem(listing, 405)


def test_post_to_a_revision_is_a_405(anonymous_app, as_editor, edited):
    response = anonymous_app.post(
        f"{GUIDE}/@history/1", headers={**as_editor, "If-Match": '"3"'}, status=405
    )

    assert response.headers["Allow"] == "GET, HEAD"


# -- restoring -----------------------------------------------------------------------


def test_restore_writes_a_new_revision_and_answers_like_patch(
    anonymous_app, as_editor, edited, dbsession
):
    response = anonymous_app.post(
        f"{GUIDE}/@history/1/@restore", headers={**as_editor, "If-Match": '"3"'}
    )

    assert response.etag == "4"
    assert (response.json["title"], response.json["body"], response.json["version"]) == (
        "Guide",
        "one\ntwo\nthree",
        4,
    )
    assert revisions_of(dbsession, "/docs/guide") == [
        (1, "", "system"),
        (2, "a number", "editor"),
        (3, "", "editor"),
        (4, "Restored version 1", "editor"),
    ]
    entry = dbsession.scalars(
        select(AuditEntry).where(AuditEntry.action == "content.restored")
    ).one()
    assert entry.details["restored"] == 1
    assert entry.details["revision"] == 4
    assert sorted(entry.details["fields"]) == ["body", "title"]


def test_restore_takes_a_comment(anonymous_app, as_editor, edited, dbsession):
    anonymous_app.post_json(
        f"{GUIDE}/@history/2/@restore",
        {"@comment": "the number was right"},
        headers={**as_editor, "If-Match": '"3"'},
    )

    assert revisions_of(dbsession, "/docs/guide")[-1] == (4, "the number was right", "editor")


def test_restore_without_if_match_is_a_428(anonymous_app, as_editor, edited, dbsession):
    response = anonymous_app.post(f"{GUIDE}/@history/1/@restore", headers=as_editor, status=428)

    assert_problem(response, 428)
    assert node_at(dbsession, "/docs/guide").version == 3


@pytest.mark.parametrize("if_match", ['"2"', '"1"'])
def test_restore_of_a_stale_version_is_a_412_and_changes_nothing(
    anonymous_app, as_editor, edited, dbsession, if_match
):
    response = anonymous_app.post(
        f"{GUIDE}/@history/1/@restore", headers={**as_editor, "If-Match": if_match}, status=412
    )

    assert assert_problem(response, 412)["current_version"] == 3
    assert node_at(dbsession, "/docs/guide").title == "The guide"
    assert len(revisions_of(dbsession, "/docs/guide")) == 3


@pytest.mark.parametrize(
    ("if_match", "status"), [("3", 400), ('W/"3"', 400), ("*", 400), ('"3", "4"', 400)]
)
def test_restore_with_a_malformed_if_match_is_refused(
    anonymous_app, as_editor, edited, dbsession, if_match, status
):
    response = anonymous_app.post(
        f"{GUIDE}/@history/1/@restore",
        headers={**as_editor, "If-Match": if_match},
        status=status,
    )

    assert_problem(response, status)
    assert node_at(dbsession, "/docs/guide").version == 3


@pytest.mark.parametrize("number", ["9", "0", "abc"])
def test_restore_of_a_revision_that_does_not_exist_is_a_404(
    anonymous_app, as_editor, edited, dbsession, number
):
    response = anonymous_app.post(
        f"{GUIDE}/@history/{number}/@restore",
        headers={**as_editor, "If-Match": '"3"'},
        status=404,
    )

    assert_problem(response, 404)
    assert node_at(dbsession, "/docs/guide").version == 3


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"title": "sneaked in"}, "/title"),
        ({"@comment": "x" * 501}, "/@comment"),
        ({"@comment": ["a"]}, "/@comment"),
    ],
)
def test_restore_with_a_bad_body_is_a_400(
    anonymous_app, as_editor, edited, dbsession, body, pointer
):
    response = anonymous_app.post_json(
        f"{GUIDE}/@history/1/@restore", body, headers={**as_editor, "If-Match": '"3"'}, status=400
    )

    assert_problem(response, 400, pointer)
    assert node_at(dbsession, "/docs/guide").version == 3


def test_restore_with_a_body_that_is_not_json_is_refused(anonymous_app, as_editor, edited):
    response = anonymous_app.post(
        f"{GUIDE}/@history/1/@restore",
        "comment",
        headers={**as_editor, "If-Match": '"3"', "Content-Type": "text/plain"},
        status=415,
    )

    assert_problem(response, 415)


def test_who_may_not_edit_may_not_restore(
    anonymous_app, as_reader, bearer, editor, edited, dbsession
):
    reader = anonymous_app.post(
        f"{GUIDE}/@history/1/@restore", headers={**as_reader, "If-Match": '"3"'}, status=403
    )
    read_only = anonymous_app.post(
        f"{GUIDE}/@history/1/@restore",
        headers={**bearer(editor, scope="read"), "If-Match": '"3"'},
        status=403,
    )
    anonymous = anonymous_app.post(
        f"{GUIDE}/@history/1/@restore", headers={"If-Match": '"3"'}, status=401
    )

    assert_problem(reader, 403)
    assert_problem(read_only, 403)
    assert_problem(anonymous, 401)
    assert node_at(dbsession, "/docs/guide").version == 3


def test_a_hidden_node_cannot_be_restored(anonymous_app, as_reader, docs, dbsession):
    response = anonymous_app.post(
        f"{API}/private/plans/@history/1/@restore",
        headers={**as_reader, "If-Match": '"1"'},
        status=404,
    )

    assert_problem(response, 404)


def test_restoring_with_the_session_cookie_needs_the_csrf_header(
    anonymous_app, editor, edited, dbsession
):
    app = login_as(anonymous_app, editor)
    headers = {"If-Match": '"3"'}

    refused = app.post(f"{GUIDE}/@history/1/@restore", headers=headers, status=400)
    assert "CSRF" in assert_problem(refused, 400)["detail"]
    assert node_at(dbsession, "/docs/guide").version == 3

    (form,) = [f for f in app.get("/").forms.values() if f.action.endswith("/logout")]
    headers["X-CSRF-Token"] = form["csrf_token"].value
    app.post(f"{GUIDE}/@history/1/@restore", headers=headers)
    assert node_at(dbsession, "/docs/guide").title == "Guide"


def test_restoring_what_is_current_changes_nothing(anonymous_app, as_editor, edited, dbsession):
    response = anonymous_app.post(
        f"{GUIDE}/@history/3/@restore", headers={**as_editor, "If-Match": '"3"'}
    )

    assert response.etag == "3"
    assert len(revisions_of(dbsession, "/docs/guide")) == 3


def test_a_node_made_before_revisions_shows_its_current_state(
    anonymous_app, as_editor, as_reader, docs, dbsession
):
    guide = node_at(dbsession, "/docs/guide")
    dbsession.execute(Revision.__table__.delete().where(Revision.node_id == guide.id))
    dbsession.flush()

    listing = anonymous_app.get(f"{GUIDE}/@history", headers=as_reader).json
    (only,) = listing["items"]
    assert (only["number"], only["author"], only["comment"], only["current"]) == (
        1,
        None,
        BASELINE_COMMENT,
        True,
    )
    one = anonymous_app.get(f"{GUIDE}/@history/1", headers=as_reader).json
    assert one["fields"]["body"] == "one\ntwo\nthree"

    anonymous_app.patch_json(GUIDE, {"body": "new"}, headers={**as_editor, "If-Match": '"1"'})
    assert revisions_of(dbsession, "/docs/guide") == [
        (1, BASELINE_COMMENT, None),
        (2, "", "editor"),
    ]
    diff = anonymous_app.get(f"{GUIDE}/@history/1/@diff/2", headers=as_reader).json
    assert diff["fields"][2]["diff"].endswith("-one\n-two\n-three\n+new")
