"""Hostile input to the trash (charter.testing.strategies): a 4xx problem or success, never a
5xx, and a refused request changes nothing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from charter.input.numbers import whole_number
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing import strategies as hostile
from charter.trash.listing import FILTER_PARAMS
from charter.trash.models import TrashEntry
from charter.tree.models import Node

API = "/api/v1/content"
TRASH = "/api/v1/trash"


@pytest.fixture
def world(site_root, content, make_user, bearer, dbsession, anonymous_app):
    """A manager's token and the trash entry of /docs/guide; /docs/other took its name."""
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "x")
    content.add_folder(site_root, "archive", "Archive")
    manager = make_user("manager")
    SharingService(dbsession).update(site_root, {user_principal(manager.id): ["Manager"]})
    dbsession.flush()
    headers = bearer(manager)
    deleted = anonymous_app.delete(f"{API}/docs/guide", headers={**headers, "If-Match": '"1"'})
    entry_id = int(deleted.headers["Link"].split(">")[0].rsplit("/", 1)[1])
    return {"headers": headers, "entry": entry_id}


def state(dbsession):
    dbsession.expire_all()
    return (
        sorted(dbsession.scalars(select(Node.path))),
        dbsession.scalar(select(func.count()).select_from(TrashEntry)),
    )


@given(query=hostile.query_strings((*FILTER_PARAMS, "limit", "after")))
def test_hostile_listing_queries(anonymous_app, world, query):
    response = anonymous_app.get(f"{TRASH}?{query}", headers=world["headers"], expect_errors=True)
    assert response.status_int in (200, 400, 414), response
    if response.status_int != 200:
        assert response.content_type == "application/problem+json"


@given(body=hostile.json_bodies({"target": "/archive", "name": "guide"}))
def test_hostile_restore_bodies(anonymous_app, world, dbsession, body):
    before = state(dbsession)
    response = anonymous_app.post(
        f"{TRASH}/{world['entry']}/@restore",
        body,
        headers={**world["headers"], "Content-Type": "application/json"},
        expect_errors=True,
    )
    assert response.status_int < 500, response
    if response.status_int == 200:
        # Restored: put it back in the trash for the next example.
        anonymous_app.delete(
            f"{API}{response.json['path']}",
            headers={**world["headers"], "If-Match": f'"{response.json["version"]}"'},
        )
        world["entry"] = anonymous_app.get(TRASH, headers=world["headers"]).json["items"][0]["id"]
    else:
        assert response.content_type == "application/problem+json"
        assert state(dbsession) == before


@given(entry_id=st.one_of(hostile.number_texts(), hostile.path_segments()))
def test_hostile_entry_ids(anonymous_app, world, dbsession, entry_id):
    before = state(dbsession)
    for method in ("get", "delete", "post"):
        url = f"{TRASH}/{hostile.percent_encoded(entry_id)}"
        if method == "post":
            url += "/@restore"
        response = getattr(anonymous_app, method)(url, headers=world["headers"], status="*")
        assert response.status_int in (200, 204, 400, 404, 405), response
    if state(dbsession) != before:
        # Only the one real entry can change, and only when the text named it.
        assert whole_number(entry_id) == world["entry"]
