"""The query budgets of reading content: deep paths and large folders cost no more queries.

Budgets (issue 2): resolving a path of depth 1 or 20, with what the security
policy needs, takes at most 2 queries; a folder's page costs the same with 3
children as with 500, and at most 5 queries.
"""

import pytest

API = "/api/v1/content"
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}

# (how the page is asked for, URL prefix, headers): the JSON API, the HTML
# page, and the HTML page's URL asked for as JSON.
INTERFACES = [
    pytest.param(API, JSON, "application/json", id="api"),
    pytest.param("", HTML, "text/html", id="html"),
    pytest.param("", JSON, "application/json", id="accept-json"),
]
PATH_BUDGET = 2
FOLDER_BUDGET = 5
# An HTML page of a node also reads its navigation tree (charter.web.navigation): one query.
NAVIGATION_TREE = 1


def add_chain(content, parent, depth):
    """Folders f1/.../f<depth> below ``parent``; returns the deepest."""
    for level in range(1, depth + 1):
        parent = content.add_folder(parent, f"f{level}", f"Folder {level}")
    return parent


def add_children(content, folder, count):
    """``count`` documents in ``folder``, named d0, d1, ..."""
    for number in range(count):
        content.add_document(folder, f"d{number}", f"Document {number}", f"Text {number}.")


def queries_of(testapp, query_recorder, url, headers, status=200):
    """The response to GET ``url`` (which must answer ``status``) and the statements sent.

    Asked once before counting: a session's last use is written at most once a minute, so
    after a fixture that took longer (500 documents on a busy machine) the first request
    would also write it, and only that request's count would have the write.
    """
    testapp.get(url, headers=headers, status=status)
    with query_recorder.record() as queries:
        response = testapp.get(url, headers=headers, status=status)
    return response, queries


@pytest.fixture
def documents_at_depth_1_and_20(site_root, content, dbsession):
    """The paths of a document right below the root and of one twenty levels down."""
    content.add_document(site_root, "shallow", "Shallow", "# Near the top")
    deepest_folder = add_chain(content, site_root, 19)
    deep = content.add_document(deepest_folder, "deep", "Deep", "# Far down")
    dbsession.flush()  # requests read through their own savepoint
    assert deep.depth == 20
    return "/shallow", deep.path


@pytest.fixture
def folders_of_3_and_500(site_root, content, dbsession):
    """The paths of a folder of 3 documents and of a folder of 500."""
    few = content.add_folder(site_root, "few", "Few")
    add_children(content, few, 3)
    many = content.add_folder(site_root, "many", "Many")
    add_children(content, many, 500)
    dbsession.flush()  # requests read through their own savepoint
    return few.path, many.path


@pytest.mark.parametrize(("prefix", "headers", "content_type"), INTERFACES)
def test_a_document_at_depth_20_costs_what_one_at_depth_1_costs(
    testapp, query_recorder, documents_at_depth_1_and_20, prefix, headers, content_type
):
    shallow_path, deep_path = documents_at_depth_1_and_20

    shallow, shallow_queries = queries_of(testapp, query_recorder, prefix + shallow_path, headers)
    deep, deep_queries = queries_of(testapp, query_recorder, prefix + deep_path, headers)

    assert shallow.status_int == deep.status_int == 200
    assert shallow.content_type == deep.content_type == content_type
    assert "Far down" in deep.text
    assert len(deep_queries) == len(shallow_queries)
    tree = NAVIGATION_TREE if content_type == "text/html" else 0
    assert len(deep_queries) <= PATH_BUDGET + tree


@pytest.mark.parametrize(("prefix", "headers", "content_type"), INTERFACES)
def test_a_missing_path_is_a_404_within_the_path_budget(
    testapp, query_recorder, documents_at_depth_1_and_20, prefix, headers, content_type
):
    _, deep_path = documents_at_depth_1_and_20
    missing_path = deep_path.rsplit("/", 1)[0] + "/missing"

    response, queries = queries_of(
        testapp, query_recorder, prefix + missing_path, headers, status=404
    )

    assert response.content_type in {content_type, "application/problem+json"}
    # Plus the one look for a redirect from a path a node left (charter.history.redirects).
    assert len(queries) <= PATH_BUDGET + 1


@pytest.mark.parametrize(("prefix", "headers", "content_type"), INTERFACES)
def test_a_folder_of_500_costs_what_a_folder_of_3_costs(
    testapp, query_recorder, folders_of_3_and_500, prefix, headers, content_type
):
    few_path, many_path = folders_of_3_and_500

    few, few_queries = queries_of(testapp, query_recorder, prefix + few_path, headers)
    many, many_queries = queries_of(testapp, query_recorder, prefix + many_path, headers)

    assert few.status_int == many.status_int == 200
    assert few.content_type == many.content_type == content_type
    assert "Document 2" in few.text
    assert "Document 49" in many.text
    assert "Document 50" not in many.text
    assert len(many_queries) == len(few_queries)
    assert len(many_queries) <= FOLDER_BUDGET


def test_every_page_of_a_large_folder_costs_the_same(testapp, query_recorder, folders_of_3_and_500):
    _, many_path = folders_of_3_and_500
    first, first_queries = queries_of(testapp, query_recorder, API + many_path, JSON)
    counts = [len(first_queries)]
    names = [item["name"] for item in first.json["items"]]
    next_url = first.json["next"]

    while next_url is not None:
        page, queries = queries_of(testapp, query_recorder, next_url, JSON)
        counts.append(len(queries))
        names += [item["name"] for item in page.json["items"]]
        next_url = page.json["next"]

    assert len(counts) == 10
    assert set(counts) == {counts[0]}
    assert counts[0] <= FOLDER_BUDGET
    assert names == [f"d{number}" for number in range(500)]


@pytest.mark.parametrize("limit", ["1", "200"])
def test_the_page_size_does_not_change_the_cost(
    testapp, query_recorder, folders_of_3_and_500, limit
):
    few_path, many_path = folders_of_3_and_500

    _, few_queries = queries_of(testapp, query_recorder, f"{API}{few_path}?limit={limit}", JSON)
    many, many_queries = queries_of(
        testapp, query_recorder, f"{API}{many_path}?limit={limit}", JSON
    )

    assert len(many.json["items"]) == int(limit)
    assert len(many_queries) == len(few_queries)
    assert len(many_queries) <= FOLDER_BUDGET


def test_revalidating_a_document_costs_no_more_than_finding_it(
    testapp, query_recorder, documents_at_depth_1_and_20
):
    _, deep_path = documents_at_depth_1_and_20
    etag = testapp.get(API + deep_path, headers=JSON).headers["ETag"]

    response, queries = queries_of(
        testapp, query_recorder, API + deep_path, {**JSON, "If-None-Match": etag}, status=304
    )

    assert response.body == b""
    assert response.headers["ETag"] == etag
    assert len(queries) <= PATH_BUDGET
