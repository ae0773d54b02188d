"""The admin area: people and groups, for site administrators only."""

import pytest
import webtest
from sqlalchemy import func, select

from charter.accounts.models import Group, User
from charter.accounts.passwords import verify_password
from charter.audit.models import AuditEntry
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.models import GlobalRole
from charter.security.principals import group_principal, user_principal
from charter.security.roles import Role
from charter.security.sharing import SharingService
from charter.testing.plugin import TEST_PASSWORD
from charter.testing.sessions import login_as
from charter.tree.models import LocalRole

SITE = "http://example.com"
NEW_PASSWORD = "a fresh admin-set password"


@pytest.fixture
def client(charter_app, db_connection):
    """A fresh client in the test's transaction; ``client(user)`` logs it in."""

    def make(user=None):
        app = webtest.TestApp(
            charter_app,
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        )
        return login_as(app, user) if user is not None else app

    return make


@pytest.fixture
def ann(make_user, site_root):
    """An ordinary account, in the design group."""
    return make_user("ann", "Ann Archer", groups=["design"])


def error_beside(page, field_id):
    element = page.html.select_one(f"#{field_id}-error")
    return element.get_text(strip=True) if element else None


def flash_messages(page):
    return [m.get_text(strip=True) for m in page.html.select(".flash-message")]


def audit_actions(dbsession):
    return list(dbsession.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def count(dbsession, model):
    return dbsession.scalar(select(func.count()).select_from(model))


def log_in_with_form(app, login, password):
    form = app.get("/login").forms["login-form"]
    form["login"] = login
    form["password"] = password
    return form.submit(status="*")


def global_roles(dbsession, principal):
    dbsession.expire_all()
    return set(dbsession.scalars(select(GlobalRole.role).where(GlobalRole.principal == principal)))


# -- who may enter -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/users", "/admin/groups", "/admin/groups/design"])
def test_ordinary_people_are_forbidden(testapp, ann, path):
    page = testapp.get(path, status=403)

    assert "You may not see this" in page.text


def test_ordinary_people_cannot_create_accounts(testapp, dbsession):
    csrf = testapp.get("/account").forms["password-form"]["csrf_token"].value
    users = count(dbsession, User)

    testapp.post(
        "/admin/users",
        {"csrf_token": csrf, "login": "mallory", "email": "m@example.com", "password": "x" * 12},
        status=403,
    )

    assert count(dbsession, User) == users


def test_ordinary_people_see_no_administration_link(testapp, admin_app, site_root):
    assert testapp.get("/").html.find("a", string="Administration") is None
    link = admin_app.get("/").html.find("a", string="Administration")
    assert link["href"] == SITE + "/admin/users"


def test_anonymous_visitors_are_sent_to_log_in(anonymous_app):
    answer = anonymous_app.get("/admin/users", status=302)

    assert answer.location.startswith(SITE + "/login?came_from=")


def test_admin_pages_link_to_each_other(admin_app):
    users = admin_app.get("/admin/users")
    groups = admin_app.get(users.html.select_one("#admin-nav").find("a", string="Groups")["href"])

    assert groups.html.select_one("#admin-nav .active").get_text(strip=True) == "Groups"
    back = groups.html.select_one("#admin-nav").find("a", string="People")["href"]
    assert back == SITE + "/admin/users"


# -- people ----------------------------------------------------------------------


def test_people_are_listed_and_searched(admin_app, ann, make_user):
    make_user("bob", "Bob Builder")

    everyone = admin_app.get("/admin/users")
    found = admin_app.get("/admin/users", params={"q": "archer"})

    listed = [row["data-login"] for row in everyone.html.select(".user-row")]
    assert listed == ["admin", "ann", "bob"]
    assert [row["data-login"] for row in found.html.select(".user-row")] == ["ann"]
    admin_row = everyone.html.select_one('.user-row[data-login="admin"]')
    assert "Administrator" in admin_row.get_text()


def test_admin_creates_an_account_that_can_log_in(admin_app, client, site_root, dbsession):
    form = admin_app.get("/admin/users").forms["create-user-form"]
    form["login"] = "Carla"
    form["email"] = "carla@example.com"
    form["full_name"] = "Carla Cruz"
    form["password"] = NEW_PASSWORD

    answer = form.submit(status=303)

    carla = dbsession.scalars(select(User).where(User.login == "carla")).one()
    assert answer.location == f"{SITE}/admin/users/{carla.id}"
    page = answer.follow()
    assert flash_messages(page) == ["The account carla was created."]
    assert page.html.select_one("#profile-email")["value"] == "carla@example.com"
    assert (carla.email, carla.full_name, carla.active) == ("carla@example.com", "Carla Cruz", True)
    assert "user.created" in audit_actions(dbsession)
    assert log_in_with_form(client(), "carla", NEW_PASSWORD).status_int == 303


def test_account_with_a_bad_email_is_refused_beside_the_field(admin_app, dbsession):
    users = count(dbsession, User)
    form = admin_app.get("/admin/users").forms["create-user-form"]
    form["login"] = "dave"
    form["email"] = "not an address"
    form["full_name"] = "Dave Doe"
    form["password"] = NEW_PASSWORD

    page = form.submit(status=400)

    assert error_beside(page, "create-email") == "enter an email address such as ann@example.com"
    assert error_beside(page, "create-login") is None
    again = page.forms["create-user-form"]
    assert (again["login"].value, again["full_name"].value) == ("dave", "Dave Doe")
    assert again["password"].value == ""
    assert count(dbsession, User) == users
    assert "user.created" not in audit_actions(dbsession)


def test_taken_login_is_refused_beside_the_field(admin_app, ann, dbsession):
    users = count(dbsession, User)
    form = admin_app.get("/admin/users").forms["create-user-form"]
    form["login"] = "ann"
    form["email"] = "another.ann@example.com"
    form["password"] = NEW_PASSWORD

    page = form.submit(status=400)

    assert error_beside(page, "create-login") == "the login 'ann' is taken"
    assert count(dbsession, User) == users


def test_admin_edits_a_persons_details(admin_app, ann, dbsession):
    form = admin_app.get(f"/admin/users/{ann.id}").forms["profile-form"]
    form["email"] = "ann.archer@example.com"
    form["full_name"] = "Ann Archer-Smith"

    page = form.submit(status=303).follow()

    assert flash_messages(page) == ["The details were saved."]
    dbsession.expire_all()
    assert (ann.email, ann.full_name) == ("ann.archer@example.com", "Ann Archer-Smith")


def test_bad_email_on_edit_is_refused_and_nothing_changes(admin_app, ann, dbsession):
    form = admin_app.get(f"/admin/users/{ann.id}").forms["profile-form"]
    form["email"] = "ann-at-example"
    form["full_name"] = "Someone Else"

    page = form.submit(status=400)

    assert error_beside(page, "profile-email") == "enter an email address such as ann@example.com"
    assert page.forms["profile-form"]["full_name"].value == "Someone Else"
    dbsession.expire_all()
    assert (ann.email, ann.full_name) == ("ann@example.com", "Ann Archer")


def test_unknown_account_is_not_found(admin_app):
    admin_app.get("/admin/users/999999", status=404)


def test_deactivated_person_can_no_longer_log_in(admin_app, ann, client, dbsession):
    anns_browser = client(ann)
    assert anns_browser.get("/account").status_int == 200

    page = admin_app.get(f"/admin/users/{ann.id}").forms["active-form"].submit("active")

    assert flash_messages(page.follow()) == ["ann can no longer log in or use API tokens."]
    dbsession.expire_all()
    assert ann.active is False
    assert anns_browser.get("/account", status=302).location.startswith(SITE + "/login?")
    refused = log_in_with_form(client(), "ann", TEST_PASSWORD)
    assert refused.status_int == 400
    assert "Wrong login or password." in refused.text
    listing = admin_app.get("/admin/users")
    status = listing.html.select_one('.user-row[data-login="ann"] .user-status')
    assert status.get_text(strip=True) == "deactivated"


def test_reactivated_person_can_log_in_again(admin_app, ann, client, dbsession):
    ann.active = False
    dbsession.flush()

    page = admin_app.get(f"/admin/users/{ann.id}").forms["active-form"].submit("active")

    assert flash_messages(page.follow()) == ["ann may log in again."]
    assert log_in_with_form(client(), "ann", TEST_PASSWORD).status_int == 303


def test_admin_cannot_deactivate_their_own_account(admin_app, admin_user, dbsession):
    page = (
        admin_app.get(f"/admin/users/{admin_user.id}")
        .forms["active-form"]
        .submit("active", status=400)
    )

    error = page.html.select_one("#active-form .form-error")
    assert error.get_text(strip=True) == "you cannot deactivate your own account"
    dbsession.expire_all()
    assert admin_user.active is True


def test_admin_sets_a_new_password_and_the_old_sessions_end(admin_app, ann, client, dbsession):
    anns_browser = client(ann)
    form = admin_app.get(f"/admin/users/{ann.id}").forms["set-password-form"]
    form["password"] = NEW_PASSWORD
    form["password_repeat"] = NEW_PASSWORD

    page = form.submit(status=303).follow()

    assert flash_messages(page) == ["The password of ann was set; their sessions have ended."]
    dbsession.expire_all()
    assert verify_password(ann.password_hash, NEW_PASSWORD)
    assert anns_browser.get("/account", status=302).location.startswith(SITE + "/login?")
    assert "user.password_set" in audit_actions(dbsession)


def test_password_typed_differently_twice_is_refused(admin_app, ann, dbsession):
    old_hash = ann.password_hash
    form = admin_app.get(f"/admin/users/{ann.id}").forms["set-password-form"]
    form["password"] = NEW_PASSWORD
    form["password_repeat"] = NEW_PASSWORD.upper()

    page = form.submit(status=400)

    assert error_beside(page, "set-password-password_repeat") == "the two passwords differ"
    dbsession.expire_all()
    assert ann.password_hash == old_hash


def test_admin_setting_their_own_password_stays_logged_in(admin_app, admin_user):
    form = admin_app.get(f"/admin/users/{admin_user.id}").forms["set-password-form"]
    form["password"] = NEW_PASSWORD
    form["password_repeat"] = NEW_PASSWORD

    form.submit(status=303)

    assert admin_app.get("/admin/users").status_int == 200


def test_admin_grants_site_wide_roles(admin_app, ann, client, dbsession):
    form = admin_app.get(f"/admin/users/{ann.id}").forms["roles-form"]
    # The boxes come in the order of the Role enumeration.
    form.get("roles", index=list(Role).index(Role.ADMINISTRATOR)).checked = True

    page = form.submit(status=303).follow()

    assert flash_messages(page) == ["The site-wide roles were saved."]
    assert global_roles(dbsession, user_principal(ann.id)) == {"Administrator"}
    assert client(ann).get("/admin/users").status_int == 200
    assert "global_roles.changed" in audit_actions(dbsession)


def test_admin_cannot_drop_their_own_administrator_role(admin_app, admin_user, dbsession):
    form = admin_app.get(f"/admin/users/{admin_user.id}").forms["roles-form"]
    for box in form.fields["roles"]:
        box.checked = False

    page = form.submit(status=400)

    assert error_beside(page, "roles-roles") == "you cannot take away your own Administrator role"
    assert global_roles(dbsession, user_principal(admin_user.id)) == {"Administrator"}


def test_administrator_through_a_group_may_edit_their_own_roles(client, make_user, dbsession):
    ada = make_user("ada", "Ada Admin", groups=["admins"])
    SharingService(dbsession).set_global_roles(group_principal("admins"), ["Administrator"])
    dbsession.flush()
    app = client(ada)
    form = app.get(f"/admin/users/{ada.id}").forms["roles-form"]
    form.get("roles", index=list(Role).index(Role.REVIEWER)).checked = True

    form.submit(status=303)

    assert global_roles(dbsession, user_principal(ada.id)) == {"Reviewer"}


def test_person_page_lists_their_groups(admin_app, ann):
    page = admin_app.get(f"/admin/users/{ann.id}")

    links = page.html.select("#user-groups a")
    assert [(a.get_text(strip=True), a["href"]) for a in links] == [
        ("Design", SITE + "/admin/groups/design")
    ]


# -- groups ----------------------------------------------------------------------


def group_named(dbsession, name):
    dbsession.expire_all()
    return dbsession.scalars(select(Group).where(Group.name == name)).one_or_none()


def members(dbsession, name):
    return [user.login for user in group_named(dbsession, name).members]


def test_admin_creates_a_group_with_members(admin_app, ann, make_user, dbsession):
    make_user("bob", "Bob Builder")
    form = admin_app.get("/admin/groups").forms["create-group-form"]
    form["name"] = "berlin"
    form["title"] = "Berlin office"
    form["members"] = "ann,\nbob"

    answer = form.submit(status=303)

    assert answer.location == SITE + "/admin/groups/berlin"
    page = answer.follow()
    assert flash_messages(page) == ["The group berlin was created."]
    assert page.forms["edit-group-form"]["members"].value == "ann\nbob"
    assert group_named(dbsession, "berlin").title == "Berlin office"
    assert members(dbsession, "berlin") == ["ann", "bob"]
    listing = admin_app.get("/admin/groups")
    assert [row["data-name"] for row in listing.html.select(".group-row")] == ["berlin", "design"]


def test_group_with_an_unknown_member_is_refused_beside_the_field(admin_app, ann, dbsession):
    form = admin_app.get("/admin/groups").forms["create-group-form"]
    form["name"] = "berlin"
    form["members"] = "ann nobody"

    page = form.submit(status=400)

    assert error_beside(page, "create-members") == "no account with login nobody"
    assert page.forms["create-group-form"]["members"].value == "ann nobody"
    assert group_named(dbsession, "berlin") is None


def test_group_with_a_bad_name_is_refused(admin_app, dbsession):
    groups = count(dbsession, Group)
    form = admin_app.get("/admin/groups").forms["create-group-form"]
    form["name"] = "Berlin Office!"

    page = form.submit(status=400)

    assert error_beside(page, "create-name").startswith("use 1 to 100 lower-case letters")
    assert count(dbsession, Group) == groups


def test_admin_changes_a_groups_members_and_title(admin_app, ann, make_user, dbsession):
    make_user("bob", "Bob Builder")
    form = admin_app.get("/admin/groups/design").forms["edit-group-form"]
    form["title"] = "Design team"
    form["members"] = "bob"

    page = form.submit(status=303).follow()

    assert flash_messages(page) == ["The group was saved."]
    assert group_named(dbsession, "design").title == "Design team"
    assert members(dbsession, "design") == ["bob"]
    entry = dbsession.scalars(select(AuditEntry).where(AuditEntry.action == "group.updated")).one()
    assert (entry.details["added"], entry.details["removed"]) == (["bob"], ["ann"])


def test_bad_member_on_edit_changes_nothing(admin_app, ann, dbsession):
    form = admin_app.get("/admin/groups/design").forms["edit-group-form"]
    form["title"] = "Renamed"
    form["members"] = "ann, ghost"

    page = form.submit(status=400)

    assert error_beside(page, "edit-members") == "no account with login ghost"
    assert page.forms["edit-group-form"]["title"].value == "Renamed"
    assert group_named(dbsession, "design").title == "Design"
    assert members(dbsession, "design") == ["ann"]
    assert "group.updated" not in audit_actions(dbsession)


def test_admin_grants_a_group_site_wide_roles(admin_app, ann, dbsession):
    form = admin_app.get("/admin/groups/design").forms["roles-form"]
    form.get("roles", index=list(Role).index(Role.READER)).checked = True

    form.submit(status=303)

    assert global_roles(dbsession, group_principal("design")) == {"Reader"}


def test_deleting_a_group_needs_confirmation(admin_app, ann, dbsession):
    page = admin_app.get("/admin/groups/design").forms["delete-group-form"].submit(status=400)

    assert error_beside(page, "delete-confirm") == "tick the box to confirm the deletion"
    assert group_named(dbsession, "design") is not None


def test_admin_deletes_a_group_and_its_grants(admin_app, ann, site_root, dbsession):
    SharingService(dbsession).update(site_root, {group_principal("design"): ["Editor"]})
    dbsession.flush()
    form = admin_app.get("/admin/groups/design").forms["delete-group-form"]
    form["confirm"] = True

    answer = form.submit(status=303)

    assert answer.location == SITE + "/admin/groups"
    page = answer.follow()
    assert flash_messages(page) == ["The group design was deleted."]
    assert page.html.select(".group-row") == []
    assert group_named(dbsession, "design") is None
    assert (
        dbsession.scalar(
            select(func.count()).where(LocalRole.principal == group_principal("design"))
        )
        == 0
    )
    assert "group.deleted" in audit_actions(dbsession)


def test_unknown_group_is_not_found(admin_app):
    admin_app.get("/admin/groups/nosuchgroup", status=404)
