"""``/api/v1/me`` and ``/api/v1/me/tokens``: the caller's own account and API tokens."""

import datetime as dt

import pytest
from sqlalchemy import select

from charter.accounts.models import ApiToken
from charter.accounts.passwords import verify_password
from charter.accounts.services import TokenService
from charter.accounts.tokens import token_digest
from charter.audit.models import AuditEntry
from charter.db.meta import utcnow
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.assertions import assert_problem
from charter.testing.plugin import TEST_PASSWORD

SITE = "http://example.com"
ME = "/api/v1/me"
TOKENS = "/api/v1/me/tokens"
NEW_PASSWORD = "a much longer new password"


@pytest.fixture
def ann(make_user):
    """An account in the group ``reviewers``."""
    return make_user("ann", "Ann Archer", groups=["reviewers"])


@pytest.fixture
def reviewers_review_everywhere(ann, dbsession):
    """The group ``reviewers`` holds the site-wide Reviewer role."""
    SharingService(dbsession).set_global_roles("group:reviewers", ["Reviewer"])
    dbsession.flush()  # requests read through their own savepoint


@pytest.fixture
def anns_token(ann, dbsession):
    """Ann's read-write token: (row, Authorization header)."""
    token, text = TokenService(dbsession).create(ann, "laptop", scope="read-write")
    dbsession.flush()  # requests read through their own savepoint
    return token, {"Authorization": f"Bearer {text}"}


def iso(moment):
    return None if moment is None else moment.isoformat()


def me_body(dbsession, user, global_roles=(), token=None):
    """What ``/api/v1/me`` should answer ``user``, from the database."""
    dbsession.expire_all()
    return {
        "@id": f"{SITE}/api/v1/users/{user.id}",
        "id": user.id,
        "login": user.login,
        "email": user.email,
        "full_name": user.full_name,
        "active": user.active,
        "created": iso(user.created),
        "last_login": iso(user.last_login),
        "groups": [group.name for group in user.groups],
        "global_roles": list(global_roles),
        "token": token,
    }


def token_body(dbsession, token):
    """What a token's listing should show, from the database."""
    dbsession.expire_all()
    return {
        "@id": f"{SITE}{TOKENS}/{token.id}",
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "created": iso(token.created),
        "expires": iso(token.expires),
        "last_used": iso(token.last_used),
        "revoked": iso(token.revoked),
    }


def actions(dbsession, action):
    """The audit entries of ``action``, oldest first."""
    dbsession.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(dbsession.scalars(query))


def csrf_header(app):
    """The X-CSRF-Token header for ``app``'s session, read from a page's logout form."""
    page = app.get("/", headers={"Accept": "text/html"})
    return {"X-CSRF-Token": page.html.select_one("#user-menu input[name=csrf_token]")["value"]}


def tokens_of(dbsession, user):
    dbsession.expire_all()
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    return list(dbsession.scalars(query))


# -- me -----------------------------------------------------------------------


def test_me_with_a_token_shows_the_account_its_site_roles_and_the_token(
    anonymous_app, ann, anns_token, reviewers_review_everywhere, dbsession
):
    token, headers = anns_token

    response = anonymous_app.get(ME, headers=headers)

    assert response.json == me_body(
        dbsession, ann, ["Reviewer"], token={"id": token.id, "scope": "read-write"}
    )
    assert response.json["groups"] == ["reviewers"]


def test_me_with_the_session_cookie_has_no_token(testapp, staff_user, dbsession):
    response = testapp.get(ME)

    assert response.json == me_body(dbsession, staff_user)


def test_me_changes_email_and_name(anonymous_app, ann, anns_token, dbsession):
    _, headers = anns_token

    response = anonymous_app.patch_json(
        ME, {"email": "ann@archer.example", "full_name": "Ann Archer-Bow"}, headers=headers
    )

    assert response.json["email"] == "ann@archer.example"
    assert response.json["full_name"] == "Ann Archer-Bow"
    dbsession.expire_all()
    assert (ann.email, ann.full_name) == ("ann@archer.example", "Ann Archer-Bow")
    [entry] = actions(dbsession, "user.updated")
    assert (entry.actor_id, entry.target) == (ann.id, user_principal(ann.id))


def test_me_changes_the_password_and_the_cookie_session_goes_on(
    testapp, staff_user, site_root, dbsession
):
    headers = csrf_header(testapp)

    (
        testapp.patch_json(
            ME, {"password": NEW_PASSWORD, "current_password": TEST_PASSWORD}, headers=headers
        )
    )

    dbsession.expire_all()
    assert verify_password(staff_user.password_hash, NEW_PASSWORD)
    [entry] = actions(dbsession, "user.password_set")
    assert entry.actor_id == staff_user.id
    assert testapp.get(ME).json["login"] == "staff"


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"password": NEW_PASSWORD}, "/current_password"),
        ({"password": NEW_PASSWORD, "current_password": "not it"}, "/current_password"),
        ({"password": "short", "current_password": TEST_PASSWORD}, "/password"),
        ({"email": "me@example.com", "active": False}, "/active"),
        ({"email": "me@example.com", "global_roles": ["Administrator"]}, "/global_roles"),
        ({"email": 12}, "/email"),
    ],
)
def test_a_bad_change_to_me_changes_nothing(
    anonymous_app, ann, anns_token, dbsession, payload, pointer
):
    _, headers = anns_token

    response = anonymous_app.patch_json(ME, payload, headers=headers, status=400)

    assert_problem(response, 400, pointer)
    dbsession.expire_all()
    assert (ann.email, ann.active) == ("ann@example.com", True)
    assert verify_password(ann.password_hash, TEST_PASSWORD)
    assert actions(dbsession, "user.updated") == []
    assert actions(dbsession, "global_roles.changed") == []


# -- tokens -------------------------------------------------------------------


def test_tokens_are_listed_newest_first_without_their_secret(
    anonymous_app, ann, anns_token, make_user, dbsession
):
    _, headers = anns_token
    service = TokenService(dbsession)
    old, _ = service.create(ann, "old script", scope="read")
    service.revoke(ann, old.id)
    service.create(make_user("other"), "not ann's")
    dbsession.flush()  # requests read through their own savepoint

    response = anonymous_app.get(TOKENS, headers=headers)

    laptop, script = tokens_of(dbsession, ann)
    assert response.json == {"items": [token_body(dbsession, token) for token in (script, laptop)]}
    assert response.json["items"][0]["revoked"] is not None
    # This request itself used the laptop token.
    assert response.json["items"][1]["last_used"] is not None


def test_a_new_token_is_shown_once_and_works(anonymous_app, ann, anns_token, dbsession):
    _, headers = anns_token
    expires = (utcnow() + dt.timedelta(days=30)).replace(microsecond=0)

    response = anonymous_app.post_json(
        TOKENS,
        {"name": "CI job", "scope": "read", "expires": expires.isoformat()},
        headers=headers,
        status=201,
    )

    body = response.json
    new = tokens_of(dbsession, ann)[-1]
    assert response.headers["Location"] == f"{SITE}{TOKENS}/{new.id}"
    assert response.headers["Cache-Control"] == "no-store"
    assert body == {**token_body(dbsession, new), "token": body["token"]}
    assert (body["name"], body["scope"], body["expires"]) == ("CI job", "read", expires.isoformat())
    assert body["token"].startswith(body["prefix"])
    assert new.token_hash == token_digest(body["token"])
    assert new.token_hash not in response.text
    [entry] = [e for e in actions(dbsession, "token.created") if e.actor_id is not None]
    assert (entry.actor_id, entry.details["token_id"], entry.details["scope"]) == (
        ann.id,
        new.id,
        "read",
    )
    new_headers = {"Authorization": f"Bearer {body['token']}"}
    me = anonymous_app.get(ME, headers=new_headers).json
    assert me["token"] == {"id": new.id, "scope": "read"}
    assert "token" not in anonymous_app.get(f"{TOKENS}/{new.id}", headers=headers).json


def test_expires_takes_any_utc_offset_and_null(anonymous_app, anns_token):
    _, headers = anns_token

    with_offset = anonymous_app.post_json(
        TOKENS,
        {"name": "a", "scope": "read", "expires": "2099-06-01T12:00:00+02:00"},
        headers=headers,
        status=201,
    ).json
    without = anonymous_app.post_json(
        TOKENS, {"name": "b", "scope": "read-write", "expires": None}, headers=headers, status=201
    ).json

    assert with_offset["expires"] == "2099-06-01T10:00:00+00:00"
    assert without["expires"] is None


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"scope": "read"}, "/name"),
        ({"name": "x"}, "/scope"),
        ({"name": "", "scope": "read"}, "/name"),
        ({"name": "x", "scope": "write"}, "/scope"),
        ({"name": "x", "scope": "read", "expires": "next week"}, "/expires"),
        ({"name": "x", "scope": "read", "expires": "2099-01-01T00:00:00"}, "/expires"),
        ({"name": "x", "scope": "read", "expires": "2001-01-01T00:00:00Z"}, "/expires"),
        ({"name": "x", "scope": "read", "expires": 4102444800}, "/expires"),
        ({"name": ["x"], "scope": "read"}, "/name"),
        ({"name": "x", "scope": "read", "user_id": 1}, "/user_id"),
    ],
)
def test_a_bad_new_token_is_refused_and_none_is_made(
    anonymous_app, ann, anns_token, dbsession, payload, pointer
):
    _, headers = anns_token

    response = anonymous_app.post_json(TOKENS, payload, headers=headers, status=400)

    assert_problem(response, 400, pointer)
    assert len(tokens_of(dbsession, ann)) == 1


def test_one_token_can_be_read(anonymous_app, anns_token, dbsession):
    token, headers = anns_token

    response = anonymous_app.get(f"{TOKENS}/{token.id}", headers=headers)

    assert response.json == token_body(dbsession, token)


def test_revoking_a_token_stops_it_at_once(anonymous_app, ann, anns_token, dbsession):
    token, headers = anns_token
    other, other_text = TokenService(dbsession).create(ann, "other", scope="read-write")
    dbsession.flush()  # requests read through their own savepoint

    response = anonymous_app.delete(f"{TOKENS}/{other.id}", headers=headers, status=204)

    assert response.body == b""
    dbsession.expire_all()
    assert other.revoked is not None
    assert token.revoked is None
    [entry] = actions(dbsession, "token.revoked")
    assert (entry.actor_id, entry.details["token_id"]) == (ann.id, other.id)
    revoked = anonymous_app.get(ME, headers={"Authorization": f"Bearer {other_text}"}, status=401)
    assert_problem(revoked, 401)
    assert (anonymous_app.get(f"{TOKENS}/{other.id}", headers=headers)).json["revoked"] == iso(
        other.revoked
    )


def test_a_token_can_revoke_itself(anonymous_app, anns_token):
    token, headers = anns_token

    anonymous_app.delete(f"{TOKENS}/{token.id}", headers=headers, status=204)

    assert_problem(anonymous_app.get(ME, headers=headers, status=401), 401)


def test_someone_elses_token_is_404_and_keeps_working(
    anonymous_app, anns_token, make_user, dbsession
):
    _, headers = anns_token
    bob = make_user("bob")
    bobs, bobs_text = TokenService(dbsession).create(bob, "bob's", scope="read")
    dbsession.flush()  # requests read through their own savepoint

    assert_problem(anonymous_app.get(f"{TOKENS}/{bobs.id}", headers=headers, status=404), 404)
    assert_problem(anonymous_app.delete(f"{TOKENS}/{bobs.id}", headers=headers, status=404), 404)

    dbsession.expire_all()
    assert bobs.revoked is None
    anonymous_app.get(ME, headers={"Authorization": f"Bearer {bobs_text}"}, status=200)


def test_other_methods_are_405_with_allow(anonymous_app, anns_token):
    token, headers = anns_token

    me = anonymous_app.post_json(ME, {}, headers=headers, status=405)
    one = anonymous_app.patch_json(f"{TOKENS}/{token.id}", {}, headers=headers, status=405)

    assert me.headers["Allow"] == "GET, HEAD, PATCH"
    assert one.headers["Allow"] == "GET, HEAD, DELETE"
