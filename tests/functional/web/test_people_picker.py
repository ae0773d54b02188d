"""The people picker's answers (``@@principals``): who may ask, what they get, hostile text."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing import strategies as hostile

PICKER = "/secret/@@principals"


@pytest.fixture
def secret(site_root, content):
    """/secret: a folder below the root."""
    return content.add_folder(site_root, "secret", "Secret plans")


@pytest.fixture
def mia(secret, make_user, dbsession):
    """Mia holds Manager on /secret, so she may share it."""
    user = make_user("mia", "Mia Manager")
    SharingService(dbsession).update(secret, {user_principal(user.id): ["Manager"]})
    dbsession.flush()
    return user


@pytest.fixture
def picker(client, mia):
    return client(mia)


def names(response):
    return [(item["kind"], item["name"], item["title"]) for item in response.json["results"]]


def test_people_and_groups_by_login_name_or_title(picker, make_user):
    make_user("dan", "Dan Designer", groups=["design"])
    make_user("ada", "Ada Lovelace")
    make_user("bob", "Robert Desmond")

    found = picker.get(PICKER, params={"q": "DES"})

    assert found.content_type == "application/json"
    # Logins and names starting with the text first, then those containing it.
    assert names(found) == [
        ("group", "design", "Design"),
        ("user", "bob", "Robert Desmond"),
        ("user", "dan", "Dan Designer"),
    ]
    assert names(picker.get(PICKER, params={"q": "ad"})) == [("user", "ada", "Ada Lovelace")]
    dan = next(item for item in found.json["results"] if item["name"] == "dan")
    assert dan["principal"].startswith("user:")
    assert picker.get(PICKER, params={"q": "  "}).json == {"results": []}


def test_people_only_for_group_membership(picker, make_user):
    make_user("dan", "Dan Designer", groups=["design"])
    assert names(picker.get(PICKER, params={"q": "d", "kind": "user"})) == [
        ("user", "dan", "Dan Designer")
    ]


def test_no_email_addresses_and_no_deactivated_accounts(picker, make_user, dbsession):
    make_user("eve", "Eve Example")
    gone = make_user("evan", "Evan Gone")
    gone.active = False
    dbsession.flush()

    found = picker.get(PICKER, params={"q": "ev"})

    assert names(found) == [("user", "eve", "Eve Example")]
    assert "@" not in found.text
    # Addresses are not searched either, so they cannot be guessed letter by letter.
    assert picker.get(PICKER, params={"q": "example.com"}).json == {"results": []}


def test_like_wildcards_are_plain_text(picker, make_user):
    make_user("ann", "Ann 100% Sure")
    make_user("al_b", "Al B")
    make_user("alxb", "Alex B")

    assert names(picker.get(PICKER, params={"q": "%"})) == [("user", "ann", "Ann 100% Sure")]
    assert names(picker.get(PICKER, params={"q": "al_"})) == [("user", "al_b", "Al B")]
    assert picker.get(PICKER, params={"q": "\\"}).json == {"results": []}


def test_at_most_ten(picker, make_user):
    for number in range(15):
        make_user(f"temp{number:02}", f"Temp {number}")
    found = picker.get(PICKER, params={"q": "temp"}).json["results"]
    assert [item["name"] for item in found] == [f"temp{number:02}" for number in range(10)]


def test_only_for_those_who_may_share(client, make_user, anonymous_app, mia):
    reader = make_user("rita", "Rita Reader")
    client(reader).get("/@@principals", params={"q": "mi"}, status=403)
    response = anonymous_app.get("/@@principals", params={"q": "mi"}, expect_errors=True)
    assert response.status_int in (302, 303, 401, 403)
    assert "Mia" not in response.text


@given(query=st.one_of(hostile.query_strings(("q", "kind")), st.just("q=" + "a" * 100_000)))
def test_hostile_queries_never_fail(picker, query):
    response = picker.get(f"{PICKER}?{query}", expect_errors=True)
    assert response.status_int in (200, 400, 414), response
    if response.status_int == 200:
        assert len(response.json["results"]) <= 10


def test_the_pages_load_the_picker_and_keep_their_forms(picker, admin_app, make_user):
    page = picker.get("/secret/@@sharing")
    box = page.html.select_one("#sharing-q")
    assert box["data-picker-url"] == "http://example.com/secret/@@principals"
    scripts = [script["src"] for script in page.html.select("script")]
    assert any(src.endswith("/picker.js") for src in scripts)
    assert all(script.get_text(strip=True) == "" for script in page.html.select("script"))
    # Without the script, the search form and its Add buttons are all there is.
    assert page.html.select("input[name=add]") == []

    make_user("dan", "Dan Designer", groups=["design"])
    group = admin_app.get("/admin/groups/design")
    assert group.html.select_one("#member-picker").has_attr("hidden")
    assert group.html.select_one("#member-picker-q").get("name") is None
    assert group.html.select_one("#edit-members").get_text() == "dan"


def test_the_answer_costs_the_same_for_3_or_60_matches(picker, make_user, query_recorder):
    for number in range(3):
        make_user(f"few{number}", f"Few {number}", groups=["few-group"])
    for number in range(60):
        make_user(f"many{number:02}", f"Many {number}", groups=[f"many-group-{number % 20}"])
    counts = {}
    for text in ("few", "many"):
        with query_recorder.record() as queries:
            picker.get(PICKER, params={"q": text})
        searches = [statement for statement in queries if " LIKE " in statement.upper()]
        # One for people, one for groups, each stopping at its LIMIT.
        assert len(searches) == 2
        assert all("LIMIT" in statement.upper() for statement in searches)
        counts[text] = len(queries)
    assert counts["few"] == counts["many"]
