"""A token's identity kept between requests, and every change to it counting at once.

Two applications built from the same settings on the same database stand for
two processes: each keeps identities of its own (charter.security.identity_cache).
What one of them, or a service outside both (as the CLI), changes must count
at the other's next request.
"""

import pytest
import webtest
from sqlalchemy import select

from charter import make_configurator
from charter.accounts.models import ApiToken
from charter.accounts.services import AccountService
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.identity_cache import identity_cache
from charter.security.sharing import SharingService

API = "/api/v1/content"


@pytest.fixture(scope="module")
def second_app(charter_settings):
    """Another application on the same database: another process, with a cache of its own."""
    config = make_configurator(charter_settings, environ={})
    yield config.make_wsgi_app()
    config.registry["charter.db.engine"].dispose()


def client(app, db_connection):
    return webtest.TestApp(
        app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )


@pytest.fixture
def apps(charter_app, second_app, db_connection):
    """(first, second): WebTest clients of the two applications."""
    return client(charter_app, db_connection), client(second_app, db_connection)


@pytest.fixture
def ann(make_user):
    return make_user("ann", "Ann Lee", groups=["staff"])


@pytest.fixture
def guide(site_root, content, dbsession, ann):
    """/docs/guide, shared with group:staff as Reader (and nobody else)."""
    docs = content.add_folder(site_root, "docs", "Docs")
    content.add_document(docs, "guide", "Guide", "# Guide")
    SharingService(dbsession).update(docs, {"group:staff": ["Reader"]}, inherit=False)
    dbsession.flush()
    return f"{API}/docs/guide"


def warmed(apps, guide, headers):
    """Each application has served (and kept) the token's identity."""
    for app in apps:
        app.get(guide, headers=headers)
        app.get(guide, headers=headers)


def test_a_kept_identity_spares_the_identity_query(apps, guide, ann, bearer, query_recorder):
    headers = bearer(ann, scope="read")
    first, _ = apps
    first.get(guide, headers=headers)

    with query_recorder.record() as queries:
        response = first.get(guide, headers=headers)

    assert response.json["title"] == "Guide"
    assert len(queries) == 1, queries
    assert "identity_generation" in queries[0], "the generation is read with the lineage"
    assert "api_tokens" not in queries[0]


def test_a_token_revoked_through_one_process_is_refused_by_the_other_at_once(
    apps, guide, ann, bearer, dbsession
):
    headers = bearer(ann)
    first, second = apps
    warmed(apps, guide, headers)
    token_id = dbsession.scalars(select(ApiToken.id).where(ApiToken.user_id == ann.id)).one()

    second.delete(f"/api/v1/me/tokens/{token_id}", headers=headers, status=204)

    for app in (first, second):
        assert app.get(guide, headers=headers, status=401).status_int == 401


def test_a_deactivated_account_is_refused_at_once(apps, guide, ann, bearer, dbsession):
    headers = bearer(ann, scope="read")
    warmed(apps, guide, headers)

    AccountService(dbsession).deactivate(ann)
    dbsession.flush()

    for app in apps:
        app.get(guide, headers=headers, status=401)


def test_leaving_a_group_takes_its_rights_at_once(apps, guide, ann, bearer, dbsession):
    headers = bearer(ann, scope="read")
    warmed(apps, guide, headers)
    accounts = AccountService(dbsession)

    accounts.update_group(accounts.get_group("staff"), members=[])
    dbsession.flush()

    for app in apps:
        app.get(guide, headers=headers, status=404)


def test_a_site_wide_role_taken_away_counts_at_once(apps, guide, make_user, bearer, dbsession):
    bo = make_user("bo", global_roles=["Reader"])
    headers = bearer(bo, scope="read")
    warmed(apps, guide, headers)

    SharingService(dbsession).set_global_roles(f"user:{bo.id}", [])
    dbsession.flush()

    for app in apps:
        app.get(guide, headers=headers, status=404)


def test_a_password_change_loads_the_identity_again(
    apps, guide, ann, bearer, dbsession, query_recorder
):
    headers = bearer(ann, scope="read")
    first, _ = apps
    warmed(apps, guide, headers)

    AccountService(dbsession).set_password(ann, "a new password for ann 2026")
    dbsession.flush()
    with query_recorder.record() as queries:
        first.get(guide, headers=headers)

    assert any("api_tokens" in query for query in queries)


def test_the_cache_can_be_turned_off(charter_settings, db_connection, guide, ann, bearer):
    config = make_configurator(
        {**charter_settings, "charter.identity_cache.seconds": "0"}, environ={}
    )
    app = config.make_wsgi_app()
    try:
        assert identity_cache(app.registry) is None
        headers = bearer(ann, scope="read")
        client(app, db_connection).get(guide, headers=headers, status=200)
    finally:
        config.registry["charter.db.engine"].dispose()
