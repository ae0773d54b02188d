"""The JSON API of content: ``/api/v1/content/<path>`` and ``/<path>`` asked for as JSON."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest

API = "http://example.com/api/v1/content"
SUMMARY_KEYS = {
    "@id",
    "@type",
    "uid",
    "name",
    "title",
    "description",
    "path",
    "parent",
    "created",
    "modified",
    "version",
    "state",  # the workflow state (null for a type without a workflow)
}
PROBLEM_KEYS = {"type", "title", "status", "detail"}


@pytest.fixture
def handbook_site(site_root, content, dbsession):
    """/guides (a folder) holding /guides/handbook (a document) and /guides/empty (a folder)."""
    guides = content.add_folder(site_root, "guides", "Guides", "How we work.")
    handbook = content.add_document(
        guides,
        "handbook",
        "Handbook",
        "# Welcome\n\nRead **this** first.\n\n<script>alert(1)</script>",
        "The first week.",
    )
    empty = content.add_folder(guides, "empty", "Empty folder")
    dbsession.flush()  # requests read through their own savepoint
    return guides, handbook, empty


@pytest.fixture
def five_children(site_root, content, dbsession):
    """A folder /many with the documents c0..c4 in that order."""
    many = content.add_folder(site_root, "many", "Many")
    for number in range(5):
        content.add_document(many, f"c{number}", f"Child {number}", f"Text {number}.")
    dbsession.flush()  # requests read through their own savepoint
    return many


def assert_node_keys(body, node):
    """``body`` carries every common key, typed and valued as ``node`` says."""
    assert set(body) >= SUMMARY_KEYS
    assert body["@type"] == node.type
    assert body["uid"] == node.uid
    assert re.fullmatch(r"[0-9a-f]{32}", body["uid"])
    assert body["name"] == node.name
    assert body["title"] == node.title
    assert body["description"] == node.description
    assert body["path"] == node.path
    assert body["@id"] == API + ("" if node.path == "/" else node.path)
    assert isinstance(body["version"], int)
    assert body["version"] == node.version
    for key in ("created", "modified"):
        moment = dt.datetime.fromisoformat(body[key])
        assert moment.utcoffset() == dt.timedelta(0), f"{key} has no UTC offset: {body[key]}"
        assert re.search(r"T\d\d:\d\d:\d\d(\.\d+)?\+00:00$", body[key]), body[key]
    assert dt.datetime.fromisoformat(body["created"]) == node.created
    assert dt.datetime.fromisoformat(body["modified"]) == node.modified


def assert_problem(response, status, pointer=None):
    """``response`` is an RFC 9457 problem with ``status`` (and a pointer, when given)."""
    assert response.status_int == status
    assert response.content_type == "application/problem+json"
    body = response.json
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert body["title"]
    assert body["detail"]
    assert "Traceback" not in response.text
    if pointer is not None:
        assert body["errors"][0]["pointer"] == pointer
        assert body["errors"][0]["detail"]
    return body


def test_root_has_no_parent_and_its_api_url_as_id(testapp, site_root, handbook_site):
    response = testapp.get("/api/v1/content")

    assert response.content_type == "application/json"
    body = response.json
    assert_node_keys(body, site_root)
    assert body["@id"] == API
    assert body["parent"] is None
    assert body["@type"] == "Folder"
    assert body["path"] == "/"
    assert [item["name"] for item in body["items"]] == ["guides"]


def test_root_with_a_trailing_slash_is_the_root(testapp, site_root):
    body = testapp.get("/api/v1/content/").json

    assert body["uid"] == site_root.uid
    assert body["parent"] is None


def test_folder_lists_its_children_in_order_as_summaries(testapp, handbook_site):
    guides, handbook, empty = handbook_site

    body = testapp.get("/api/v1/content/guides").json

    assert_node_keys(body, guides)
    assert body["parent"] == API
    assert body["next"] is None
    assert "body" not in body
    assert [item["name"] for item in body["items"]] == ["handbook", "empty"]
    for item, node in zip(body["items"], (handbook, empty), strict=True):
        assert set(item) == SUMMARY_KEYS
        assert_node_keys(item, node)
        assert item["parent"] == API + "/guides"


def test_empty_folder_has_no_items_and_no_next(testapp, handbook_site):
    body = testapp.get("/api/v1/content/guides/empty").json

    assert body["items"] == []
    assert body["next"] is None


def test_document_has_its_markdown_and_sanitised_html(testapp, handbook_site):
    _, handbook, _ = handbook_site

    body = testapp.get("/api/v1/content/guides/handbook").json

    assert_node_keys(body, handbook)
    assert set(body) == SUMMARY_KEYS | {"body", "body_html"}
    assert body["@type"] == "Document"
    assert body["parent"] == API + "/guides"
    assert body["body"].startswith("# Welcome\n")
    assert "<h2>Welcome</h2>" in body["body_html"]
    assert "<strong>this</strong>" in body["body_html"]
    assert "<script" not in body["body_html"]


def test_paging_with_limit_follows_next_to_the_end(testapp, five_children):
    url = "/api/v1/content/many?limit=2"
    seen = []
    pages = 0
    while url is not None:
        body = testapp.get(url).json
        pages += 1
        assert len(body["items"]) <= 2
        seen.extend(item["name"] for item in body["items"])
        url = body["next"]
        if url is not None:
            assert url.startswith(API + "/many?")
            query = parse_qs(urlsplit(url).query)
            assert query["limit"] == ["2"], "next must keep the client's limit"
            assert query["after"]

    assert pages == 3
    assert seen == ["c0", "c1", "c2", "c3", "c4"]


def test_limit_that_fits_exactly_gives_no_next(testapp, five_children):
    body = testapp.get("/api/v1/content/many", {"limit": "5"}).json

    assert len(body["items"]) == 5
    assert body["next"] is None


def test_default_page_leaves_limit_out_of_next(testapp, site_root, content, dbsession):
    # 51 children: one more than the default page of 50.
    big = content.add_folder(site_root, "big", "Big")
    for number in range(51):
        content.add_document(big, f"d{number:02}", f"Doc {number}", "")
    dbsession.flush()  # requests read through their own savepoint

    first = testapp.get("/api/v1/content/big").json
    second = testapp.get(first["next"]).json

    assert len(first["items"]) == 50
    assert "limit" not in parse_qs(urlsplit(first["next"]).query)
    assert [item["name"] for item in second["items"]] == ["d50"]
    assert second["next"] is None


@pytest.mark.parametrize("limit", ["0", "201", "abc", "-1", "2.5", "", " 5", "²"])
def test_bad_limit_is_a_problem_pointing_at_limit(testapp, five_children, limit):
    response = testapp.get("/api/v1/content/many", {"limit": limit}, status="*")

    body = assert_problem(response, 400, pointer="/limit")
    assert "limit" in body["detail"]
    assert "200" in body["errors"][0]["detail"]


@pytest.mark.parametrize("after", ["garbage!", "bm90LWpzb24", "WyJhIiwxXQ"])
def test_garbage_after_is_a_problem_pointing_at_after(testapp, five_children, after):
    response = testapp.get("/api/v1/content/many", {"after": after}, status="*")

    assert_problem(response, 400, pointer="/after")


def test_limit_200_is_accepted(testapp, five_children):
    body = testapp.get("/api/v1/content/many", {"limit": "200"}).json

    assert len(body["items"]) == 5


@pytest.mark.parametrize("path", ["/", "/guides", "/guides/handbook", "/guides/empty"])
def test_page_url_asked_for_as_json_is_the_api_body(testapp, handbook_site, path):
    api = testapp.get("/api/v1/content" + ("" if path == "/" else path))

    as_json = testapp.get(path, headers={"Accept": "application/json"})

    assert as_json.content_type == "application/json"
    assert as_json.json == api.json
    assert "Accept" in as_json.headers.get("Vary", "")


def test_page_url_as_json_pages_like_the_api(testapp, five_children):
    api = testapp.get("/api/v1/content/many?limit=2").json

    as_json = testapp.get("/many?limit=2", headers={"Accept": "application/json"}).json

    assert as_json == api


@pytest.mark.parametrize("path", ["/", "/guides", "/guides/handbook"])
def test_html_page_also_varies_on_accept(testapp, handbook_site, path):
    response = testapp.get(path, headers={"Accept": "text/html"})

    assert response.content_type == "text/html"
    assert "Accept" in response.headers.get("Vary", "")


def test_missing_path_under_the_api_is_a_404_problem(testapp, handbook_site):
    response = testapp.get("/api/v1/content/guides/nothing-here", status="*")

    assert_problem(response, 404)


def test_missing_deep_path_under_the_api_is_a_404_problem(testapp, handbook_site):
    response = testapp.get("/api/v1/content/no/such/path", status="*")

    assert_problem(response, 404)


def test_unknown_api_url_is_a_404_problem(testapp, site_root):
    response = testapp.get("/api/v1/whatever", status="*")

    assert_problem(response, 404)


def test_missing_page_asked_for_as_json_is_a_404_problem(testapp, site_root):
    response = testapp.get("/nothing-here", headers={"Accept": "application/json"}, status="*")

    assert_problem(response, 404)


def test_api_before_initialisation_is_a_404_problem(testapp):
    response = testapp.get("/api/v1/content", status="*")

    body = assert_problem(response, 404)
    assert "charter-init" in body["detail"]


def test_writing_to_the_api_is_refused_as_a_problem(testapp, handbook_site):
    response = testapp.put_json("/api/v1/content/guides", {"title": "x"}, status=405)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD, POST, PATCH, DELETE"
    assert "content_json" not in response.text  # no internal view names leak


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json, text/html;q=0.1", "application/json"),
        ("text/html, application/json;q=0.1", "text/html"),
        ("*/*", "text/html"),
        (None, "text/html"),
    ],
)
@pytest.mark.parametrize("path", ["/", "/guide"])
def test_page_urls_weigh_the_accept_header(
    testapp, site_root, content, dbsession, accept, expected, path
):
    content.add_document(site_root, "guide", "Guide", "Some *text*.")
    dbsession.flush()
    headers = {"Accept": accept} if accept else {}

    response = testapp.get(path, headers=headers)

    assert response.content_type == expected
    assert response.headers["Vary"] == "Accept"
