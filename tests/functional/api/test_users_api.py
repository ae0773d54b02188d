"""``/api/v1/users``: administrators manage accounts; a person reads and updates their own."""

import pytest
from sqlalchemy import func, select

from charter.accounts.models import User
from charter.accounts.passwords import verify_password
from charter.audit.models import AuditEntry
from charter.security.models import GlobalRole
from charter.security.principals import user_principal
from charter.testing.assertions import assert_problem
from charter.testing.plugin import TEST_PASSWORD

SITE = "http://example.com"
USERS = "/api/v1/users"
NEW_PASSWORD = "a much longer new password"


@pytest.fixture
def admin(admin_user, bearer):
    """A read-write token of the site administrator."""
    return bearer(admin_user)


@pytest.fixture
def ann(make_user):
    """An ordinary account in the group ``staff``."""
    return make_user("ann", "Ann Archer", groups=["staff"])


def iso(moment):
    return None if moment is None else moment.isoformat()


def user_body(dbsession, user, global_roles=()):
    """The JSON an account should have, from what the database holds now."""
    dbsession.expire_all()
    return {
        "@id": f"{SITE}{USERS}/{user.id}",
        "id": user.id,
        "login": user.login,
        "email": user.email,
        "full_name": user.full_name,
        "active": user.active,
        "created": iso(user.created),
        "last_login": iso(user.last_login),
        "groups": [group.name for group in user.groups],
        "global_roles": list(global_roles),
    }


def actions(dbsession, action):
    """The audit entries of ``action``, oldest first."""
    dbsession.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(dbsession.scalars(query))


def count_users(dbsession):
    return dbsession.scalar(select(func.count()).select_from(User))


# -- listing ------------------------------------------------------------------


def test_admin_lists_accounts_with_groups_and_site_roles(
    anonymous_app, admin, admin_user, ann, dbsession
):
    response = anonymous_app.get(USERS, headers=admin)

    assert response.content_type == "application/json"
    assert response.json == {
        "items": [
            user_body(dbsession, admin_user, ["Administrator"]),
            user_body(dbsession, ann),
        ]
    }
    assert response.json["items"][1]["groups"] == ["staff"]


@pytest.mark.parametrize(
    ("text", "logins"),
    [
        ("ann", ["ann"]),
        ("ARCHER", ["ann"]),  # the full name, whatever the case
        ("admin@example", ["admin"]),  # the email
        ("nobody", []),
        ("", ["admin", "ann"]),
    ],
)
def test_q_keeps_accounts_whose_login_name_or_email_contain_it(
    anonymous_app, admin, ann, text, logins
):
    body = anonymous_app.get(USERS, {"q": text}, headers=admin).json

    assert [item["login"] for item in body["items"]] == logins


# -- creating -----------------------------------------------------------------


def test_admin_creates_an_account(anonymous_app, admin, admin_user, dbsession):
    response = anonymous_app.post_json(
        USERS,
        {
            "login": "Bob",
            "email": "bob@example.com",
            "full_name": "Bob Baker",
            "password": TEST_PASSWORD,
        },
        headers=admin,
        status=201,
    )

    bob = dbsession.scalars(select(User).where(User.login == "bob")).one()
    assert response.headers["Location"] == f"{SITE}{USERS}/{bob.id}"
    assert response.json == user_body(dbsession, bob)
    assert response.json["login"] == "bob"
    assert response.json["active"] is True
    assert response.json["last_login"] is None
    assert verify_password(bob.password_hash, TEST_PASSWORD)
    [entry] = actions(dbsession, "user.created")
    assert (entry.actor_id, entry.target) == (admin_user.id, user_principal(bob.id))


def test_full_name_is_optional(anonymous_app, admin, dbsession):
    body = anonymous_app.post_json(
        USERS,
        {"login": "cy", "email": "cy@example.com", "password": TEST_PASSWORD},
        headers=admin,
        status=201,
    ).json

    assert body["full_name"] == ""


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"email": "x@example.com", "password": TEST_PASSWORD}, "/login"),
        ({"login": "x", "password": TEST_PASSWORD}, "/email"),
        ({"login": "x", "email": "x@example.com"}, "/password"),
        ({"login": 7, "email": "x@example.com", "password": TEST_PASSWORD}, "/login"),
        ({"login": "x", "email": None, "password": TEST_PASSWORD}, "/email"),
        ({"login": "x", "email": "x@example.com", "password": ["a"]}, "/password"),
        (
            {"login": "x", "email": "x@example.com", "password": TEST_PASSWORD, "admin": True},
            "/admin",
        ),
        ({"login": "x", "email": "x@example.com", "password": TEST_PASSWORD, "a/b": 1}, "/a~1b"),
        ({"login": "not ok", "email": "x@example.com", "password": TEST_PASSWORD}, "/login"),
        ({"login": "x", "email": "not-an-address", "password": TEST_PASSWORD}, "/email"),
        ({"login": "x", "email": "x@example.com", "password": "short"}, "/password"),
    ],
)
def test_bad_new_account_is_refused_naming_the_field(
    anonymous_app, admin, dbsession, payload, pointer
):
    before = count_users(dbsession)

    response = anonymous_app.post_json(USERS, payload, headers=admin, status=400)

    body = assert_problem(response, 400, pointer)
    assert body["type"] == "urn:charter:problem:invalid-input"
    assert count_users(dbsession) == before
    assert actions(dbsession, "user.created") == []


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"login=bob", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not valid UTF-8"),
        (b'["bob"]', "must be a JSON object"),
        (b"null", "must be a JSON object"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_400_problem(
    anonymous_app, admin, dbsession, raw, detail
):
    before = count_users(dbsession)

    response = anonymous_app.post(
        USERS, raw, headers={**admin, "Content-Type": "application/json"}, status=400
    )

    body = assert_problem(response, 400)
    assert detail in body["detail"]
    assert count_users(dbsession) == before


def test_a_taken_login_is_a_conflict(anonymous_app, admin, ann, dbsession):
    before = count_users(dbsession)

    response = anonymous_app.post_json(
        USERS,
        {"login": "ANN", "email": "other@example.com", "password": TEST_PASSWORD},
        headers=admin,
        status=409,
    )

    assert assert_problem(response, 409)["type"] == "urn:charter:problem:conflict"
    assert count_users(dbsession) == before


# -- reading ------------------------------------------------------------------


def test_admin_reads_any_account(anonymous_app, admin, ann, dbsession):
    response = anonymous_app.get(f"{USERS}/{ann.id}", headers=admin)

    assert response.json == user_body(dbsession, ann)


def test_a_person_reads_their_own_account(anonymous_app, bearer, ann, dbsession):
    response = anonymous_app.get(f"{USERS}/{ann.id}", headers=bearer(ann, "read"))

    assert response.json == user_body(dbsession, ann)


def test_a_person_may_not_read_someone_elses_account(anonymous_app, bearer, ann, admin_user):
    response = anonymous_app.get(f"{USERS}/{admin_user.id}", headers=bearer(ann), status=403)

    assert_problem(response, 403)


def test_an_unknown_account_is_404_for_an_admin(anonymous_app, admin, ann):
    response = anonymous_app.get(f"{USERS}/{ann.id + 1000}", headers=admin, status=404)

    assert_problem(response, 404)


def test_an_id_too_large_for_the_database_is_404(anonymous_app, admin):
    response = anonymous_app.get(f"{USERS}/{'9' * 30}", headers=admin, status=404)

    assert_problem(response, 404)


# -- changing -----------------------------------------------------------------


def test_admin_changes_email_name_active_and_site_roles(
    anonymous_app, admin, admin_user, ann, dbsession
):
    response = anonymous_app.patch_json(
        f"{USERS}/{ann.id}",
        {
            "email": "ann.archer@example.com",
            "full_name": "Ann B. Archer",
            "active": False,
            "global_roles": ["Reviewer", "Reader"],
        },
        headers=admin,
    )

    assert response.json == user_body(dbsession, ann, ["Reader", "Reviewer"])
    assert (ann.email, ann.full_name, ann.active) == (
        "ann.archer@example.com",
        "Ann B. Archer",
        False,
    )
    [updated] = actions(dbsession, "user.updated")
    assert updated.actor_id == admin_user.id
    assert updated.details["changes"] == {
        "email": "ann.archer@example.com",
        "full_name": "Ann B. Archer",
        "active": False,
    }
    [roles] = [e for e in actions(dbsession, "global_roles.changed") if e.actor_id is not None]
    assert (roles.actor_id, roles.target) == (admin_user.id, user_principal(ann.id))
    assert roles.details == {"before": [], "after": ["Reader", "Reviewer"]}


def test_admin_removes_site_roles_with_an_empty_list(anonymous_app, admin, make_user, dbsession):
    reviewer = make_user("rita", global_roles=["Reviewer"])

    body = anonymous_app.patch_json(
        f"{USERS}/{reviewer.id}", {"global_roles": []}, headers=admin
    ).json

    assert body["global_roles"] == []
    principal = user_principal(reviewer.id)
    assert (
        dbsession.scalars(select(GlobalRole).where(GlobalRole.principal == principal)).all() == []
    )


def test_admin_sets_a_password_without_knowing_the_old_one(
    anonymous_app, admin, admin_user, ann, dbsession
):
    (anonymous_app.patch_json(f"{USERS}/{ann.id}", {"password": NEW_PASSWORD}, headers=admin))

    dbsession.expire_all()
    assert verify_password(ann.password_hash, NEW_PASSWORD)
    [entry] = actions(dbsession, "user.password_set")
    assert (entry.actor_id, entry.target) == (admin_user.id, user_principal(ann.id))


def test_a_person_changes_their_own_email_and_password(anonymous_app, bearer, ann, dbsession):
    response = anonymous_app.patch_json(
        f"{USERS}/{ann.id}",
        {
            "email": "me@example.com",
            "password": NEW_PASSWORD,
            "current_password": TEST_PASSWORD,
        },
        headers=bearer(ann),
    )

    assert response.json == user_body(dbsession, ann)
    assert ann.email == "me@example.com"
    assert verify_password(ann.password_hash, NEW_PASSWORD)


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"email": "me@example.com", "password": NEW_PASSWORD}, "/current_password"),
        (
            {"email": "me@example.com", "password": NEW_PASSWORD, "current_password": "wrong!"},
            "/current_password",
        ),
        ({"email": "me@example.com", "current_password": TEST_PASSWORD}, "/current_password"),
        (
            {"email": "me@example.com", "password": "short", "current_password": TEST_PASSWORD},
            "/password",
        ),
        ({"email": "not-an-address"}, "/email"),
        ({"email": "me@example.com", "full_name": None}, "/full_name"),
        ({"email": "me@example.com", "login": "someone"}, "/login"),
    ],
)
def test_a_bad_change_of_ones_own_account_changes_nothing(
    anonymous_app, bearer, ann, dbsession, payload, pointer
):
    response = anonymous_app.patch_json(
        f"{USERS}/{ann.id}", payload, headers=bearer(ann), status=400
    )

    assert_problem(response, 400, pointer)
    dbsession.expire_all()
    assert ann.email == "ann@example.com"
    assert verify_password(ann.password_hash, TEST_PASSWORD)
    assert actions(dbsession, "user.updated") == []


@pytest.mark.parametrize(
    ("payload", "pointer"),
    [
        ({"active": "no"}, "/active"),
        ({"active": 0}, "/active"),
        ({"global_roles": "Reader"}, "/global_roles"),
        ({"global_roles": ["Reader", 3]}, "/global_roles/1"),
        ({"global_roles": ["Reader", "Superuser"]}, "/global_roles/1"),
        ({"full_name": "Ann", "global_roles": ["Boss"]}, "/global_roles/0"),
        ({"current_password": TEST_PASSWORD}, "/current_password"),
    ],
)
def test_a_bad_change_by_an_admin_changes_nothing(
    anonymous_app, admin, ann, dbsession, payload, pointer
):
    response = anonymous_app.patch_json(f"{USERS}/{ann.id}", payload, headers=admin, status=400)

    assert_problem(response, 400, pointer)
    dbsession.expire_all()
    assert (ann.full_name, ann.active) == ("Ann Archer", True)
    principal = user_principal(ann.id)
    assert (
        dbsession.scalars(select(GlobalRole).where(GlobalRole.principal == principal)).all() == []
    )
    assert actions(dbsession, "user.updated") == []


@pytest.mark.parametrize("field", ["active", "global_roles"])
def test_a_person_may_not_change_their_own_active_flag_or_site_roles(
    anonymous_app, bearer, ann, dbsession, field
):
    value = {"active": False, "global_roles": ["Administrator"]}[field]

    response = anonymous_app.patch_json(
        f"{USERS}/{ann.id}", {"full_name": "Ann", field: value}, headers=bearer(ann), status=403
    )

    assert field in assert_problem(response, 403)["detail"]
    dbsession.expire_all()
    assert (ann.full_name, ann.active) == ("Ann Archer", True)
    principal = user_principal(ann.id)
    assert (
        dbsession.scalars(select(GlobalRole).where(GlobalRole.principal == principal)).all() == []
    )


def test_a_person_may_not_change_someone_else(anonymous_app, bearer, ann, admin_user, dbsession):
    response = anonymous_app.patch_json(
        f"{USERS}/{admin_user.id}", {"full_name": "Hacked"}, headers=bearer(ann), status=403
    )

    assert_problem(response, 403)
    dbsession.expire_all()
    assert admin_user.full_name == "Administrator"


# -- deactivating -------------------------------------------------------------


def test_delete_deactivates_the_account_and_its_tokens_stop_working(
    anonymous_app, admin, admin_user, bearer, ann, dbsession
):
    anns_token = bearer(ann)

    response = anonymous_app.delete(f"{USERS}/{ann.id}", headers=admin, status=204)

    assert response.body == b""
    dbsession.expire_all()
    assert ann.active is False
    assert dbsession.get(User, ann.id) is not None
    [entry] = actions(dbsession, "user.updated")
    assert entry.actor_id == admin_user.id
    assert entry.details["changes"] == {"active": False}
    assert_problem(anonymous_app.get("/api/v1/me", headers=anns_token, status=401), 401)


def test_an_admin_cannot_lock_themselves_out(anonymous_app, admin, admin_user, dbsession):
    deactivate = anonymous_app.delete(f"{USERS}/{admin_user.id}", headers=admin, status=400)
    demote = anonymous_app.patch_json(
        f"{USERS}/{admin_user.id}", {"global_roles": ["Reader"]}, headers=admin, status=400
    )

    assert_problem(deactivate, 400, "/active")
    assert_problem(demote, 400, "/global_roles")
    dbsession.expire_all()
    assert admin_user.active is True
    principal = user_principal(admin_user.id)
    roles = dbsession.scalars(select(GlobalRole.role).where(GlobalRole.principal == principal))
    assert roles.all() == ["Administrator"]


def test_only_admins_deactivate(anonymous_app, bearer, ann, staff_user, dbsession):
    response = anonymous_app.delete(f"{USERS}/{staff_user.id}", headers=bearer(ann), status=403)

    assert_problem(response, 403)
    dbsession.expire_all()
    assert staff_user.active is True


def test_deactivating_an_unknown_account_is_404(anonymous_app, admin, ann):
    assert_problem(anonymous_app.delete(f"{USERS}/{ann.id + 1000}", headers=admin, status=404), 404)


@pytest.mark.parametrize(
    ("method", "url", "allow"),
    [
        ("PUT", USERS, "GET, HEAD, POST"),
        ("DELETE", USERS, "GET, HEAD, POST"),
        ("POST", f"{USERS}/1", "GET, HEAD, PATCH, DELETE"),
    ],
)
def test_other_methods_are_405_with_allow(anonymous_app, admin, method, url, allow):
    response = anonymous_app.request(SITE + url, method=method, headers=admin, status=405)

    assert_problem(response, 405)
    assert response.headers["Allow"] == allow
