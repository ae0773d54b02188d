"""A workflow an add-on registers (``config.add_workflow``) and gives to a type: its states'
permission changes apply in the security policy and in the listings' SQL, and a transition
that hides the node from the caller succeeds and says so (API and UI)."""

import pytest
import webtest
from pyramid.config import Configurator

from charter import DOMAINS
from charter.content.registry import types_of
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.sharing import SharingService
from charter.settings import parse_settings
from charter.testing.sessions import login_as
from charter.workflow import State, Transition, Workflow

# Editors write drafts and archive them; once archived, only Managers see them.
ARCHIVING = Workflow(
    name="archiving",
    title="Archiving",
    initial="draft",
    states=(
        State("draft", "Draft", revoke={"Reader": ["view"]}),
        State(
            "archived",
            "Archived",
            revoke={
                role: ["view", "edit", "submit"]
                for role in ("Reader", "Contributor", "Editor", "Reviewer", "Owner")
            },
        ),
    ),
    transitions=(
        Transition("archive", "Archive", ("draft",), "archived", "edit"),
        Transition("unarchive", "Bring back", ("archived",), "draft", "share"),
    ),
)


@pytest.fixture(scope="module")
def archiving_app(charter_settings, charter_engine):
    """The app with the archiving workflow given to Documents, as an add-on would."""
    config = Configurator(settings=parse_settings(charter_settings, environ={}))
    for domain in DOMAINS:
        config.include(domain)
    config.add_workflow(ARCHIVING)
    config.action(
        "test.archiving",
        lambda: types_of(config.registry).workflows.assign("Document", "archiving"),
    )
    config.commit()
    app = config.make_wsgi_app()
    yield app
    config.registry["charter.db.engine"].dispose()


@pytest.fixture
def app(archiving_app, db_connection):
    """WebTest over the archiving app, in the test's transaction."""
    return webtest.TestApp(
        archiving_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )


def add_plan(app, headers):
    app.post_json(
        "/api/v1/content/docs",
        {"@type": "Document", "name": "plan", "title": "Plan"},
        headers=headers,
    )


@pytest.fixture
def people(make_user, site_root, content, dbsession):
    """ed (Editor on /docs), mo (Manager on /docs)."""
    ed, mo = make_user("ed"), make_user("mo")
    docs = content.add_folder(site_root, "docs", "Docs")
    SharingService(dbsession).update(
        docs, {f"user:{ed.id}": ["Editor"], f"user:{mo.id}": ["Manager"]}
    )
    dbsession.flush()
    return {"ed": ed, "mo": mo}


def test_a_new_document_starts_in_the_addon_workflow(app, people, bearer):
    ed = bearer(people["ed"])
    add_plan(app, ed)
    info = app.get("/api/v1/content/docs/plan/@workflow", headers=ed).json
    assert info["workflow"] == "archiving"
    assert info["state"] == "draft"
    assert [t["name"] for t in info["transitions"]] == ["archive"]


def test_archiving_hides_the_node_from_the_editor_who_did_it(app, people, bearer):
    ed, mo = bearer(people["ed"]), bearer(people["mo"])
    add_plan(app, ed)
    version = app.get("/api/v1/content/docs/plan", headers=ed).headers["ETag"]

    response = app.post_json(
        "/api/v1/content/docs/plan/@workflow/archive", {}, headers={**ed, "If-Match": version}
    )

    assert response.status_int == 200
    assert response.json["to"] == "archived"
    assert response.json["visible"] is False
    assert response.json["node"] is None
    app.get("/api/v1/content/docs/plan", headers=ed, status=404)
    assert app.get("/api/v1/content/docs", headers=ed).json["items"] == []
    listed = app.get("/api/v1/content/docs", headers=mo).json["items"]
    assert [item["name"] for item in listed] == ["plan"]


def test_the_ui_goes_to_the_folder_with_a_message_when_the_node_is_hidden(app, people, bearer):
    add_plan(app, bearer(people["ed"]))
    ed = login_as(app, people["ed"])
    page = ed.get("/docs/plan")
    form = page.forms["transition-archive"]

    response = form.submit()

    assert response.status_int == 303
    assert response.location == "http://example.com/docs"
    folder = response.follow()
    assert "you can no longer see it" in folder.text
