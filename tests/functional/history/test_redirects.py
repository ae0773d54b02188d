"""Old addresses keep working after a rename or move (issue 8, "Redirects after rename and move").

The old path and everything below it answer 301 (308 for methods with a
body) to the node's current page or API URL, with the rest of the path and
the query string; a node the caller may not view, or one in the trash,
answers exactly as a path that never existed does; and a path that
resolves costs no query more than it did.
"""

import pytest
from sqlalchemy import delete, select

from charter.accounts.models import User
from charter.history.models import Redirect
from charter.security.principals import EVERYONE, group_principal
from charter.security.sharing import SharingService
from charter.tree.models import Node

SITE = "http://example.com"
API = "/api/v1/content"
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
# Resolving a path and loading the caller (issue 2's budget), then the one
# look for a redirect that only a path traversal could not resolve costs.
PATH_BUDGET = 2
LOOKUP = 1
# A node's HTML page also reads its navigation tree (charter.web.navigation): one query, which
# a 404 page (no node to show) and a redirect do not make.
NAVIGATION_TREE = 1


@pytest.fixture
def site(site_root, content, make_user, dbsession):
    """/projects (handbook, team/notes), /archive, /private (the board only, holding
    report) and /public (everyone, also the anonymous, holding flyer)."""
    make_user("bo", groups=["board"])
    sharing = SharingService(dbsession)
    projects = content.add_folder(site_root, "projects", "Projects")
    content.add_document(projects, "handbook", "Handbook", "# How we work")
    team = content.add_folder(projects, "team", "Team")
    content.add_document(team, "notes", "Notes", "Notes.")
    content.add_folder(site_root, "archive", "Archive")
    private = content.add_folder(site_root, "private", "Board only")
    content.add_document(private, "report", "Report", "Numbers.")
    sharing.update(private, {group_principal("board"): ["Reader"]}, inherit=False)
    public = content.add_folder(site_root, "public", "Public")
    content.add_document(public, "flyer", "Flyer", "Come along.")
    sharing.update(public, {EVERYONE: ["Reader"]})
    dbsession.flush()  # requests read through their own savepoint
    return site_root


@pytest.fixture
def at(site, dbsession):
    """``at(path)``: the node at ``path`` now."""

    def node(path):
        return dbsession.scalars(select(Node).where(Node.path == path)).one()

    return node


@pytest.fixture
def board_member(site, client, dbsession):
    """WebTest logged in as bo, who may view /private."""
    return client(dbsession.scalars(select(User).where(User.login == "bo")).one())


def moved_to(response):
    """The Location a redirect answer points at, after checking it is one that is not cached."""
    assert response.status_int in {301, 308}
    assert response.headers["Cache-Control"] == "private, no-cache"
    return response.headers["Location"]


def comparable(response):
    """What must not differ between a hidden redirect and no redirect at all.

    Every response has a request id of its own, so that header is left out.
    """
    headers = sorted((name, value) for name, value in response.headerlist if name != "X-Request-ID")
    return response.status, headers, response.body


def forget_redirects(dbsession):
    """Remove every redirect, to compare with how the site answered before any move."""
    dbsession.execute(delete(Redirect))
    dbsession.flush()


# -- where a redirect goes ------------------------------------------------------


def test_a_renamed_document_answers_301_to_its_new_page(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    dbsession.flush()

    response = testapp.get("/projects/handbook", headers=HTML, status=301)

    assert moved_to(response) == f"{SITE}/projects/manual"
    assert "How we work" in response.follow(headers=HTML).text


def test_the_api_answers_301_to_the_new_api_url(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    dbsession.flush()

    response = testapp.get(f"{API}/projects/handbook", status=301)

    assert moved_to(response) == f"{SITE}{API}/projects/manual"
    assert response.follow().json["title"] == "Handbook"


def test_a_web_address_asked_for_as_json_goes_to_the_web_address(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    dbsession.flush()

    response = testapp.get("/projects/handbook", headers=JSON, status=301)

    assert moved_to(response) == f"{SITE}/projects/manual"


def test_a_moved_document_answers_with_its_new_folder(testapp, content, at, dbsession):
    content.move(at("/projects/handbook"), at("/archive"))
    dbsession.flush()

    response = testapp.get("/projects/handbook", headers=HTML, status=301)

    assert moved_to(response) == f"{SITE}/archive/handbook"


def test_everything_below_a_moved_folder_follows_with_views_and_query_strings(
    testapp, content, at, dbsession
):
    content.move(at("/projects/team"), at("/archive"), "crew")
    dbsession.flush()

    page = testapp.get("/projects/team/notes/@@edit?tab=2&q=a%20b", headers=HTML, status=301)
    history = testapp.get(f"{API}/projects/team/notes/@history?limit=5", status=301)
    folder = testapp.get("/projects/team", headers=HTML, status=301)

    assert moved_to(page) == f"{SITE}/archive/crew/notes/@@edit?tab=2&q=a%20b"
    assert moved_to(history) == f"{SITE}{API}/archive/crew/notes/@history?limit=5"
    assert moved_to(folder) == f"{SITE}/archive/crew"


def test_the_rest_of_the_path_keeps_its_encoding(testapp, content, at, dbsession):
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()

    response = testapp.get("/projects/team/a%20b/100%25/why%3F%23/x%2Fy", status=301)

    # The path is decoded, split and quoted again, one segment at a time.
    assert moved_to(response) == f"{SITE}/projects/crew/a%20b/100%25/why%3F%23/x/y"


def test_a_chain_of_moves_collapses_into_one_redirect(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    content.move(at("/projects/manual"), at("/archive"))
    content.rename(at("/archive/manual"), "guide")
    dbsession.flush()

    first = testapp.get("/projects/handbook", headers=HTML, status=301)
    second = testapp.get(f"{API}/projects/manual", status=301)

    assert moved_to(first) == f"{SITE}/archive/guide"
    assert moved_to(second) == f"{SITE}{API}/archive/guide"


def test_the_deepest_old_path_wins(testapp, content, at, dbsession):
    # notes left /projects/team before team itself moved: it answers for its own old path.
    content.move(at("/projects/team/notes"), at("/archive"))
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()

    notes = testapp.get("/projects/team/notes", headers=HTML, status=301)
    other = testapp.get("/projects/team/other", headers=HTML, status=301)

    assert moved_to(notes) == f"{SITE}/archive/notes"
    assert moved_to(other) == f"{SITE}/projects/crew/other"


def test_a_redirect_to_a_path_that_does_not_exist_there_either_ends_in_a_404(
    testapp, content, at, dbsession
):
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()

    response = testapp.get("/projects/team/nothing", headers=HTML, status=301)

    response.follow(headers=HTML, status=404)


# -- the methods ----------------------------------------------------------------


def test_head_answers_301(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    dbsession.flush()

    response = testapp.head(f"{API}/projects/handbook", status=301)

    assert moved_to(response) == f"{SITE}{API}/projects/manual"


@pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
def test_methods_with_a_body_get_308_so_the_body_is_sent_again(
    anonymous_app, bearer, staff_user, content, at, dbsession, method
):
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()
    headers = {**bearer(staff_user), "If-Match": '"1"'}
    send = getattr(anonymous_app, method.lower())

    response = send(
        f"{API}/projects/team/notes",
        params=b'{"title": "New"}',
        headers=headers,
        content_type="application/json",
        status=308,
    )

    assert moved_to(response) == f"{SITE}{API}/projects/crew/notes"


def test_a_form_posted_to_an_old_address_gets_308(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    dbsession.flush()

    response = testapp.post("/projects/handbook/@@rename", {"name": "x"}, status=308)

    assert moved_to(response) == f"{SITE}/projects/manual/@@rename"
    assert at("/projects/manual").name == "manual"


# -- until a node takes the path ---------------------------------------------------


def test_a_node_created_at_the_old_path_wins(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    content.add_document(at("/projects"), "handbook", "New handbook", "# Rewritten")
    dbsession.flush()

    response = testapp.get("/projects/handbook", headers=HTML, status=200)

    assert "Rewritten" in response.text


def test_once_the_new_node_is_deleted_the_old_redirect_does_not_come_back(
    testapp, content, at, dbsession
):
    content.rename(at("/projects/handbook"), "manual")
    newer = content.add_document(at("/projects"), "handbook", "New handbook", "# Rewritten")
    content.delete(newer)
    dbsession.flush()

    testapp.get("/projects/handbook", headers=HTML, status=404)
    testapp.get(f"{API}/projects/handbook", status=404)


def test_once_the_new_node_moves_away_the_old_path_follows_it(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    newer = content.add_document(at("/projects"), "handbook", "New handbook", "# Rewritten")
    content.move(newer, at("/archive"))
    dbsession.flush()

    response = testapp.get("/projects/handbook", headers=HTML, status=301)

    assert moved_to(response) == f"{SITE}/archive/handbook"


def test_paths_a_moved_folder_held_follow_the_folder_not_older_redirects(
    testapp, content, at, dbsession
):
    # /projects/team/notes left once; a new notes took its place, then its folder moved.
    content.move(at("/projects/team/notes"), at("/archive"))
    content.add_document(at("/projects/team"), "notes", "New notes", "Newer.")
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()

    response = testapp.get("/projects/team/notes", headers=HTML, status=301)

    assert moved_to(response) == f"{SITE}/projects/crew/notes"


def test_paths_a_deleted_folder_held_do_not_come_back(testapp, content, at, dbsession):
    content.move(at("/projects/team/notes"), at("/archive"))
    content.add_document(at("/projects/team"), "notes", "New notes", "Newer.")
    content.delete(at("/projects/team"))
    dbsession.flush()

    testapp.get("/projects/team/notes", headers=HTML, status=404)


# -- who may know ----------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "headers"), [("", HTML), (API, JSON)])
def test_a_node_moved_where_the_caller_may_not_view_it_is_a_404_like_any_missing_path(
    testapp, board_member, content, at, dbsession, prefix, headers
):
    content.move(at("/projects/handbook"), at("/private"))
    dbsession.flush()

    hidden = testapp.get(f"{prefix}/projects/handbook", headers=headers, status=404)
    allowed = board_member.get(f"{prefix}/projects/handbook", headers=headers, status=301)
    forget_redirects(dbsession)
    missing = testapp.get(f"{prefix}/projects/handbook", headers=headers, status=404)

    assert comparable(hidden) == comparable(missing)
    assert moved_to(allowed).endswith("/private/handbook")
    assert "private" not in hidden.text


@pytest.mark.parametrize("path", ["/projects/handbook", f"{API}/projects/handbook"])
def test_the_anonymous_are_answered_as_before_for_what_they_may_not_view(
    anonymous_app, content, at, dbsession, path
):
    content.rename(at("/projects/handbook"), "manual")
    dbsession.flush()

    moved = anonymous_app.get(path, headers=HTML, expect_errors=True)
    forget_redirects(dbsession)
    missing = anonymous_app.get(path, headers=HTML, expect_errors=True)

    assert moved.status_int in {302, 401}
    assert comparable(moved) == comparable(missing)


def test_the_anonymous_follow_a_node_everyone_may_view(anonymous_app, content, at, dbsession):
    content.rename(at("/public/flyer"), "leaflet")
    dbsession.flush()

    response = anonymous_app.get("/public/flyer", headers=HTML, status=301)

    assert moved_to(response) == f"{SITE}/public/leaflet"
    assert "Come along" in response.follow(headers=HTML).text


@pytest.mark.parametrize(("prefix", "headers"), [("", HTML), (API, JSON)])
def test_a_node_in_the_trash_is_a_404_like_any_missing_path(
    testapp, content, at, dbsession, prefix, headers
):
    content.rename(at("/projects/handbook"), "manual")
    content.delete(at("/projects/manual"))
    dbsession.flush()

    trashed = testapp.get(f"{prefix}/projects/handbook", headers=headers, status=404)
    forget_redirects(dbsession)
    missing = testapp.get(f"{prefix}/projects/handbook", headers=headers, status=404)

    assert comparable(trashed) == comparable(missing)


def test_a_node_restored_from_the_trash_is_redirected_to_again(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    entry = content.delete(at("/projects/manual"))
    content.trash.restore(entry.id)
    dbsession.flush()

    response = testapp.get("/projects/handbook", headers=HTML, status=301)

    assert moved_to(response) == f"{SITE}/projects/manual"


def test_a_purged_node_leaves_no_redirect(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    entry = content.delete(at("/projects/manual"))
    content.trash.purge(entry.id)
    dbsession.flush()

    testapp.get("/projects/handbook", headers=HTML, status=404)
    assert dbsession.scalars(select(Redirect)).all() == []


# -- what it costs ----------------------------------------------------------------


@pytest.mark.parametrize(("prefix", "headers"), [("", HTML), (API, JSON)])
def test_a_path_that_resolves_costs_nothing_more(
    testapp, content, at, dbsession, query_recorder, prefix, headers
):
    untouched = "/projects/team/notes"
    with query_recorder.record() as before:
        testapp.get(prefix + untouched, headers=headers, status=200)
    # Redirects from the very paths asked for exist, shadowed by the nodes now there.
    content.rename(at("/projects/team"), "crew")
    content.rename(at("/projects/crew"), "team")
    content.move(at("/projects/team/notes"), at("/archive"))
    content.move(at("/archive/notes"), at("/projects/team"))
    dbsession.flush()

    with query_recorder.record() as after:
        testapp.get(prefix + untouched, headers=headers, status=200)
    with query_recorder.record() as missing_view:
        testapp.get(prefix + untouched + "/@@no-such-view", headers=headers, status=404)

    tree = NAVIGATION_TREE if headers is HTML else 0
    assert len(after) == len(before) <= PATH_BUDGET + tree
    # Nothing was left over to be a node's old path: no look for a redirect.
    assert len(missing_view) <= PATH_BUDGET


@pytest.mark.parametrize(("prefix", "headers"), [("", HTML), (API, JSON)])
def test_a_missing_or_redirected_path_costs_one_query_more(
    testapp, content, at, dbsession, query_recorder, prefix, headers
):
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()

    with query_recorder.record() as found:
        testapp.get(prefix + "/projects/crew/notes", headers=headers, status=200)
    with query_recorder.record() as missing:
        testapp.get(prefix + "/projects/nothing/here", headers=headers, status=404)
    with query_recorder.record() as redirected:
        testapp.get(prefix + "/projects/team/notes", headers=headers, status=301)

    tree = NAVIGATION_TREE if headers is HTML else 0
    assert len(found) <= PATH_BUDGET + tree
    assert len(missing) == len(redirected) == len(found) - tree + LOOKUP <= PATH_BUDGET + LOOKUP


# -- hostile paths ------------------------------------------------------------------


def test_a_very_deep_path_below_an_old_one_is_redirected_whole(testapp, content, at, dbsession):
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()
    rest = "/".join(["x"] * 300)

    response = testapp.get(f"/projects/team/{rest}", headers=HTML, status=301)

    assert moved_to(response) == f"{SITE}/projects/crew/{rest}"


def test_a_very_long_segment_is_answered_like_any_other(testapp, content, at, dbsession):
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()
    long = "n" * 5000

    testapp.get(f"/projects/{long}", headers=HTML, status=404)
    moved = testapp.get(f"/projects/team/{long}", headers=HTML, status=301)

    assert moved_to(moved) == f"{SITE}/projects/crew/{long}"


@pytest.mark.parametrize("path", ["/projects/team/%FF", f"{API}/projects/team/%C3%28"])
def test_an_undecodable_old_path_is_still_refused(
    anonymous_app, bearer, staff_user, content, at, dbsession, path
):
    content.rename(at("/projects/team"), "crew")
    dbsession.flush()

    # A token, not a cookie, and JSON, not a page that sets the visitor's cookie:
    # WebTest cannot store a cookie for an undecodable URL.
    anonymous_app.get(path, headers={**bearer(staff_user), **JSON}, status=400)


def test_dot_segments_are_resolved_before_looking(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    dbsession.flush()

    response = testapp.get("/archive/../projects/./handbook", headers=HTML, status=301)

    assert moved_to(response) == f"{SITE}/projects/manual"


def test_routes_that_are_not_content_never_redirect(testapp, content, at, dbsession):
    content.rename(at("/projects/handbook"), "manual")
    dbsession.flush()

    testapp.get("/admin/groups/projects/handbook", status=404)
