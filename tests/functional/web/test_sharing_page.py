"""The sharing page of a node: granting and removing roles, blocking inheritance."""

import pytest
from sqlalchemy import select

from charter.audit.models import AuditEntry
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.tree.models import LocalRole, NodeViewer

SITE = "http://example.com"


@pytest.fixture
def secret(site_root, content):
    """/secret: a folder below the root."""
    return content.add_folder(site_root, "secret", "Secret plans")


@pytest.fixture
def mia(secret, make_user, dbsession):
    """Mia holds Manager on /secret, which blocks inheritance: nobody else sees it."""
    user = make_user("mia", "Mia Manager")
    SharingService(dbsession).update(secret, {user_principal(user.id): ["Manager"]}, inherit=False)
    dbsession.flush()
    return user


@pytest.fixture
def dan(make_user):
    """Dan is in the design group."""
    return make_user("dan", "Dan Designer", groups=["design"])


def grants(dbsession, node):
    """The local grants on ``node`` as the database has them: {principal: {roles}}."""
    dbsession.expire_all()
    found = {}
    for grant in dbsession.scalars(select(LocalRole).where(LocalRole.node_id == node.id)):
        found.setdefault(grant.principal, set()).add(grant.role)
    return found


def viewers(dbsession, node):
    """The principals the database lets view ``node``."""
    return set(dbsession.scalars(select(NodeViewer.principal).where(NodeViewer.node_id == node.id)))


def sharing_audit(dbsession):
    """The sharing.changed entries of the audit log, oldest first."""
    return list(
        dbsession.scalars(
            select(AuditEntry).where(AuditEntry.action == "sharing.changed").order_by(AuditEntry.id)
        )
    )


def rows(page):
    """The local grants table: {principal: (label, {ticked roles})}."""
    table = {}
    for row in page.html.select("#local-grants .grant-row"):
        boxes = row.select("input[type=checkbox]")
        ticked = {box["value"] for box in boxes if box.has_attr("checked")}
        table[row["data-principal"]] = (
            row.select_one(".principal").get_text(" ", strip=True),
            ticked,
        )
    return table


def row_error(page, principal):
    """The error shown in the grants table beside ``principal``, or None."""
    row = page.html.select_one(f'#local-grants .grant-row[data-principal="{principal}"]')
    error = row.select_one(".grant-error")
    return error.get_text(strip=True) if error else None


def search_results(page):
    return [
        r.select_one(".principal").get_text(" ", strip=True)
        for r in page.html.select(".search-result")
    ]


def test_manager_shares_a_private_folder_with_a_group(client, mia, dan, secret, dbsession):
    manager = client(mia)
    member = client(dan)
    member.get("/secret", status=404)
    node_page = manager.get("/secret")
    assert node_page.html.select_one("#sharing-link")["href"] == SITE + "/secret/@@sharing"

    found = manager.get("/secret/@@sharing", params={"q": "design"})
    assert search_results(found) == ["Design group design", "Dan Designer (dan)"]
    added = found.forms["sharing-form"].submit("add", value="group:design")
    assert added.status_int == 200
    assert rows(added)["group:design"] == ("Design group design", {"Reader"})
    # Nothing is saved before the person presses Save.
    assert "group:design" not in grants(dbsession, secret)

    saved = added.forms["sharing-form"].submit("save", status=303)

    assert saved.location == SITE + "/secret/@@sharing"
    page = saved.follow()
    assert "Sharing saved." in [m.get_text(strip=True) for m in page.html.select(".flash-message")]
    assert rows(page) == {
        user_principal(mia.id): ("Mia Manager (mia)", {"Manager"}),
        "group:design": ("Design group design", {"Reader"}),
    }
    assert page.html.select_one("#inheritance-blocked") is not None
    assert grants(dbsession, secret)["group:design"] == {"Reader"}
    assert "group:design" in viewers(dbsession, secret)
    entry = sharing_audit(dbsession)[-1]
    assert (entry.actor_login, entry.target) == ("mia", "/secret")
    assert entry.details["after"]["local"]["group:design"] == ["Reader"]
    assert member.get("/secret").html.find("h1").get_text(strip=True) == "Secret plans"


def test_someone_outside_the_group_still_gets_not_found(
    client, mia, dan, secret, make_user, dbsession
):
    SharingService(dbsession).update(secret, {"group:design": ["Reader"]})
    dbsession.flush()

    client(make_user("nora")).get("/secret", status=404)
    assert client(dan).get("/secret").status_int == 200


def test_reader_gets_forbidden_on_the_sharing_page_of_a_folder_they_see(
    testapp, site_root, secret, dbsession
):
    before = grants(dbsession, site_root)
    page = testapp.get("/")
    assert page.html.select_one("#sharing-link") is None

    testapp.get("/@@sharing", status=403)
    testapp.get("/secret/@@sharing", status=403)
    csrf = page.html.select_one("#user-menu input[name=csrf_token]")["value"]
    testapp.post(
        "/@@sharing",
        {"csrf_token": csrf, "entry-0-principal": "system.Authenticated", "inherit": "yes"},
        status=403,
    )

    assert grants(dbsession, site_root) == before


def test_folder_they_cannot_view_answers_not_found(testapp, mia, secret):
    page = testapp.get("/secret/@@sharing", status=404)

    assert "Secret plans" not in page.text


def test_anonymous_visitor_is_sent_to_log_in(anonymous_app, secret):
    answer = anonymous_app.get("/secret/@@sharing", status=302)

    assert answer.location.startswith(SITE + "/login?came_from=")


def test_unknown_principal_is_refused_beside_its_row_and_nothing_changes(
    admin_app, secret, dbsession
):
    form = admin_app.get("/secret/@@sharing").forms["sharing-form"]
    before, audited = grants(dbsession, secret), len(sharing_audit(dbsession))
    # A crafted request: the page itself only offers people and groups that exist.
    page = admin_app.post(
        "/secret/@@sharing",
        {
            "csrf_token": form["csrf_token"].value,
            "entry-0-principal": "user:999999",
            "entry-0-roles": "Editor",
            "entry-1-principal": "system.Authenticated",
            "entry-1-roles": "Reader",
            "save": "yes",
        },
        status=400,
    )

    assert row_error(page, "user:999999") == "no account with id 999999"
    assert row_error(page, "system.Authenticated") is None
    # What the person entered is shown again, ready to correct.
    assert rows(page)["system.Authenticated"] == ("Everyone logged in", {"Reader"})
    assert not page.html.select_one("#sharing-inherit").has_attr("checked")
    assert grants(dbsession, secret) == before
    assert secret.inherit_roles is True
    assert len(sharing_audit(dbsession)) == audited


def test_site_wide_role_cannot_be_granted_on_a_folder(admin_app, secret, dan, dbsession):
    page = admin_app.get("/secret/@@sharing", params={"q": "dan"})
    added = page.forms["sharing-form"].submit("add", value=user_principal(dan.id))
    fields = dict(added.forms["sharing-form"].submit_fields())
    fields["entry-0-roles"] = "Administrator"
    fields["save"] = "yes"

    page = admin_app.post("/secret/@@sharing", fields, status=400)

    assert row_error(page, user_principal(dan.id)).startswith("'Administrator' is not one of")
    assert grants(dbsession, secret) == {}


def test_unticking_every_role_removes_the_grant(client, mia, dan, secret, dbsession):
    SharingService(dbsession).update(secret, {"group:design": ["Reader", "Editor"]})
    dbsession.flush()
    manager = client(mia)
    form = manager.get("/secret/@@sharing").forms["sharing-form"]
    index = next(
        name.split("-")[1]
        for name, value in form.submit_fields()
        if name.endswith("-principal") and value == "group:design"
    )
    for box in form.fields[f"entry-{index}-roles"]:
        box.checked = False

    form.submit("save", status=303)

    assert "group:design" not in grants(dbsession, secret)
    assert "group:design" not in viewers(dbsession, secret)
    client(dan).get("/secret", status=404)


def test_blocking_inheritance_hides_the_folder_from_staff(admin_app, testapp, secret, dbsession):
    assert testapp.get("/secret").status_int == 200
    page = admin_app.get("/secret/@@sharing")
    inherited = page.html.select_one("#inherited-grants .inherited-row")
    assert inherited["data-principal"] == "system.Authenticated"
    assert inherited.select_one(".inherited-roles").get_text(strip=True) == "Reader"
    assert inherited.select_one(".inherited-from a")["href"] == SITE + "/@@sharing"
    form = page.forms["sharing-form"]
    form["inherit"] = False

    form.submit("save", status=303)

    dbsession.expire_all()
    assert secret.inherit_roles is False
    assert viewers(dbsession, secret) == set()
    testapp.get("/secret", status=404)
    entry = sharing_audit(dbsession)[-1]
    assert (entry.details["before"]["inherit"], entry.details["after"]["inherit"]) == (True, False)


def test_manager_who_blocks_their_own_access_is_told_and_sent_home(
    client, make_user, site_root, secret, dbsession
):
    rita = make_user("rita", "Rita Root")
    SharingService(dbsession).update(site_root, {user_principal(rita.id): ["Manager"]})
    dbsession.flush()
    manager = client(rita)
    form = manager.get("/secret/@@sharing").forms["sharing-form"]
    form["inherit"] = False

    answer = form.submit("save", status=303)

    assert answer.location == SITE + "/"
    messages = [m.get_text(strip=True) for m in answer.follow().html.select(".flash-message")]
    assert messages == ["Sharing saved.", "You no longer manage sharing here."]
    manager.get("/secret", status=404)


def test_adding_the_only_person_found_says_they_await_save_not_nobody_found(
    client, mia, dan, secret, dbsession
):
    manager = client(mia)
    found = manager.get("/secret/@@sharing", params={"q": "dan"})
    assert search_results(found) == ["Dan Designer (dan)"]

    added = found.forms["sharing-form"].submit("add", value=user_principal(dan.id))

    assert added.html.select_one("#no-results") is None
    assert "is in the table below" in added.html.select_one("#all-added").get_text()
    notice = added.html.select_one("#added-notice").get_text(" ", strip=True)
    assert notice.startswith("“Dan Designer” is in the table below, not saved yet")
    assert "Save" in notice
    row = added.html.select_one(f'.grant-row[data-principal="{user_principal(dan.id)}"]')
    assert row.select_one(".unsaved-badge").get_text(strip=True) == "not saved yet"
    mia_row = added.html.select_one(f'.grant-row[data-principal="{user_principal(mia.id)}"]')
    assert mia_row.select_one(".unsaved-badge") is None
    assert added.html.select_one("#unsaved-help") is not None

    saved = added.forms["sharing-form"].submit("save", status=303).follow()

    assert saved.html.select(".unsaved-badge") == []
    assert saved.html.select_one("#unsaved-help") is None
    assert grants(dbsession, secret)[user_principal(dan.id)] == {"Reader"}


def test_a_search_matching_nobody_says_so(client, mia, secret):
    page = client(mia).get("/secret/@@sharing", params={"q": "zzz-nobody"})

    assert (
        page.html.select_one("#no-results").get_text(strip=True) == "Nobody found for “zzz-nobody”."
    )
