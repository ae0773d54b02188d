"""Folder listings (HTML and JSON) show only the children the caller may view.

The filter runs in the listing's own query (``node_viewers``), so paging by
cursor never leaves gaps or empty pages, and a filtered folder of 500
children costs the queries an unfiltered one of 3 costs (issue 2's budget).
"""

from urllib.parse import urlsplit

import pytest
import webtest

from charter.accounts.services import AccountService
from charter.security.principals import group_principal, user_principal
from charter.security.sharing import SharingService
from charter.testing.sessions import login_as

API = "/api/v1/content"
HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}
FOLDER_BUDGET = 5


@pytest.fixture
def sharing(dbsession):
    """The sharing service on the test session."""
    return SharingService(dbsession)


@pytest.fixture
def app_for(anonymous_app):
    """``app_for(user)``: a WebTest app of its own, logged in as ``user``."""

    def build(user):
        app = webtest.TestApp(anonymous_app.app, extra_environ=dict(anonymous_app.extra_environ))
        return login_as(app, user)

    return build


@pytest.fixture
def insiders(dbsession):
    """The group ``insiders`` (no members yet)."""
    group = AccountService(dbsession).create_group("insiders", "Insiders")
    dbsession.flush()  # sharing checks the group exists in the database
    return group


@pytest.fixture
def root_children(site_root, content, sharing, insiders, dbsession):
    """Below the root: /open (a folder), /insiders (blocks inheritance, Reader to the
    group ``insiders``) and /note (a document), in that order."""
    content.add_folder(site_root, "open", "Open folder")
    private = content.add_folder(site_root, "insiders", "Insiders only")
    content.add_document(private, "plans", "Secret plans", "Text.")
    content.add_document(site_root, "note", "A note", "Text.")
    sharing.update(private, {group_principal("insiders"): ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return site_root


@pytest.fixture
def people(make_user, insiders):
    """member (in insiders), outsider (in another group), admin (global Administrator)
    and auditor (global Reader only)."""
    return {
        "member": make_user("member", groups=["insiders"]),
        "outsider": make_user("outsider", groups=["other"]),
        "admin": make_user("admin", global_roles=["Administrator"]),
        "auditor": make_user("auditor", global_roles=["Reader"]),
    }


def json_names(app, path, **params):
    """Names of the items of one page of the folder at ``path`` in the JSON API."""
    return [item["name"] for item in app.get(API + path, params=params).json["items"]]


def html_titles(app, path):
    """Titles of the children listed on the folder page at ``path``."""
    page = app.get(path, headers=HTML)
    return [link.get_text(strip=True) for link in page.html.select("ul.children li a")]


EVERYTHING = ["open", "insiders", "note"]
VISIBLE_TO_STAFF = ["open", "note"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("member", EVERYTHING),
        ("outsider", VISIBLE_TO_STAFF),
        ("admin", EVERYTHING),
        ("auditor", EVERYTHING),
    ],
)
def test_the_json_listing_shows_what_the_caller_may_view(
    app_for, people, root_children, who, expected
):
    app = app_for(people[who])

    assert json_names(app, "/") == expected
    # The page URL asked for as JSON lists the same.
    accept_json = app.get("/", headers=JSON).json
    assert [item["name"] for item in accept_json["items"]] == expected


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("member", ["Open folder", "Insiders only", "A note"]),
        ("outsider", ["Open folder", "A note"]),
        ("admin", ["Open folder", "Insiders only", "A note"]),
    ],
)
def test_the_html_listing_shows_what_the_caller_may_view(
    app_for, people, root_children, who, expected
):
    app = app_for(people[who])

    page = app.get("/", headers=HTML)

    assert html_titles(app, "/") == expected
    assert ("Insiders only" in page.text) == ("Insiders only" in expected)


def test_the_default_policy_lists_everything_to_staff(testapp, root_children):
    assert json_names(testapp, "/") == VISIBLE_TO_STAFF


def test_a_folder_whose_children_are_all_hidden_looks_empty(
    app_for, people, root_children, content, sharing, dbsession
):
    box = content.add_folder(root_children, "box", "Box")
    secret = content.add_document(box, "secret", "Secret", "Text.")
    sharing.update(secret, {group_principal("insiders"): ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    outsider = app_for(people["outsider"])

    body = outsider.get(API + "/box").json
    page = outsider.get("/box", headers=HTML)

    assert body["items"] == []
    assert body["next"] is None
    assert page.html.select_one(".empty-folder") is not None
    assert "Secret" not in page.text
    assert json_names(app_for(people["member"]), "/box") == ["secret"]


def test_a_personal_grant_below_a_block_shows_that_child_only(
    app_for, people, root_children, content, sharing, dbsession
):
    box = content.add_folder(root_children, "box", "Box")
    content.add_document(box, "mine", "Mine", "Text.")
    content.add_document(box, "theirs", "Theirs", "Text.")
    sharing.update(box, {user_principal(people["outsider"].id): ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint

    assert json_names(app_for(people["outsider"]), "/box") == ["mine", "theirs"]
    app_for(people["member"]).get(API + "/box", status=404)


@pytest.fixture
def striped_folder(root_children, content, sharing, dbsession):
    """/striped holding c0..c9; c1, c2, c5 and c9 are visible to insiders only."""
    striped = content.add_folder(root_children, "striped", "Striped")
    hidden = {1, 2, 5, 9}
    for number in range(10):
        child = content.add_document(striped, f"c{number}", f"Child {number}", "Text.")
        if number in hidden:
            sharing.update(child, {group_principal("insiders"): ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint
    return [f"c{number}" for number in range(10) if number not in hidden]


def walk_pages(app, url):
    """Follow ``next`` from ``url``; the names on each page."""
    pages = []
    while url is not None:
        body = app.get(url).json
        pages.append([item["name"] for item in body["items"]])
        url = body["next"]
    return pages


@pytest.mark.parametrize("limit", [1, 2, 3, 4])
def test_cursor_paging_skips_hidden_children_without_gaps(app_for, people, striped_folder, limit):
    pages = walk_pages(app_for(people["outsider"]), f"{API}/striped?limit={limit}")

    names = [name for page in pages for name in page]
    assert names == striped_folder
    # Full pages until the last; never an empty page at the end.
    assert all(len(page) == limit for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= limit
    assert len(pages) == -(-len(striped_folder) // limit)


def test_cursor_paging_shows_a_member_every_child(app_for, people, striped_folder):
    pages = walk_pages(app_for(people["member"]), f"{API}/striped?limit=3")

    assert [name for page in pages for name in page] == [f"c{n}" for n in range(10)]
    assert [len(page) for page in pages] == [3, 3, 3, 1]


def test_html_paging_skips_hidden_children(app_for, people, striped_folder):
    outsider = app_for(people["outsider"])
    url = "/striped?limit=2"
    titles = []
    while url is not None:
        page = outsider.get(url, headers=HTML)
        titles += [link.get_text(strip=True) for link in page.html.select("ul.children li a")]
        next_link = page.html.select_one("a[rel=next]")
        url = None
        if next_link is not None:
            target = urlsplit(next_link["href"])
            url = f"{target.path}?{target.query}"

    assert titles == [f"Child {name[1:]}" for name in striped_folder]


@pytest.fixture
def filtered_folders_of_3_and_500(root_children, content, sharing, dbsession):
    """/few (3 documents) and /many (500): in each, every tenth child is for insiders."""
    for name, count in (("few", 3), ("many", 500)):
        folder = content.add_folder(root_children, name, name.title())
        for number in range(count):
            child = content.add_document(folder, f"d{number}", f"Document {number}", "Text.")
            if number % 10 == 1:
                sharing.update(child, {group_principal("insiders"): ["Reader"]}, inherit=False)
    dbsession.flush()  # requests read through their own savepoint


@pytest.mark.parametrize(
    ("prefix", "headers"),
    [
        pytest.param(API, JSON, id="api"),
        pytest.param("", HTML, id="html"),
        pytest.param("", JSON, id="accept-json"),
    ],
)
@pytest.mark.parametrize("who", ["outsider", "member"])
def test_a_filtered_folder_of_500_costs_what_one_of_3_costs(
    app_for, people, filtered_folders_of_3_and_500, query_recorder, prefix, headers, who
):
    app = app_for(people[who])

    with query_recorder.record() as few_queries:
        few = app.get(prefix + "/few", headers=headers)
    with query_recorder.record() as many_queries:
        many = app.get(prefix + "/many", headers=headers)

    assert few.status_int == many.status_int == 200
    shown = "Document 1" in few.text
    assert shown == (who == "member")
    assert "Document 0" in many.text
    assert "Document 48" in many.text
    assert len(many_queries) == len(few_queries)
    assert len(many_queries) <= FOLDER_BUDGET


def test_a_filtered_page_lists_a_full_page_of_visible_children(
    app_for, people, filtered_folders_of_3_and_500
):
    names = json_names(app_for(people["outsider"]), "/many")

    assert len(names) == 50
    assert "d1" not in names
    assert "d11" not in names
    assert names[:3] == ["d0", "d2", "d3"]
