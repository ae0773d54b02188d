"""Creating (``POST``) and changing (``PATCH``) content through ``/api/v1/content/<path>``."""

import pytest
import webtest
from sqlalchemy import func, select
from sqlalchemy.orm import with_polymorphic

from charter import make_configurator
from charter.audit.models import AuditEntry
from charter.content.events import ObjectAdded, ObjectModified
from charter.content.models import Folder
from charter.content.schemas import FolderFields
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.testing.sessions import login_as
from charter.tree.models import Node

SITE = "http://example.com"
API = "/api/v1/content"
# Statements of one POST or PATCH, by what makes them. The content itself of a
# POST: the lineage and the caller, the folder's lock and the two reads it guards
# (positions, names), the node's three rows (nodes, its type's, its viewers) and
# the revision the change records.
CONTENT_STATEMENTS = 9
# A PATCH's: the lineage and the caller, the compare-and-set of the version that
# also writes the changed nodes columns, its type's table's changed fields, the
# revision's number and its row.
PATCH_CONTENT_STATEMENTS = 6
# The audit log's entry for the change.
AUDIT_STATEMENTS = 1
# The search index: its row is written (an UPDATE, and an INSERT when the node has
# none yet, as the nodes of these tests, made without the app's subscribers).
SEARCH_STATEMENTS = 2
# The change feed: who may see the node (with the login of who changed it), the
# counter's row lock, the previous audience (for tombstones), the entry and its
# audience, the counter, and the webhook endpoints that want it (charter.changes).
# Bounded, not per node.
CHANGE_FEED_STATEMENTS = 7
BUDGET = CONTENT_STATEMENTS + AUDIT_STATEMENTS + SEARCH_STATEMENTS + CHANGE_FEED_STATEMENTS
PATCH_BUDGET = (
    PATCH_CONTENT_STATEMENTS + AUDIT_STATEMENTS + SEARCH_STATEMENTS + CHANGE_FEED_STATEMENTS
)


class Binder(Folder):
    """A test type of folder that may hold documents only."""

    __mapper_args__ = {"polymorphic_identity": "TestBinder"}


@pytest.fixture
def docs(site_root, content, make_user, dbsession):
    """/docs holding /docs/guide; /private, which only the board may view."""
    make_user("bo", groups=["board"])
    docs = content.add_folder(site_root, "docs", "Docs", "Shared documents.")
    content.add_document(docs, "guide", "Guide", "# Guide", "How to.")
    private = content.add_folder(site_root, "private", "Private")
    SharingService(dbsession).update(private, {"group:board": ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return docs


@pytest.fixture
def editor(make_user, docs, dbsession):
    """``editor``: Editor on /docs (may add and edit there), Reader elsewhere."""
    user = make_user("editor", "Eve Editor")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    return user


@pytest.fixture
def as_editor(bearer, editor):
    """The editor's read-write token."""
    return bearer(editor)


def node_at(dbsession, path):
    """The node at ``path`` as the database now has it (with its type's columns), or None."""
    dbsession.expire_all()
    every_type = with_polymorphic(Node, "*")
    return dbsession.scalars(select(every_type).where(every_type.path == path)).one_or_none()


def tree_state(dbsession):
    """Every node's path, title, version and type fields, and how many content changes the
    audit log holds."""
    dbsession.expire_all()
    every_type = with_polymorphic(Node, "*")
    nodes = dbsession.scalars(select(every_type).order_by(every_type.path))
    audit = dbsession.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("content.%"))
    )
    return [(n.path, n.title, n.version, n.content_fields()) for n in nodes], audit


def content_entries(dbsession, action):
    """The audit entries of ``action`` recorded by requests (the fixtures act as the system)."""
    dbsession.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == action, AuditEntry.actor_id.is_not(None))
    return list(dbsession.scalars(query.order_by(AuditEntry.id)))


def expected_json(node, **extra):
    """The exact JSON of ``node`` as the API shows it."""
    parent = node.path.rsplit("/", 1)[0]
    return {
        "@id": f"{SITE}{API}{node.path}",
        "@type": node.type,
        "uid": node.uid,
        "name": node.name,
        "title": node.title,
        "description": node.description,
        "path": node.path,
        "parent": f"{SITE}{API}{parent}",
        "created": node.created.isoformat(),
        "modified": node.modified.isoformat(),
        "version": node.version,
        "state": node.workflow_state,
        **node.content_fields(),
        **extra,
    }


def csrf_token(app):
    """The CSRF token of ``app``'s session, from the log-out form every page has."""
    (form,) = [f for f in app.get("/").forms.values() if f.action.endswith("/logout")]
    return form["csrf_token"].value


# -- POST: creating -------------------------------------------------------------


def test_post_creates_a_document_answering_201_location_etag_and_its_json(
    anonymous_app, as_editor, editor, dbsession
):
    response = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "name": "minutes", "title": "Minutes", "body": "# Monday"},
        headers=as_editor,
        status=201,
    )

    node = node_at(dbsession, "/docs/minutes")
    assert response.content_type == "application/json"
    assert response.headers["Location"] == f"{SITE}{API}/docs/minutes"
    assert response.headers["ETag"] == '"1"'
    assert response.json == expected_json(node)
    assert response.json["body_html"] == "<h2>Monday</h2>\n"
    assert (node.title, node.description, node.version) == ("Minutes", "", 1)
    assert node.created_by_id == node.owner_id == editor.id


def test_post_without_a_name_names_the_item_from_its_title(anonymous_app, as_editor, dbsession):
    for _ in range(2):
        anonymous_app.post_json(
            f"{API}/docs", {"@type": "Document", "title": "Annual Report"}, headers=as_editor
        )

    assert node_at(dbsession, "/docs/annual-report").title == "Annual Report"
    assert node_at(dbsession, "/docs/annual-report-2").title == "Annual Report"


def test_a_null_name_is_the_same_as_none(anonymous_app, as_editor, dbsession):
    response = anonymous_app.post_json(
        f"{API}/docs", {"@type": "Folder", "name": None, "title": "Plans"}, headers=as_editor
    )

    assert response.json["path"] == "/docs/plans"


def test_a_new_folder_lists_no_items_and_its_etag_is_the_one_get_gives(
    anonymous_app, as_editor, dbsession
):
    created = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Folder", "name": "plans", "title": "Plans", "description": "Ahead."},
        headers=as_editor,
        status=201,
    )
    read = anonymous_app.get(f"{API}/docs/plans", headers=as_editor)

    node = node_at(dbsession, "/docs/plans")
    assert created.json == expected_json(node, items=[], next=None)
    assert created.json == read.json
    assert created.headers["ETag"] == read.headers["ETag"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b'["Document"]', id="array"),
        pytest.param(b"", id="empty"),
    ],
)
def test_post_of_a_body_that_is_not_a_json_object_is_a_400_problem(
    anonymous_app, as_editor, dbsession, body
):
    before = tree_state(dbsession)

    response = anonymous_app.post(
        f"{API}/docs",
        body,
        headers={**as_editor, "Content-Type": "application/json"},
        status=400,
    )

    problem = assert_problem(response, 400)
    assert problem["type"] == "about:blank"
    assert "JSON" in problem["detail"]
    assert tree_state(dbsession) == before


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        pytest.param({"title": "No type"}, "required: the type of the new item", id="missing"),
        pytest.param({"@type": 3, "title": "x"}, "must be a string", id="not-a-string"),
        pytest.param(
            {"@type": "Spreadsheet", "title": "x"},
            "unknown type 'Spreadsheet'; the types are Document, File, Folder",
            id="unknown",
        ),
        pytest.param(
            {"@type": "File", "title": "x"}, "a File is made by uploading it", id="upload-type"
        ),
    ],
)
def test_post_without_a_type_that_can_be_added_is_a_400_at_the_type(
    anonymous_app, as_editor, dbsession, body, detail
):
    before = tree_state(dbsession)

    response = anonymous_app.post_json(f"{API}/docs", body, headers=as_editor, status=400)

    problem = assert_problem(response, 400, "/@type")
    assert problem["type"] == "urn:charter:problem:invalid-input"
    assert problem["errors"][0]["detail"].startswith(detail)
    assert tree_state(dbsession) == before


def test_post_with_invalid_fields_names_each_one_and_adds_nothing(
    anonymous_app, as_editor, dbsession
):
    before = tree_state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "title": " ", "body": 5, "colour": "red"},
        headers=as_editor,
        status=400,
    )

    problem = assert_problem(response, 400)
    assert problem["type"] == "urn:charter:problem:invalid-input"
    assert sorted(problem["errors"], key=lambda error: error["pointer"]) == [
        {"pointer": "/body", "detail": "Input should be a valid string"},
        {"pointer": "/colour", "detail": "Extra inputs are not permitted"},
        {"pointer": "/title", "detail": "a title is required"},
    ]
    assert tree_state(dbsession) == before


@pytest.mark.parametrize(
    ("name", "detail"),
    [
        pytest.param(7, "must be a string", id="not-a-string"),
        pytest.param("Bad Name!", None, id="not-a-valid-name"),
        pytest.param("", None, id="empty"),
    ],
)
def test_post_with_a_bad_name_is_a_400_at_the_name(
    anonymous_app, as_editor, dbsession, name, detail
):
    before = tree_state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "name": name, "title": "x"},
        headers=as_editor,
        status=400,
    )

    problem = assert_problem(response, 400, "/name")
    if detail is not None:
        assert problem["errors"][0]["detail"] == detail
    assert tree_state(dbsession) == before


def test_post_with_a_name_already_taken_is_a_409_and_keeps_the_existing_item(
    anonymous_app, as_editor, dbsession
):
    before = tree_state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "name": "guide", "title": "Another guide"},
        headers=as_editor,
        status=409,
    )

    problem = assert_problem(response, 409)
    assert problem["type"] == "urn:charter:problem:conflict"
    assert "guide" in problem["detail"]
    assert tree_state(dbsession) == before


def test_post_to_a_document_is_405_naming_the_methods_it_answers(
    anonymous_app, as_editor, dbsession
):
    before = tree_state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs/guide", {"@type": "Document", "title": "Inside"}, headers=as_editor, status=405
    )

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD, PATCH, DELETE"
    assert tree_state(dbsession) == before


def test_other_methods_on_a_folder_are_405_naming_post_and_patch(anonymous_app, as_editor):
    response = anonymous_app.put_json(f"{API}/docs", {}, headers=as_editor, status=405)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD, POST, PATCH, DELETE"


def test_a_reader_may_not_add(anonymous_app, bearer, staff_user, docs, dbsession):
    before = tree_state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "title": "Mine"},
        headers=bearer(staff_user),
        status=403,
    )

    assert_problem(response, 403)
    assert tree_state(dbsession) == before


def test_a_read_token_may_not_add_even_where_its_owner_may(
    anonymous_app, bearer, editor, dbsession
):
    before = tree_state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs",
        {"@type": "Document", "title": "Mine"},
        headers=bearer(editor, "read"),
        status=403,
    )

    assert_problem(response, 403)
    assert tree_state(dbsession) == before


def test_adding_to_a_folder_the_caller_may_not_view_is_404(
    anonymous_app, bearer, editor, dbsession
):
    before = tree_state(dbsession)

    hidden = anonymous_app.post_json(
        f"{API}/private", {"@type": "Document", "title": "x"}, headers=bearer(editor), status=404
    )
    missing = anonymous_app.post_json(
        f"{API}/nowhere", {"@type": "Document", "title": "x"}, headers=bearer(editor), status=404
    )

    assert assert_problem(hidden, 404) == assert_problem(missing, 404)
    assert tree_state(dbsession) == before


def test_adding_anonymously_is_401(anonymous_app, docs, dbsession):
    before = tree_state(dbsession)

    response = anonymous_app.post_json(
        f"{API}/docs", {"@type": "Document", "title": "x"}, status=401
    )

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Charter"'
    assert tree_state(dbsession) == before


def test_adding_with_the_session_cookie_needs_the_csrf_header(anonymous_app, editor, dbsession):
    app = login_as(anonymous_app, editor)
    before = tree_state(dbsession)
    new = {"@type": "Document", "name": "minutes", "title": "Minutes"}

    refused = app.post_json(f"{API}/docs", new, status=400)
    assert "CSRF" in assert_problem(refused, 400)["detail"]
    assert tree_state(dbsession) == before

    app.post_json(f"{API}/docs", new, headers={"X-CSRF-Token": csrf_token(app)}, status=201)
    assert node_at(dbsession, "/docs/minutes").title == "Minutes"


def test_adding_writes_an_audit_entry(anonymous_app, as_editor, editor, dbsession):
    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Document", "name": "minutes", "title": "M"}, headers=as_editor
    )

    (entry,) = content_entries(dbsession, "content.added")
    node = node_at(dbsession, "/docs/minutes")
    assert (entry.actor_id, entry.actor_login, entry.target) == (editor.id, "editor", node.path)
    assert entry.details == {"uid": node.uid, "type": "Document"}


def test_posting_a_document_stays_within_the_query_budget(
    anonymous_app, as_editor, query_recorder, dbsession
):
    anonymous_app.get(f"{API}/docs", headers=as_editor)  # the token's first use is recorded

    with query_recorder.record() as queries:
        anonymous_app.post_json(
            f"{API}/docs",
            {"@type": "Document", "name": "minutes", "title": "Minutes", "body": "# Monday"},
            headers=as_editor,
            status=201,
        )

    assert node_at(dbsession, "/docs/minutes").body == "# Monday"
    assert len(queries) <= BUDGET, queries


def test_posting_without_a_name_stays_within_the_query_budget(
    anonymous_app, as_editor, query_recorder, dbsession
):
    anonymous_app.get(f"{API}/docs", headers=as_editor)  # the token's first use is recorded

    with query_recorder.record() as queries:
        anonymous_app.post_json(
            f"{API}/docs", {"@type": "Document", "title": "Agenda"}, headers=as_editor, status=201
        )

    assert node_at(dbsession, "/docs/agenda").title == "Agenda"
    assert len(queries) <= BUDGET, queries


# -- PATCH: changing --------------------------------------------------------------


def test_patch_changes_the_fields_sent_and_answers_the_new_json_and_etag(
    anonymous_app, as_editor, editor, dbsession
):
    response = anonymous_app.patch_json(
        f"{API}/docs/guide",
        {"title": "The guide", "description": ""},
        headers={**as_editor, "If-Match": '"1"'},
    )

    node = node_at(dbsession, "/docs/guide")
    assert response.status_int == 200
    assert response.headers["ETag"] == '"2"'
    assert response.json == expected_json(node)
    assert (node.title, node.description, node.body, node.version) == (
        "The guide",
        "",
        "# Guide",
        2,
    )
    assert node.modified_by_id == editor.id


def test_patch_of_the_body_renders_it_again(anonymous_app, as_editor, dbsession):
    response = anonymous_app.patch_json(
        f"{API}/docs/guide", {"body": "*new*"}, headers={**as_editor, "If-Match": '"1"'}
    )

    assert response.json["body_html"] == "<p><em>new</em></p>\n"
    assert response.json["title"] == "Guide"
    assert node_at(dbsession, "/docs/guide").body_html == "<p><em>new</em></p>\n"


def test_patch_that_changes_nothing_keeps_the_version_and_writes_no_entry(
    anonymous_app, as_editor, dbsession
):
    response = anonymous_app.patch_json(
        f"{API}/docs/guide", {"title": "Guide"}, headers={**as_editor, "If-Match": '"1"'}
    )

    assert response.headers["ETag"] == '"1"'
    assert node_at(dbsession, "/docs/guide").version == 1
    assert content_entries(dbsession, "content.modified") == []


def test_patch_without_if_match_is_428_and_changes_nothing(anonymous_app, as_editor, dbsession):
    before = tree_state(dbsession)

    response = anonymous_app.patch_json(
        f"{API}/docs/guide", {"title": "Blind"}, headers=as_editor, status=428
    )

    problem = assert_problem(response, 428)
    assert problem["title"] == "Precondition Required"
    assert "If-Match" in problem["detail"]
    assert "ETag" in problem["detail"]
    assert tree_state(dbsession) == before


@pytest.mark.parametrize(
    "if_match",
    ["1", 'W/"1"', '"1", "2"', "*", '"one"', '""', "", '"1-XYZ"'],
)
def test_patch_with_an_if_match_that_is_not_one_etag_is_400(
    anonymous_app, as_editor, dbsession, if_match
):
    before = tree_state(dbsession)

    response = anonymous_app.patch_json(
        f"{API}/docs/guide",
        {"title": "Blind"},
        headers={**as_editor, "If-Match": if_match},
        status=400,
    )

    assert "If-Match" in assert_problem(response, 400)["detail"]
    assert tree_state(dbsession) == before


def test_patch_of_a_stale_version_is_412_with_the_current_version(
    anonymous_app, as_editor, content, dbsession
):
    guide = node_at(dbsession, "/docs/guide")
    content.update(guide, {"title": "Changed meanwhile"}, expected_version=1)
    dbsession.flush()  # requests read through their own savepoint
    before = tree_state(dbsession)

    response = anonymous_app.patch_json(
        f"{API}/docs/guide", {"title": "Mine"}, headers={**as_editor, "If-Match": '"1"'}, status=412
    )

    problem = assert_problem(response, 412)
    assert problem["type"] == "urn:charter:problem:stale-version"
    assert problem["title"] == "Precondition Failed"
    assert problem["current_version"] == 2
    assert tree_state(dbsession) == before


def test_of_two_clients_editing_the_same_version_the_second_gets_412(
    anonymous_app, bearer, editor, make_user, docs, dbsession
):
    colleague = make_user("colleague")
    SharingService(dbsession).update(docs, {user_principal(colleague.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    first, second = bearer(editor), bearer(colleague)
    etag = anonymous_app.get(f"{API}/docs/guide", headers=first).headers["ETag"]
    assert anonymous_app.get(f"{API}/docs/guide", headers=second).headers["ETag"] == etag

    saved = anonymous_app.patch_json(
        f"{API}/docs/guide", {"body": "First"}, headers={**first, "If-Match": etag}
    )
    refused = anonymous_app.patch_json(
        f"{API}/docs/guide", {"body": "Second"}, headers={**second, "If-Match": etag}, status=412
    )

    assert saved.headers["ETag"] == '"2"'
    assert assert_problem(refused, 412)["current_version"] == 2
    node = node_at(dbsession, "/docs/guide")
    assert (node.body, node.version) == ("First", 2)
    assert [entry.actor_id for entry in content_entries(dbsession, "content.modified")] == [
        editor.id
    ]


@pytest.mark.parametrize(
    ("fields", "pointer", "detail"),
    [
        pytest.param({"colour": "red"}, "/colour", "Extra inputs are not permitted", id="unknown"),
        pytest.param({"name": "renamed"}, "/name", "Extra inputs are not permitted", id="name"),
        pytest.param({"title": ""}, "/title", "a title is required", id="empty-title"),
        pytest.param({"title": None}, "/title", "Input should be a valid string", id="null"),
        pytest.param({"body": ["x"]}, "/body", "Input should be a valid string", id="list"),
    ],
)
def test_patch_with_a_bad_field_is_a_400_at_its_pointer_and_changes_nothing(
    anonymous_app, as_editor, dbsession, fields, pointer, detail
):
    before = tree_state(dbsession)

    response = anonymous_app.patch_json(
        f"{API}/docs/guide", fields, headers={**as_editor, "If-Match": '"1"'}, status=400
    )

    problem = assert_problem(response, 400, pointer)
    assert problem["errors"] == [{"pointer": pointer, "detail": detail}]
    assert tree_state(dbsession) == before


def test_patch_of_a_body_that_is_not_a_json_object_is_400(anonymous_app, as_editor, dbsession):
    before = tree_state(dbsession)

    response = anonymous_app.patch_json(
        f"{API}/docs/guide", ["title"], headers={**as_editor, "If-Match": '"1"'}, status=400
    )

    assert assert_problem(response, 400)["detail"] == "The request body must be a JSON object."
    assert tree_state(dbsession) == before


def test_a_reader_may_not_edit(anonymous_app, bearer, staff_user, docs, dbsession):
    before = tree_state(dbsession)

    response = anonymous_app.patch_json(
        f"{API}/docs/guide",
        {"title": "Mine"},
        headers={**bearer(staff_user), "If-Match": '"1"'},
        status=403,
    )

    assert_problem(response, 403)
    assert tree_state(dbsession) == before


def test_a_contributor_may_add_but_not_edit(anonymous_app, bearer, make_user, docs, dbsession):
    contributor = make_user("carla")
    SharingService(dbsession).update(docs, {user_principal(contributor.id): ["Contributor"]})
    dbsession.flush()  # requests read through their own savepoint
    headers = bearer(contributor)

    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Document", "name": "draft", "title": "Draft"}, headers=headers
    )
    refused = anonymous_app.patch_json(
        f"{API}/docs/draft",
        {"title": "Changed"},
        headers={**headers, "If-Match": '"1"'},
        status=403,
    )

    assert_problem(refused, 403)
    assert node_at(dbsession, "/docs/draft").title == "Draft"


def test_editing_what_the_caller_may_not_view_is_404_and_anonymously_401(
    anonymous_app, as_editor, dbsession
):
    before = tree_state(dbsession)
    change = {"title": "Mine"}

    hidden = anonymous_app.patch_json(
        f"{API}/private", change, headers={**as_editor, "If-Match": '"1"'}, status=404
    )
    anonymous = anonymous_app.patch_json(
        f"{API}/docs/guide", change, headers={"If-Match": '"1"'}, status=401
    )

    assert_problem(hidden, 404)
    assert_problem(anonymous, 401)
    assert tree_state(dbsession) == before


def test_editing_with_the_session_cookie_needs_the_csrf_header(anonymous_app, editor, dbsession):
    app = login_as(anonymous_app, editor)
    before = tree_state(dbsession)
    headers = {"If-Match": '"1"'}

    refused = app.patch_json(f"{API}/docs/guide", {"title": "New"}, headers=headers, status=400)
    assert "CSRF" in assert_problem(refused, 400)["detail"]
    assert tree_state(dbsession) == before

    headers["X-CSRF-Token"] = csrf_token(app)
    app.patch_json(f"{API}/docs/guide", {"title": "New"}, headers=headers)
    assert node_at(dbsession, "/docs/guide").title == "New"


def test_editing_writes_an_audit_entry(anonymous_app, as_editor, editor, dbsession):
    anonymous_app.patch_json(
        f"{API}/docs/guide",
        {"title": "New", "body": "# Guide"},
        headers={**as_editor, "If-Match": '"1"'},
    )

    (entry,) = content_entries(dbsession, "content.modified")
    node = node_at(dbsession, "/docs/guide")
    assert (entry.actor_id, entry.target) == (editor.id, "/docs/guide")
    assert entry.details == {"uid": node.uid, "fields": ["title"], "revision": 2}


def test_patching_a_folder_lists_its_items_and_accepts_its_get_etag(
    anonymous_app, as_editor, content, dbsession
):
    etag = anonymous_app.get(f"{API}/docs", headers=as_editor).headers["ETag"]
    # A child added meanwhile changes the listing, not the folder's own fields.
    content.add_document(node_at(dbsession, "/docs"), "later", "Later", "")
    dbsession.flush()  # requests read through their own savepoint

    response = anonymous_app.patch_json(
        f"{API}/docs", {"title": "Documents"}, headers={**as_editor, "If-Match": etag}
    )
    read = anonymous_app.get(f"{API}/docs", headers=as_editor)

    assert [item["name"] for item in response.json["items"]] == ["guide", "later"]
    assert response.json == read.json
    assert response.headers["ETag"] == read.headers["ETag"]
    assert read.headers["ETag"].startswith('"2-')
    assert node_at(dbsession, "/docs").title == "Documents"


def test_a_folder_is_also_patched_with_its_bare_version(anonymous_app, as_editor, dbsession):
    anonymous_app.patch_json(
        f"{API}/docs", {"description": ""}, headers={**as_editor, "If-Match": '"1"'}
    )

    assert node_at(dbsession, "/docs").description == ""


def test_patching_a_document_stays_within_the_query_budget(
    anonymous_app, as_editor, query_recorder, dbsession
):
    anonymous_app.get(f"{API}/docs", headers=as_editor)  # the token's first use is recorded

    with query_recorder.record() as queries:
        anonymous_app.patch_json(
            f"{API}/docs/guide",
            {"title": "New", "body": "# New"},
            headers={**as_editor, "If-Match": '"1"'},
        )

    assert node_at(dbsession, "/docs/guide").body == "# New"
    assert len(queries) <= PATCH_BUDGET, queries


# -- with subscribers and an add-on type ----------------------------------------


@pytest.fixture(scope="module")
def observed_router(charter_settings, charter_engine):
    """Charter with a subscriber to ObjectAdded and ObjectModified, and the TestBinder type.

    Yields the WSGI app and the list of what each event said, in order.
    """
    events = []

    def added(event):
        events.append(("added", event.node.path, event.parent.path))

    def modified(event):
        events.append(("modified", event.node.path, event.changes))

    config = make_configurator(charter_settings, environ={})
    config.add_subscriber(added, ObjectAdded)
    config.add_subscriber(modified, ObjectModified)
    config.add_content_type(
        "TestBinder", Binder, FolderFields, title="Binder", allowed_children=["Document"]
    )
    yield config.make_wsgi_app(), events
    config.registry["charter.db.engine"].dispose()


@pytest.fixture
def observed(observed_router, db_connection):
    """A WebTest app over ``observed_router`` and its (emptied) list of events."""
    router, events = observed_router
    events.clear()
    app = webtest.TestApp(
        router,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    return app, events


def test_subscribers_hear_of_what_is_added_and_modified(observed, as_editor, dbsession):
    app, events = observed

    app.post_json(
        f"{API}/docs", {"@type": "Document", "name": "minutes", "title": "M"}, headers=as_editor
    )
    app.patch_json(
        f"{API}/docs/minutes", {"title": "Minutes"}, headers={**as_editor, "If-Match": '"1"'}
    )

    assert events == [
        ("added", "/docs/minutes", "/docs"),
        ("modified", "/docs/minutes", {"title": "Minutes"}),
    ]


def test_refused_changes_are_not_announced(observed, as_editor):
    app, events = observed

    app.post_json(f"{API}/docs", {"@type": "Document", "title": ""}, headers=as_editor, status=400)
    app.patch_json(
        f"{API}/docs/guide", {"title": "x"}, headers={**as_editor, "If-Match": '"9"'}, status=412
    )

    assert events == []


def test_a_type_not_allowed_in_the_folder_is_a_409(observed, as_editor, dbsession):
    app, _ = observed
    app.post_json(
        f"{API}/docs", {"@type": "TestBinder", "name": "binder", "title": "B"}, headers=as_editor
    )
    before = tree_state(dbsession)

    refused = app.post_json(
        f"{API}/docs/binder", {"@type": "Folder", "title": "Sub"}, headers=as_editor, status=409
    )
    allowed = app.post_json(
        f"{API}/docs/binder", {"@type": "Document", "title": "Page"}, headers=as_editor
    )

    problem = assert_problem(refused, 409)
    assert problem["detail"] == "a Folder cannot be placed in /docs/binder"
    assert allowed.json["path"] == "/docs/binder/page"
    assert node_at(dbsession, "/docs/binder/sub") is None
    assert len(tree_state(dbsession)[0]) == len(before[0]) + 1
