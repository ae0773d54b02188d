"""Moments at the edges of what the databases store: a token's expiry (issue 7).

MariaDB's DATETIME holds 1000-01-01 to 9999-12-31 (UTC here) and Python's
datetimes overflow near the year 1 and 9999 when an offset is applied: every
moment outside is a 400 naming the field, and nothing is stored.
"""

import pytest
from sqlalchemy import func, select

from charter.accounts.models import ApiToken
from charter.accounts.services import TokenService
from charter.testing.assertions import assert_problem

TOKENS = "/api/v1/me/tokens"


@pytest.fixture
def headers(make_user, dbsession):
    """The Authorization header of a read-write token of a new account."""
    _, text = TokenService(dbsession).create(make_user("tim"), "laptop", scope="read-write")
    dbsession.flush()  # requests read through their own savepoint
    return {"Authorization": f"Bearer {text}"}


def token_count(dbsession):
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(ApiToken))


@pytest.mark.parametrize(
    ("expires", "stored"),
    [
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999+00:00"),
        ("9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59+00:00"),
        ("9999-12-31T23:59:59+14:00", "9999-12-31T09:59:59+00:00"),
        ("9999-12-31T09:59:59-14:00", "9999-12-31T23:59:59+00:00"),
    ],
)
def test_the_latest_storable_expiries_are_kept(anonymous_app, headers, dbsession, expires, stored):
    body = anonymous_app.post_json(
        TOKENS, {"name": "far", "scope": "read", "expires": expires}, headers=headers, status=201
    ).json

    assert body["expires"] == stored
    assert anonymous_app.get(TOKENS, headers=headers).json["items"][0]["expires"] == stored


@pytest.mark.parametrize(
    ("expires", "problem"),
    [
        # Past Python's year 9999 once converted to UTC: an OverflowError before the fix.
        ("9999-12-31T23:59:59-14:00", "is after 9999-12-31T23:59:59.999999Z"),
        ("9999-12-31T10:00:00-14:00", "is after 9999-12-31T23:59:59.999999Z"),
        ("9999-12-31T23:59:59.999999-00:01", "is after 9999-12-31T23:59:59.999999Z"),
        # Before the year 1000 (past, but refused for the range first).
        ("1000-01-01T00:00:00+14:00", "is before 1000-01-01T00:00:00Z"),
        ("0999-12-31T23:59:59Z", "is before 1000-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00+14:00", "is before 1000-01-01T00:00:00Z"),
        ("0001-01-01T00:00:00-14:00", "is before 1000-01-01T00:00:00Z"),
        # Not ISO 8601 moments Python can hold at all.
        ("10000-01-01T00:00:00Z", "give an ISO 8601 time with its offset"),
        ("0000-01-01T00:00:00Z", "give an ISO 8601 time with its offset"),
        ("9999-12-31T23:59:59+24:00", "give an ISO 8601 time with its offset"),
    ],
)
def test_expiries_no_database_can_store_are_refused(
    anonymous_app, headers, dbsession, expires, problem
):
    before = token_count(dbsession)

    response = anonymous_app.post_json(
        TOKENS, {"name": "edge", "scope": "read", "expires": expires}, headers=headers, status=400
    )

    body = assert_problem(response, 400, "/expires")
    assert [error["pointer"] for error in body["errors"]] == ["/expires"]
    assert problem in body["errors"][0]["detail"]
    assert token_count(dbsession) == before


def test_the_earliest_storable_expiry_is_refused_only_for_being_past(
    anonymous_app, headers, dbsession
):
    response = anonymous_app.post_json(
        TOKENS,
        {"name": "old", "scope": "read", "expires": "1000-01-01T00:00:00Z"},
        headers=headers,
        status=400,
    )

    body = assert_problem(response, 400, "/expires")
    assert body["errors"][0]["detail"] == "the expiry must be in the future"
