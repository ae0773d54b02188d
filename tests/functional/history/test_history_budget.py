"""The query budget of a history page (issue 8): at most 3 queries, in the API and the web UI,
however long the history and however deep into it the page is."""

import io

import pytest
import transaction

from charter.content.registry import types_of
from charter.content.services import ContentService, Uploads
from charter.testing.content import reviewed_types

API = "/api/v1/content"
HISTORY_BUDGET = 3
# A web page of a node also reads its navigation tree (charter.web.navigation): one query.
NAVIGATION_TREE = 1


@pytest.fixture
def docs(site_root, content, charter_app, dbsession):
    """/docs holding /docs/long (60 revisions), /docs/short (1) and /docs/data.txt (3)."""
    docs = content.add_folder(site_root, "docs", "Docs")
    long = content.add_document(docs, "long", "Long", "Version 1")
    for number in range(2, 61):
        content.update(long, {"body": f"Version {number}"}, number - 1)
    content.add_document(docs, "short", "Short", "Only version")
    manager = transaction.TransactionManager(explicit=True)
    manager.begin()
    store = charter_app.registry["charter.blobs.store"]
    types = reviewed_types(types_of(charter_app.registry))
    files = ContentService(dbsession, types=types, uploads=Uploads(store, manager, 1 << 20))
    data = files.upload(docs, io.BytesIO(b"one"), "data.txt")
    files.replace(data, io.BytesIO(b"two"), None, 1)
    files.replace(data, io.BytesIO(b"three"), None, 2)
    manager.commit()  # only the blob store joined this transaction
    dbsession.flush()  # requests read through their own savepoint
    return docs


@pytest.mark.parametrize("interface", ["api", "html"])
def test_a_history_page_costs_at_most_3_queries_however_long_the_history(
    anonymous_app, testapp, bearer, staff_user, docs, query_recorder, interface
):
    if interface == "api":
        app, prefix, view, headers = anonymous_app, API, "@history", bearer(staff_user)
        budget = HISTORY_BUDGET
    else:
        app, prefix, view, headers = testapp, "", "@@history", {}
        budget = HISTORY_BUDGET + NAVIGATION_TREE
    app.get(f"{prefix}/docs/{view}", headers=headers)  # the caller's first use is recorded

    counts = {}
    for page in ("short", "long", "long?after=30&limit=5", "data.txt"):
        path, _, query = page.partition("?")
        with query_recorder.record() as queries:
            app.get(f"{prefix}/docs/{path}/{view}", params=query, headers=headers)
        counts[page] = len(queries)

    assert len(set(counts.values())) == 1, counts
    assert max(counts.values()) <= budget, counts
