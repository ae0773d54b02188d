"""The upload form as charter.js sends it (XMLHttpRequest, for the progress bar): success is
answered with where to go, so the "uploaded" message waits for that page; refusals are the
same re-shown form or error page the plain form gets, whose messages the script shows."""

import pytest
from sqlalchemy import select

from charter.content.models import File
from charter.security.principals import user_principal
from charter.security.sharing import SharingService

SITE = "http://example.com"
XHR = {"X-Requested-With": "XMLHttpRequest"}


@pytest.fixture
def editor(client, make_user, site_root, content, dbsession):
    """Eddie (Editor on the site) logged in, and an empty /docs."""
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    content.add_folder(site_root, "docs", "Docs")
    dbsession.flush()  # requests read through their own savepoint
    return client(eddie)


def send(app, files, headers, status, **fields):
    """The upload form of /docs sent with ``files`` ((name, bytes) pairs) and ``headers``."""
    form = app.get("/docs/@@upload").forms["upload-form"]
    form["file"] = [(name, data, "text/plain") for name, data in files]
    for name, value in fields.items():
        form[name] = value
    return form.submit(headers=headers, status=status)


def test_the_page_holds_the_drop_zone_and_progress_bar_hidden_until_the_script_runs(editor):
    page = editor.get("/docs/@@upload")

    assert page.html.select_one("#upload-drop").has_attr("hidden")
    assert page.html.select_one("#upload-progress-area").has_attr("hidden")
    form = page.html.select_one("#upload-form")
    assert form["data-failed"] == "The upload failed (error ${status}); nothing was uploaded."
    assert form["data-offline"] == "The connection was lost; nothing was uploaded."
    # The script is a file of this site (the policy allows no inline script).
    assert not [s for s in page.html.select("script") if not s.get("src")]


def test_a_scripted_upload_is_answered_with_the_folder_and_the_message_waits_for_it(
    editor, dbsession
):
    answer = send(editor, [("notes.txt", b"Minutes.\n")], XHR, 200)

    assert answer.json == {"location": SITE + "/docs"}
    assert dbsession.scalars(select(File.title).where(File.path == "/docs/notes.txt")).all() == [
        "notes.txt"
    ]
    folder = editor.get("/docs")
    assert [m.get_text(strip=True) for m in folder.html.select(".flash-message")] == [
        "File “notes.txt” was uploaded."
    ]


def test_a_scripted_upload_refused_gets_the_form_with_its_errors(editor, dbsession):
    page = send(editor, [("a.txt", b"A\n"), ("b.txt", b"B\n")], XHR, 400, title="One title")

    assert page.content_type == "text/html"
    assert page.html.select_one("#upload-title-error").get_text(strip=True) == (
        "A title can only be given when uploading one file."
    )
    assert dbsession.scalars(select(File.id)).all() == []


def test_the_plain_form_still_redirects(editor):
    answer = send(editor, [("notes.txt", b"Minutes.\n")], {}, 303)

    assert answer.location == SITE + "/docs"
