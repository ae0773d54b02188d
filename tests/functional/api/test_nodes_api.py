"""``/api/v1/nodes/<uid>``: finding a node by its uid, wherever it has moved."""

import pytest
from sqlalchemy import select

from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.tree.models import Node

SITE = "http://example.com"
NODES = "/api/v1/nodes"
API = "/api/v1/content"


@pytest.fixture
def nodes(site_root, content, make_user, dbsession):
    """/docs/guide, /private (only the board may view it) and /public (anyone may)."""
    make_user("bo", groups=["board"])
    sharing = SharingService(dbsession)
    docs = content.add_folder(site_root, "docs", "Docs")
    guide = content.add_document(docs, "guide", "Guide", "# Guide")
    private = content.add_folder(site_root, "private", "Private")
    sharing.update(private, {"group:board": ["Reader"]}, inherit=False)
    public = content.add_folder(site_root, "public", "Public")
    sharing.update(public, {"system.Everyone": ["Reader"]})
    dbsession.flush()  # requests read through their own savepoint
    return {"docs": docs, "guide": guide, "private": private, "public": public}


def test_a_uid_is_a_303_to_the_node_and_following_it_gives_the_node(testapp, nodes):
    guide = nodes["guide"]

    response = testapp.get(f"{NODES}/{guide.uid}", status=303)
    followed = response.follow()

    assert response.headers["Location"] == f"{SITE}{API}/docs/guide"
    assert followed.json["uid"] == guide.uid
    assert followed.json["title"] == "Guide"


def test_the_root_is_found_by_its_uid(testapp, nodes, site_root):
    response = testapp.get(f"{NODES}/{site_root.uid}", status=303)

    assert response.headers["Location"] == f"{SITE}{API}"


def test_the_uid_follows_the_node_when_it_is_renamed(testapp, nodes, content, dbsession):
    content.rename(nodes["docs"], "documents")
    dbsession.flush()  # requests read through their own savepoint

    response = testapp.get(f"{NODES}/{nodes['guide'].uid}", status=303)

    assert response.headers["Location"] == f"{SITE}{API}/documents/guide"


def test_an_unknown_uid_and_one_the_caller_may_not_view_are_the_same_404(testapp, nodes):
    hidden = testapp.get(f"{NODES}/{nodes['private'].uid}", status=404)
    unknown = testapp.get(f"{NODES}/{'0' * 32}", status=404)

    hidden_problem = assert_problem(hidden, 404)
    unknown_problem = assert_problem(unknown, 404)
    assert "Location" not in hidden.headers
    assert hidden_problem["title"] == unknown_problem["title"] == "Not Found"
    assert hidden_problem["detail"].replace(nodes["private"].uid, "UID") == unknown_problem[
        "detail"
    ].replace("0" * 32, "UID")


def test_a_site_administrator_finds_every_node(admin_app, nodes):
    response = admin_app.get(f"{NODES}/{nodes['private'].uid}", status=303)

    assert response.headers["Location"] == f"{SITE}{API}/private"


def test_the_anonymous_find_only_what_everyone_may_view(anonymous_app, nodes):
    public = anonymous_app.get(f"{NODES}/{nodes['public'].uid}", status=303)
    private = anonymous_app.get(f"{NODES}/{nodes['private'].uid}", status=401)
    unknown = anonymous_app.get(f"{NODES}/{'0' * 32}", status=401)

    assert public.headers["Location"] == f"{SITE}{API}/public"
    assert assert_problem(private, 401) == assert_problem(unknown, 401)
    assert private.headers["WWW-Authenticate"] == 'Bearer realm="Charter"'


def test_finding_a_node_costs_two_queries(testapp, nodes, query_recorder):
    with query_recorder.record() as queries:
        testapp.get(f"{NODES}/{nodes['guide'].uid}", status=303)

    assert len(queries) == 2, queries


def test_other_methods_are_405(testapp, nodes, dbsession):
    response = testapp.delete(f"{NODES}/{nodes['guide'].uid}", status=405)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD"
    dbsession.expire_all()
    assert dbsession.scalar(select(Node.title).where(Node.uid == nodes["guide"].uid)) == "Guide"
