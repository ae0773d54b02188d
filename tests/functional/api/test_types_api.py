"""``/api/v1/types``: the registered content types and the JSON Schemas of their fields."""

import re

import pytest
import webtest
from pydantic import Field

from charter import make_configurator
from charter.content.models import Folder
from charter.content.schemas import FolderFields
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.input.text import UNICODE_WHITESPACE, single_line_pattern
from charter.testing.assertions import assert_problem
from charter.testing.sessions import login_as

TYPES = "/api/v1/types"
# A title is one line of 1 to 500 characters once stripped: said as a pattern (a maxLength
# would count the whitespace that stripping removes); what it means is checked below.
TITLE_PATTERN = single_line_pattern(500, blank=False, whitespace=UNICODE_WHITESPACE)
# Any text but NUL, which no database column takes.
NO_NUL = "^[^\\x00]*$"
SITE = "http://example.com"

DOCUMENT = {
    "@id": f"{SITE}{TYPES}/Document",
    "name": "Document",
    "title": "Document",
    "icon": "file-earmark-text",
    "container": False,
    "allowed_parents": None,
    "allowed_children": None,
    "addable": True,
    "upload": False,
    "schema": {
        "title": "DocumentFields",
        "description": "A document's fields: its body is Markdown.",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": {
                "title": "Title",
                "description": "Shown everywhere",
                "type": "string",
                "pattern": TITLE_PATTERN,
            },
            "description": {
                "title": "Description",
                "type": "string",
                "default": "",
                "maxLength": 5000,
                "pattern": NO_NUL,
            },
            "body": {
                "title": "Body",
                "description": "Markdown",
                "type": "string",
                "default": "",
                "maxLength": 500000,
                "pattern": NO_NUL,
            },
        },
        "required": ["title"],
    },
}


class Shelf(Folder):
    """A test type of folder, as an add-on would declare one."""

    __mapper_args__ = {"polymorphic_identity": "TestShelf"}


class ShelfFields(FolderFields):
    """A shelf's fields: a folder's, and how many rows it has."""

    rows: int = Field(default=3, ge=1, le=12)


@pytest.fixture(scope="module")
def addon_router(charter_settings, charter_engine):
    """Charter with an add-on's ``TestShelf`` type registered."""
    config = make_configurator(charter_settings, environ={})
    config.add_content_type(
        "TestShelf",
        Shelf,
        ShelfFields,
        title="Shelf",
        allowed_parents=["Folder", "TestShelf"],
        allowed_children=["Document"],
        icon="bookshelf",
        addable=False,
    )
    yield config.make_wsgi_app()
    config.registry["charter.db.engine"].dispose()


def test_lists_every_registered_type_by_name(testapp):
    response = testapp.get(TYPES)

    assert response.content_type == "application/json"
    items = response.json["items"]
    assert [item["name"] for item in items] == ["Document", "File", "Folder"]
    assert items[0] == DOCUMENT


@pytest.mark.parametrize(
    ("title", "accepted"),
    [
        ("Guide", True),
        ("  Guide\u3000", True),
        ("x" * 500, True),
        (" " + "x" * 500 + " ", True),
        ("x" * 501, False),
        ("", False),
        ("   ", False),
        ("two\nlines", False),
        ("nul\x00", False),
    ],
)
def test_the_title_pattern_says_what_a_title_may_be(testapp, title, accepted):
    pattern = testapp.get(f"{TYPES}/Document").json["schema"]["properties"]["title"]["pattern"]

    assert (re.search(pattern, title) is not None) is accepted


def test_one_type_has_the_keys_it_has_in_the_list(testapp):
    listed = {item["name"]: item for item in testapp.get(TYPES).json["items"]}

    for name in ("Document", "File", "Folder"):
        assert testapp.get(f"{TYPES}/{name}").json == listed[name]


def test_a_folder_is_a_container_and_a_file_is_uploaded(testapp):
    folder = testapp.get(f"{TYPES}/Folder").json
    file = testapp.get(f"{TYPES}/File").json

    assert (folder["container"], folder["upload"], folder["icon"]) == (True, False, "folder")
    assert (file["container"], file["upload"]) == (False, True)
    assert sorted(file["schema"]["properties"]) == ["description", "title"]


def test_an_add_ons_type_is_listed_with_its_rules_and_schema(
    addon_router, db_connection, admin_user
):
    app = login_as(
        webtest.TestApp(
            addon_router,
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        ),
        admin_user,
    )

    shelf = app.get(f"{TYPES}/TestShelf").json

    assert [item["name"] for item in app.get(TYPES).json["items"]] == [
        "Document",
        "File",
        "Folder",
        "TestShelf",
    ]
    assert {key: value for key, value in shelf.items() if key != "schema"} == {
        "@id": f"{SITE}{TYPES}/TestShelf",
        "name": "TestShelf",
        "title": "Shelf",
        "icon": "bookshelf",
        "container": True,
        "allowed_parents": ["Folder", "TestShelf"],
        "allowed_children": ["Document"],
        "addable": False,
        "upload": False,
    }
    assert shelf["schema"]["properties"]["rows"] == {
        "title": "Rows",
        "type": "integer",
        "default": 3,
        "minimum": 1,
        "maximum": 12,
    }


def test_an_unknown_type_is_a_404_problem(testapp):
    response = testapp.get(f"{TYPES}/Spreadsheet", status=404)

    assert "Spreadsheet" in assert_problem(response, 404)["detail"]


@pytest.mark.parametrize("url", [TYPES, f"{TYPES}/Document"])
def test_the_anonymous_are_asked_to_log_in(anonymous_app, url):
    response = anonymous_app.get(url, status=401)

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="Charter"'


def test_a_read_token_may_read_the_types(anonymous_app, bearer, staff_user):
    response = anonymous_app.get(TYPES, headers=bearer(staff_user, "read"))

    assert len(response.json["items"]) == 3


@pytest.mark.parametrize("url", [TYPES, f"{TYPES}/Document"])
def test_types_cannot_be_changed_through_the_api(testapp, url):
    response = testapp.post_json(url, {"name": "Spreadsheet"}, status=405)

    assert_problem(response, 405)
    assert response.headers["Allow"] == "GET, HEAD"
