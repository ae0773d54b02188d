"""The Markdown editor's live preview (POST <item>/@@markdown-preview) and the forms
that load the editor."""

from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.content.markdown import render_markdown
from charter.content.schemas import MAX_BODY_LENGTH
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing import strategies as hostile


@pytest.fixture
def docs(site_root, content, dbsession):
    """/docs holding the document /docs/guide, and /private that only administrators see."""
    folder = content.add_folder(site_root, "docs", "Docs")
    content.add_document(folder, "guide", "Guide", "# Start")
    private = content.add_folder(site_root, "private", "Private")
    content.add_document(private, "plan", "Plan", "Secret.")
    SharingService(dbsession).update(private, {}, inherit=False)
    dbsession.flush()
    return folder


@pytest.fixture
def editor(client, make_user, docs, dbsession):
    """WebTest logged in as an Editor of /docs."""
    user = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Editor"]})
    dbsession.flush()
    return client(user)


@pytest.fixture
def reader(client, make_user, docs, dbsession):
    """WebTest logged in as a Reader of /docs."""
    user = make_user("rita", "Rita Reader")
    SharingService(dbsession).update(docs, {user_principal(user.id): ["Reader"]})
    dbsession.flush()
    return client(user)


def csrf(app):
    """The session's CSRF token, from the form in the page header."""
    return app.get("/docs").html.select_one("input[name=csrf_token]")["value"]


def preview(app, path, text, **kwargs):
    """Ask for the preview of ``text`` at ``path`` with the session's token."""
    return app.post(path + "/@@markdown-preview", {"csrf_token": csrf(app), "text": text}, **kwargs)


def test_the_preview_is_the_html_a_save_stores(editor, dbsession):
    text = "# Plan\n\n**bold** and _it_\n\n| a | b |\n|:-|-:|\n| 1 | 2 |"

    answer = preview(editor, "/docs/guide", text)

    assert answer.content_type == "application/json"
    assert answer.json == {"html": render_markdown(text)}
    assert "<h2>Plan</h2>" in answer.json["html"]
    assert "<strong>bold</strong>" in answer.json["html"]
    form = editor.get("/docs/guide/@@edit").forms["edit-form"]
    form["body"] = text
    page = form.submit(status=303).follow()
    assert answer.json["html"] in page.text


def test_adding_to_a_folder_may_preview_there(editor):
    answer = preview(editor, "/docs", "*new*")

    assert answer.json == {"html": "<p><em>new</em></p>\n"}


def test_hostile_markdown_comes_back_sanitised(editor):
    text = (
        "<script>alert(1)</script>\n\n[click](javascript:alert(1)) <javascript:alert(2)> "
        '<img src=x onerror="alert(1)">\n\n[ok](https://example.org)'
    )

    html = preview(editor, "/docs/guide", text).json["html"]

    # Raw HTML is shown as the text typed; no javascript: address becomes a link.
    assert "<script" not in html
    assert "&lt;script&gt;" in html
    assert "<img" not in html
    assert 'href="javascript' not in html.lower()
    assert '<a href="https://example.org" rel="noopener noreferrer">ok</a>' in html


def test_a_reader_may_not_preview(reader):
    preview(reader, "/docs/guide", "hello", status=403)
    preview(reader, "/docs", "hello", status=403)


def test_what_the_caller_may_not_see_is_not_found(editor):
    preview(editor, "/private/plan", "hello", status=404)


def test_the_anonymous_are_sent_to_log_in(anonymous_app, docs):
    token = anonymous_app.get("/login").html.select_one("input[name=csrf_token]")["value"]
    answer = anonymous_app.post(
        "/docs/guide/@@markdown-preview", {"csrf_token": token, "text": "x"}, status=302
    )

    assert answer.location.startswith("http://example.com/login?came_from=")


def test_without_the_csrf_token_nothing_is_rendered(editor):
    answer = editor.post("/docs/guide/@@markdown-preview", {"text": "**x**"}, status=400)

    assert "<strong>x</strong>" not in answer.text
    editor.post("/docs/guide/@@markdown-preview", {"text": "x", "csrf_token": "forged"}, status=400)


def test_only_post_is_answered(editor):
    editor.get("/docs/guide/@@markdown-preview", status=404)


def test_a_text_longer_than_a_body_may_be_is_413(editor):
    answer = preview(editor, "/docs/guide", "a" * (MAX_BODY_LENGTH + 1), status=413)

    assert answer.content_type == "text/html"


def test_a_text_whose_html_would_be_too_large_is_413(editor):
    # One reference definition used many times repeats its long URL at each use.
    url = "https://example.org/" + "x" * 4000
    text = f"[r]: {url}\n\n" + "[r] " * 100_000

    preview(editor, "/docs/guide", text, status=413)


def test_a_body_over_the_input_limit_is_refused_before_it_is_read(editor, charter_app):
    limit = charter_app.registry.settings["charter.input.max_body_size"]
    huge = "a" * (limit + 1)

    editor.post(
        "/docs/guide/@@markdown-preview",
        {"csrf_token": csrf(editor), "text": huge},
        status=413,
    )


def test_nul_is_refused(editor):
    preview(editor, "/docs/guide", "a\x00b", status=400)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    text=st.one_of(
        hostile.hostile_text(max_size=200),
        st.text(alphabet=st.characters(max_codepoint=0x1F), max_size=200),
        st.just("[x]: /" + "y" * 300 + "\n\n" + "[x]" * 3000),
        st.just("> " * 5000 + "*" * 5000),
        st.just("- " * 3000 + "\n" + "`" * 3000),
    ),
    raw=st.one_of(st.none(), hostile.invalid_utf8()),
)
def test_hostile_text_is_previewed_or_refused_never_a_500(editor, text, raw):
    # Sent as raw form bytes: a lone surrogate becomes the invalid UTF-8 a client can send.
    encoded = raw if raw is not None else quote_from_bytes(text.encode("utf-8", "surrogatepass"))
    if isinstance(encoded, str):
        encoded = encoded.encode("ascii")
    answer = editor.post(
        "/docs/guide/@@markdown-preview",
        b"csrf_token=" + csrf(editor).encode() + b"&text=" + encoded,
        content_type="application/x-www-form-urlencoded",
        expect_errors=True,
    )

    assert answer.status_int in (200, 400, 413), answer.status
    if answer.status_int == 200:
        assert "<script" not in answer.json["html"]


def test_the_edit_form_loads_the_editor_and_works_without_it(editor):
    page = editor.get("/docs/guide/@@edit")

    scripts = [script["src"] for script in page.html.select("script[src]")]
    assert any(src.endswith("/editor.js") for src in scripts)
    offer = page.html.select_one(".md-draft-offer")
    assert offer.has_attr("hidden")
    assert offer["data-preview-url"] == "http://example.com/docs/guide/@@markdown-preview"
    assert offer["data-draft-scope"] == "http://example.com/docs/guide/@@edit"
    assert offer["data-draft-version"] == "1"
    assert page.html.select_one(".md-toolbar").has_attr("hidden")
    assert page.html.select_one(".md-preview-pane").has_attr("hidden")
    # The textarea is the one of old, inside the editor.
    assert page.html.select_one(".md-editor textarea#edit-body").get_text() == "# Start"
    # The description is plain text: no toolbar there.
    assert len(page.html.select(".md-toolbar")) == 1


def test_forms_without_markdown_do_not_load_the_editor(editor):
    page = editor.get("/docs/@@edit")

    scripts = [script["src"] for script in page.html.select("script[src]")]
    assert not any(src.endswith("/editor.js") for src in scripts)
    assert page.html.select_one(".md-draft-offer") is None


def test_the_add_form_keeps_drafts_under_its_type(editor):
    page = editor.get("/docs/@@add", params={"type": "Document"})

    offer = page.html.select_one(".md-draft-offer")
    assert offer["data-draft-scope"] == "http://example.com/docs/@@add?type=Document"
    assert offer["data-draft-version"] == "new"


def test_the_german_editor_speaks_german(editor):
    page = editor.get("/docs/guide/@@edit", headers={"Accept-Language": "de"})

    offer = page.html.select_one(".md-draft-offer")
    assert "Entwurf" in offer.select_one(".md-draft-restore").get_text()
    bold = page.html.select_one(".md-toolbar [data-md=bold]")
    assert bold.select_one(".visually-hidden").get_text() == "Fett"
    assert bold["title"] == "Fett (Strg+B)"
