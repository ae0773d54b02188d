"""The home page's dashboard: recent items, my drafts and what waits for my review, only
for logged-in people, only what they may view, in a bounded number of queries."""

import datetime as dt

import pytest
from sqlalchemy import event

from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.tree.recent import recently_changed
from charter.tree.visibility import Viewer

HTML = {"Accept": "text/html"}
# The three lists of the dashboard, one query each.
DASHBOARD_QUERIES = 3
START = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def ids_in(response, list_id):
    """The titles linked in the dashboard list ``list_id`` (empty when the list is empty)."""
    return [link.get_text(strip=True) for link in response.html.select(f"#{list_id} a")]


@pytest.fixture
def office(site_root, content, draft_content, make_user, dbsession):
    """Ann (Editor in /team) with a draft, a pending item and a private one of Bob's that
    only Bob and reviewers see; Rita reviews in /team; Bob owns /team/secret."""
    ann = make_user("ann", "Ann Author")
    bob = make_user("bob", "Bob Builder")
    rita = make_user("rita", "Rita Reviewer")
    team = content.add_folder(site_root, "team", "Team")
    sharing = SharingService(dbsession)
    sharing.update(
        team,
        {
            user_principal(ann.id): ["Editor"],
            user_principal(bob.id): ["Contributor"],
            user_principal(rita.id): ["Reviewer"],
        },
    )
    # The root and the folder changed before the documents did.
    site_root.modified = team.modified = START - dt.timedelta(hours=1)
    made = {}
    for minute, (name, title, owner, state) in enumerate(
        [
            ("report", "Quarterly report", ann, "private"),
            ("memo", "Memo for review", ann, "pending"),
            ("secret", "Bob's private plan", bob, "private"),
            ("news", "Published news", bob, "published"),
        ]
    ):
        node = draft_content.add_document(team, name, title, "Text.")
        node.owner_id = owner.id
        node.modified_by_id = owner.id
        node.workflow_state = state
        node.modified = START + dt.timedelta(minutes=minute)
        made[name] = node
    dbsession.flush()  # requests read through their own savepoint
    return {"ann": ann, "bob": bob, "rita": rita, **made}


def test_anonymous_visitors_get_the_home_page_without_a_dashboard(anonymous_app, office):
    response = anonymous_app.get("/", headers=HTML)

    assert not response.html.select("#dashboard")


def test_a_reader_sees_recent_items_they_may_view_and_nothing_private(testapp, office):
    response = testapp.get("/", headers=HTML)

    recent = ids_in(response, "recent-items")
    assert recent[0] == "Published news"
    assert "Bob's private plan" not in response.text
    assert "Quarterly report" not in response.text
    assert response.html.select("#my-drafts-empty")
    assert response.html.select("#review-queue-empty")
    # The root's own items are still listed below the dashboard.
    assert [a.get_text(strip=True) for a in response.html.select(".children a")] == ["Team"]


def test_recent_items_say_where_when_and_by_whom(client, office):
    response = client(office["bob"]).get("/", headers=HTML)

    first = response.html.select("#recent-items li")[0].get_text(" ", strip=True)
    assert "Published news" in first
    assert "/team" in first
    assert "by Bob Builder" in first
    assert "2026-11-01 09:03" in first


def test_my_drafts_are_the_private_items_i_own(client, office):
    ann = client(office["ann"]).get("/", headers=HTML)
    bob = client(office["bob"]).get("/", headers=HTML)

    assert ids_in(ann, "my-drafts") == ["Quarterly report"]
    assert ids_in(bob, "my-drafts") == ["Bob's private plan"]
    # Ann, an Editor, sees Bob's private item in Recent items; Bob, a Contributor, sees hers.
    assert "Bob's private plan" in ids_in(ann, "recent-items")


def test_the_review_queue_holds_pending_items_i_may_review(client, office, admin_app):
    rita = client(office["rita"]).get("/", headers=HTML)
    ann = client(office["ann"]).get("/", headers=HTML)
    admin = admin_app.get("/", headers=HTML)

    assert ids_in(rita, "review-queue") == ["Memo for review"]
    # Ann submitted it: an Editor may not publish it herself.
    assert ids_in(ann, "review-queue") == []
    assert ids_in(admin, "review-queue") == ["Memo for review"]


def test_a_reviewer_elsewhere_does_not_see_the_item(
    client, office, make_user, site_root, content, dbsession
):
    other = content.add_folder(site_root, "other", "Other")
    victor = make_user("victor", "Victor Elsewhere")
    SharingService(dbsession).update(other, {user_principal(victor.id): ["Reviewer"]})
    dbsession.flush()

    response = client(victor).get("/", headers=HTML)

    assert ids_in(response, "review-queue") == []
    assert "Memo for review" not in response.text
    assert "Bob's private plan" not in response.text


def test_trashed_items_leave_every_list(client, office, content, dbsession, admin_app):
    for name in ("report", "memo", "news"):
        content.delete(office[name])
    dbsession.flush()  # requests read through their own savepoint

    ann = client(office["ann"]).get("/", headers=HTML)
    rita = client(office["rita"]).get("/", headers=HTML)
    admin = admin_app.get("/", headers=HTML)

    for page in (ann, rita, admin):
        shown = ids_in(page, "recent-items")
        assert {"Quarterly report", "Memo for review", "Published news"}.isdisjoint(shown)
    assert ids_in(ann, "my-drafts") == []
    assert ids_in(rita, "review-queue") == ids_in(admin, "review-queue") == []


def test_the_dashboard_costs_three_bounded_queries_however_many_items(
    client, office, draft_content, dbsession, query_recorder
):
    rita = client(office["rita"])
    rita.get("/", headers=HTML)  # the session's first use is recorded; measure what follows
    with query_recorder.record() as few:
        rita.get("/", headers=HTML)
    with query_recorder.record() as folder:
        rita.get("/team", headers=HTML)
    team = office["report"].__parent__
    for number in range(40):
        draft_content.add_document(team, f"p{number}", f"P {number}", "").workflow_state = "pending"
    dbsession.flush()  # requests read through their own savepoint
    with query_recorder.record() as many:
        response = rita.get("/", headers=HTML)

    assert len(ids_in(response, "review-queue")) == 10
    assert len(many) == len(few)
    # The home page is a folder page plus the dashboard's three lists, each with a LIMIT.
    assert len(many) == len(folder) + DASHBOARD_QUERIES, many
    lists = [str(statement) for statement in many if "ORDER BY nodes.modified" in str(statement)]
    assert len(lists) == DASHBOARD_QUERIES, many
    assert all("LIMIT" in statement for statement in lists), lists


SERVER_DATABASES = {"mysql", "mariadb", "postgresql"}


def test_recent_items_read_the_modified_index_not_the_whole_tree(
    db_connection, site_root, content, dbsession, staff_user
):
    """On the server databases the newest changes come from ``ix_nodes_modified_id`` read
    backwards up to the LIMIT, not from sorting every node."""
    if db_connection.dialect.name not in SERVER_DATABASES:
        pytest.skip(
            f"plans are checked on MySQL/MariaDB and PostgreSQL, not {db_connection.dialect.name}"
        )
    for number in range(30):
        folder = content.add_folder(site_root, f"folder{number}", f"Folder {number}")
        for leaf in range(10):
            content.add_document(folder, f"doc{leaf}", f"Document {leaf}", "Text.")
    dbsession.flush()  # EXPLAIN reads the rows from the database
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    viewer = Viewer(frozenset({"system.Authenticated", user_principal(staff_user.id)}))
    event.listen(db_connection, "before_cursor_execute", capture)
    try:
        assert len(recently_changed(dbsession, viewer, 10)) == 10
    finally:
        event.remove(db_connection, "before_cursor_execute", capture)

    statement, parameters = statements[-1]
    if db_connection.dialect.name == "postgresql":
        # Statistics of the test's own rows, so the planner's choice is the one a site's is.
        db_connection.exec_driver_sql("ANALYZE nodes, node_viewers")
        plan = "\n".join(
            row[0] for row in db_connection.exec_driver_sql("EXPLAIN " + statement, parameters)
        )
        assert "ix_nodes_modified_id" in plan, plan
        assert "Sort" not in plan.split("\n")[1], plan
    else:
        plan = db_connection.exec_driver_sql("EXPLAIN " + statement, parameters).mappings().all()
        nodes = [row for row in plan if row["table"] == "nodes"]
        assert nodes[0]["key"] == "ix_nodes_modified_id", plan
        assert "filesort" not in (nodes[0]["Extra"] or ""), plan
