"""``Idempotency-Key`` on API writes: replay, refusal of reuse, scope, bad keys."""

import datetime as dt
import json

from sqlalchemy import func, select, update

from charter.changes.models import IdempotencyKey
from charter.testing.assertions import assert_problem
from charter.tree.models import Node
from tests.functional.changes.conftest import API

NEW_DOC = {"@type": "Document", "name": "memo", "title": "Memo"}
# Named from its title: memo, then memo-2.
NO_NAME = {"@type": "Document", "title": "Memo"}


def count_nodes(dbsession, path):
    return dbsession.scalar(select(func.count()).select_from(Node).where(Node.path == path))


def test_a_retry_with_the_same_key_and_body_replays_the_response_byte_for_byte(
    anonymous_app, as_editor, dbsession, site
):
    headers = {**as_editor, "Idempotency-Key": "order-1"}
    first = anonymous_app.post_json(f"{API}/docs", NEW_DOC, headers=headers, status=201)
    again = anonymous_app.post_json(f"{API}/docs", NEW_DOC, headers=headers, status=201)

    assert again.body == first.body
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    # The work was done once: no memo-2.
    assert count_nodes(dbsession, "/docs/memo") == 1
    assert count_nodes(dbsession, "/docs/memo-2") == 0


def test_the_same_key_with_another_body_is_422(anonymous_app, as_editor, dbsession, site):
    headers = {**as_editor, "Idempotency-Key": "order-2"}
    anonymous_app.post_json(f"{API}/docs", NEW_DOC, headers=headers, status=201)

    response = anonymous_app.post_json(
        f"{API}/docs", {**NEW_DOC, "title": "Other"}, headers=headers, status=422
    )

    assert_problem(response, 422)
    assert response.json["type"] == "urn:charter:problem:idempotency-key-reused"
    assert count_nodes(dbsession, "/docs/memo-2") == 0


def test_the_same_key_on_a_patch_replays_without_a_second_change(
    anonymous_app, as_editor, dbsession, site
):
    headers = {**as_editor, "Idempotency-Key": "edit-1", "If-Match": '"1"'}
    first = anonymous_app.patch_json(f"{API}/docs/guide", {"title": "G2"}, headers=headers)
    again = anonymous_app.patch_json(f"{API}/docs/guide", {"title": "G2"}, headers=headers)

    assert again.status_int == 200
    assert again.body == first.body
    guide = dbsession.scalars(select(Node).where(Node.path == "/docs/guide")).one()
    dbsession.refresh(guide)
    assert guide.version == 2


def test_keys_are_per_caller(anonymous_app, as_editor, bearer, editor, dbsession, site):
    other = bearer(editor)
    anonymous_app.post_json(
        f"{API}/docs", NO_NAME, headers={**as_editor, "Idempotency-Key": "k"}, status=201
    )
    response = anonymous_app.post_json(
        f"{API}/docs", NO_NAME, headers={**other, "Idempotency-Key": "k"}, status=201
    )

    assert "Idempotent-Replayed" not in response.headers
    assert response.json["path"] == "/docs/memo-2"


def test_a_failed_request_keeps_no_response_and_its_retry_runs_again(
    anonymous_app, as_editor, dbsession, site
):
    headers = {**as_editor, "Idempotency-Key": "retry-me"}
    anonymous_app.post_json(
        f"{API}/docs", {"@type": "Nope", "title": "X"}, headers=headers, status=400
    )
    assert dbsession.scalar(select(func.count()).select_from(IdempotencyKey)) == 0
    anonymous_app.post_json(f"{API}/docs", NEW_DOC, headers=headers, status=201)


def test_a_key_in_flight_is_409_with_retry_after(anonymous_app, as_editor, editor, dbsession, site):
    # A claim as a concurrent request leaves it (tests/concurrency races real ones).
    from pyramid.request import Request

    from charter.accounts.models import ApiToken
    from charter.changes.idempotency import fingerprint

    body = json.dumps(NO_NAME).encode()
    digest = fingerprint(
        Request.blank(f"{API}/docs", method="POST", body=body, content_type="application/json")
    )
    token_id = dbsession.scalars(select(ApiToken.id).where(ApiToken.user_id == editor.id)).one()
    now = dt.datetime.now(dt.UTC)
    dbsession.add(
        IdempotencyKey(
            scope=f"token:{token_id}",
            key="busy",
            fingerprint=digest,
            claim="other",
            locked_until=now + dt.timedelta(minutes=1),
            created=now,
            expires=now + dt.timedelta(hours=1),
        )
    )
    dbsession.flush()
    headers = {**as_editor, "Idempotency-Key": "busy"}

    busy = anonymous_app.post(
        f"{API}/docs", body, headers=headers, content_type="application/json", status=409
    )
    other = anonymous_app.post_json(f"{API}/docs", NEW_DOC, headers=headers, status=422)

    assert_problem(busy, 409)
    assert busy.json["type"] == "urn:charter:problem:idempotency-key-in-use"
    assert busy.headers["Retry-After"] == "1"
    assert other.json["type"] == "urn:charter:problem:idempotency-key-reused"
    assert count_nodes(dbsession, "/docs/memo") == 0


def test_an_expired_key_runs_the_request_again(anonymous_app, as_editor, dbsession, site):
    headers = {**as_editor, "Idempotency-Key": "old"}
    anonymous_app.post_json(f"{API}/docs", NO_NAME, headers=headers, status=201)
    dbsession.execute(
        update(IdempotencyKey).values(expires=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    )
    dbsession.flush()

    again = anonymous_app.post_json(f"{API}/docs", NO_NAME, headers=headers, status=201)

    assert "Idempotent-Replayed" not in again.headers
    assert again.json["path"] == "/docs/memo-2"


def test_a_key_over_255_characters_is_400(anonymous_app, as_editor, site):
    response = anonymous_app.post_json(
        f"{API}/docs", NEW_DOC, headers={**as_editor, "Idempotency-Key": "k" * 256}, status=400
    )
    assert response.json["type"] == "urn:charter:problem:invalid-idempotency-key"
    anonymous_app.post_json(
        f"{API}/docs", NEW_DOC, headers={**as_editor, "Idempotency-Key": "k" * 255}, status=201
    )


def test_an_empty_or_non_ascii_key_is_400(anonymous_app, as_editor, site):
    for key in ("", "caf\u00e9"):
        anonymous_app.post_json(
            f"{API}/docs",
            NEW_DOC,
            headers={**as_editor, "Idempotency-Key": key.encode("utf-8").decode("latin-1")},
            status=400,
        )


def test_reads_ignore_the_key(anonymous_app, as_editor, site):
    headers = {**as_editor, "Idempotency-Key": "r"}
    first = anonymous_app.get(f"{API}/docs", headers=headers)
    assert "Idempotent-Replayed" not in first.headers
