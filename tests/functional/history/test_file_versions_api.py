"""New versions of a file over the API: ``PUT <file>/@download``, old bytes from its history,
and restoring an old version's bytes."""

import hashlib

import pytest
import webtest
from sqlalchemy import select

from charter import make_configurator
from charter.content.models import File
from charter.content.registry import types_of
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.history.models import Revision
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.workflow.services import WorkflowService

API = "/api/v1/content"
REPORT = f"{API}/docs/report.txt"
FIRST = b"First draft of the report.\n"
SECOND = b"Second draft: better.\n"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
RAW = {"Content-Type": "application/octet-stream"}


def sha(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def docs(site_root, content, dbsession):
    """/docs, where every logged-in person may read."""
    docs = content.add_folder(site_root, "docs", "Docs")
    dbsession.flush()  # requests read through their own savepoint
    return docs


@pytest.fixture
def editor(make_user, docs, dbsession):
    """Editor on /docs."""
    user = make_user("editor", "Eve Editor")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Editor"]})
    dbsession.flush()  # requests read through their own savepoint
    return user


@pytest.fixture
def as_editor(bearer, editor):
    return bearer(editor)


@pytest.fixture
def report(anonymous_app, as_editor):
    """/docs/report.txt, uploaded by the editor (version 1)."""
    anonymous_app.post(
        f"{API}/docs",
        FIRST,
        headers={**as_editor, "Slug": "report.txt", "Content-Type": "text/plain"},
        status=201,
    )


def file_at(dbsession, path):
    dbsession.expire_all()
    return dbsession.scalars(select(File).where(File.path == path)).one()


def revisions_of(dbsession, path):
    """(number, blob_sha256, comment) of each revision of the node at ``path``."""
    node = file_at(dbsession, path)
    return [
        (revision.number, revision.blob_sha256, revision.comment)
        for revision in dbsession.scalars(
            select(Revision).where(Revision.node_id == node.id).order_by(Revision.number)
        )
    ]


def test_put_replaces_the_bytes_and_records_a_revision(anonymous_app, as_editor, report, dbsession):
    response = anonymous_app.put(
        f"{REPORT}/@download?comment=better",
        SECOND,
        headers={**as_editor, **RAW, "If-Match": '"1"', "Slug": "report-v2.txt"},
    )

    assert response.etag == "2"
    body = response.json
    assert (body["sha256"], body["size"], body["mime_type"], body["filename"]) == (
        sha(SECOND),
        len(SECOND),
        "text/plain",
        "report-v2.txt",
    )
    assert body["name"] == "report.txt"  # its address stays
    assert revisions_of(dbsession, "/docs/report.txt") == [
        (1, sha(FIRST), ""),
        (2, sha(SECOND), "better"),
    ]
    assert anonymous_app.get(f"{REPORT}/@download", headers=as_editor).body == SECOND


def test_put_keeps_the_file_name_unless_given_one(anonymous_app, as_editor, report, dbsession):
    anonymous_app.put(f"{REPORT}/@download", PDF, headers={**as_editor, **RAW, "If-Match": '"1"'})

    node = file_at(dbsession, "/docs/report.txt")
    assert (node.filename, node.mime_type) == ("report.txt", "application/pdf")


def test_a_multipart_put_takes_the_file_and_a_comment(anonymous_app, as_editor, report, dbsession):
    anonymous_app.put(
        f"{REPORT}/@download",
        {"comment": "from a form"},
        upload_files=[("file", "notes.txt", SECOND)],
        headers={**as_editor, "If-Match": '"1"'},
        content_type="multipart/form-data",
    )

    node = file_at(dbsession, "/docs/report.txt")
    assert (node.blob_sha256, node.filename) == (sha(SECOND), "notes.txt")
    assert revisions_of(dbsession, "/docs/report.txt")[-1][2] == "from a form"


def test_the_same_bytes_again_change_nothing(anonymous_app, as_editor, report, dbsession):
    response = anonymous_app.put(
        f"{REPORT}/@download", FIRST, headers={**as_editor, **RAW, "If-Match": '"1"'}
    )

    assert response.etag == "1"
    assert len(revisions_of(dbsession, "/docs/report.txt")) == 1


def test_put_without_if_match_is_a_428(anonymous_app, as_editor, report, dbsession):
    response = anonymous_app.put(
        f"{REPORT}/@download", SECOND, headers={**as_editor, **RAW}, status=428
    )

    assert_problem(response, 428)
    assert file_at(dbsession, "/docs/report.txt").blob_sha256 == sha(FIRST)


def test_put_of_a_stale_version_is_a_412_and_keeps_nothing(
    anonymous_app, as_editor, report, dbsession, charter_app
):
    anonymous_app.put(
        f"{REPORT}/@download", SECOND, headers={**as_editor, **RAW, "If-Match": '"1"'}
    )
    third = b"a third text nobody else has written\n"

    response = anonymous_app.put(
        f"{REPORT}/@download", third, headers={**as_editor, **RAW, "If-Match": '"1"'}, status=412
    )

    assert assert_problem(response, 412)["current_version"] == 2
    assert file_at(dbsession, "/docs/report.txt").blob_sha256 == sha(SECOND)
    assert not charter_app.registry["charter.blobs.store"].exists(sha(third))


@pytest.mark.parametrize(
    ("headers", "comment", "pointer"),
    [
        ({"Slug": "%2F"}, "", "/filename"),
        ({}, "x" * 501, "/@comment"),
        ({}, "a\x01b", "/@comment"),
    ],
)
def test_put_with_bad_input_is_a_400(
    anonymous_app, as_editor, report, dbsession, headers, comment, pointer
):
    response = anonymous_app.put(
        f"{REPORT}/@download?{'comment=' + comment if comment else ''}",
        SECOND,
        headers={**as_editor, **RAW, **headers, "If-Match": '"1"'},
        status=400,
    )

    assert_problem(response, 400, pointer)
    assert file_at(dbsession, "/docs/report.txt").version == 1


def test_a_multipart_put_without_a_file_is_a_400(anonymous_app, as_editor, report):
    response = anonymous_app.put(
        f"{REPORT}/@download",
        {"comment": "no file"},
        headers={**as_editor, "If-Match": '"1"'},
        content_type="multipart/form-data",
        status=400,
    )

    assert_problem(response, 400, "/file")


def test_only_editors_may_put(
    anonymous_app, bearer, staff_user, editor, report, dbsession, charter_app
):
    # Published, so that the reader sees it (a private file is not found by readers).
    WorkflowService(dbsession, types_of(charter_app.registry)).advance(
        file_at(dbsession, "/docs/report.txt"), "published"
    )
    dbsession.flush()
    version = file_at(dbsession, "/docs/report.txt").version
    match = f'"{version}"'
    reader = anonymous_app.put(
        f"{REPORT}/@download",
        SECOND,
        headers={**bearer(staff_user), **RAW, "If-Match": match},
        status=403,
    )
    read_only = anonymous_app.put(
        f"{REPORT}/@download",
        SECOND,
        headers={**bearer(editor, scope="read"), **RAW, "If-Match": match},
        status=403,
    )
    anonymous = anonymous_app.put(
        f"{REPORT}/@download", SECOND, headers={**RAW, "If-Match": match}, status=401
    )

    for response in (reader, read_only):
        assert_problem(response, 403)
    assert_problem(anonymous, 401)
    assert file_at(dbsession, "/docs/report.txt").version == version


def test_a_document_has_no_bytes_to_replace(anonymous_app, as_editor, content, docs, dbsession):
    content.add_document(docs, "guide", "Guide", "Text")
    dbsession.flush()

    response = anonymous_app.put(
        f"{API}/docs/guide/@download",
        SECOND,
        headers={**as_editor, **RAW, "If-Match": '"1"'},
        status=404,
    )

    assert_problem(response, 404)


@pytest.fixture
def small_limit_app(charter_settings, charter_engine, db_connection, tmp_path):
    """The app with uploads limited to 16 bytes, on the test's transaction."""
    config = make_configurator(
        {**charter_settings, "charter.blobs.max_upload_size": "16"}, environ={}
    )
    yield webtest.TestApp(
        config.make_wsgi_app(),
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    config.registry["charter.db.engine"].dispose()


def test_bytes_over_the_limit_are_a_413_and_keep_nothing(
    small_limit_app, as_editor, content, docs, dbsession, charter_app
):
    small_limit_app.post(
        f"{API}/docs", b"tiny", headers={**as_editor, "Slug": "tiny.txt", **RAW}, status=201
    )

    sized = small_limit_app.put(
        f"{API}/docs/tiny.txt/@download",
        b"x" * 17,
        headers={**as_editor, **RAW, "If-Match": '"1"'},
        status=413,
    )

    assert_problem(sized, 413)
    assert file_at(dbsession, "/docs/tiny.txt").size == 4


# -- old versions --------------------------------------------------------------------


@pytest.fixture
def two_versions(anonymous_app, as_editor, report):
    anonymous_app.put(
        f"{REPORT}/@download?comment=second",
        SECOND,
        headers={**as_editor, **RAW, "If-Match": '"1"'},
    )


def test_old_bytes_stay_downloadable_from_the_history(
    anonymous_app, bearer, staff_user, two_versions, dbsession, charter_app
):
    # Published, so that a reader sees it and its history.
    WorkflowService(dbsession, types_of(charter_app.registry)).advance(
        file_at(dbsession, "/docs/report.txt"), "published"
    )
    dbsession.flush()
    reader = bearer(staff_user)

    listing = anonymous_app.get(f"{REPORT}/@history", headers=reader).json
    old = anonymous_app.get(listing["items"][1]["download"], headers=reader)
    ranged = anonymous_app.get(
        f"{REPORT}/@history/1/@download", headers={**reader, "Range": "bytes=0-4"}, status=206
    )
    revision = anonymous_app.get(f"{REPORT}/@history/1", headers=reader).json

    assert listing["items"][1]["download"].endswith("/docs/report.txt/@history/1/@download")
    assert old.body == FIRST
    assert old.etag == sha(FIRST)
    assert old.content_type == "text/plain"
    assert "report.txt" in old.headers["Content-Disposition"]
    assert ranged.body == FIRST[:5]
    assert revision["fields"] == {
        "title": "report.txt",
        "description": "",
        "filename": "report.txt",
        "size": len(FIRST),
        "mime_type": "text/plain",
        "sha256": sha(FIRST),
    }


def test_the_diff_of_two_versions_shows_the_new_hash_and_size(
    anonymous_app, as_editor, two_versions
):
    fields = anonymous_app.get(f"{REPORT}/@history/1/@diff/2", headers=as_editor).json["fields"]

    assert {
        field["name"]: (field.get("old"), field.get("new")) for field in fields if field["changed"]
    } == {
        "sha256": (sha(FIRST), sha(SECOND)),
        "size": (len(FIRST), len(SECOND)),
    }


def test_restoring_an_old_version_brings_its_bytes_back(
    anonymous_app, as_editor, two_versions, dbsession
):
    response = anonymous_app.post(
        f"{REPORT}/@history/1/@restore", headers={**as_editor, "If-Match": '"2"'}
    )

    assert (response.json["sha256"], response.json["size"], response.etag) == (
        sha(FIRST),
        len(FIRST),
        "3",
    )
    assert anonymous_app.get(f"{REPORT}/@download", headers=as_editor).body == FIRST
    assert [number for number, *_ in revisions_of(dbsession, "/docs/report.txt")] == [1, 2, 3]


def test_an_old_version_whose_bytes_are_gone_cannot_be_restored(
    anonymous_app, as_editor, two_versions, dbsession, charter_app
):
    store = charter_app.registry["charter.blobs.store"]
    store.path(sha(FIRST)).unlink()

    response = anonymous_app.post(
        f"{REPORT}/@history/1/@restore", headers={**as_editor, "If-Match": '"2"'}, status=409
    )
    missing = anonymous_app.get(f"{REPORT}/@history/1/@download", headers=as_editor, status=404)

    assert "no longer stored" in assert_problem(response, 409)["detail"]
    assert_problem(missing, 404)
    assert file_at(dbsession, "/docs/report.txt").blob_sha256 == sha(SECOND)
