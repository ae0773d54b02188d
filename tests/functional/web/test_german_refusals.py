"""Refusals written by the services, in the reader's language: German on German pages (form
errors, flash messages, error pages), English with the values filled in through the JSON
API, and never a ``${name}`` placeholder anywhere."""

import pytest
import webtest

from charter import make_configurator
from charter.content.schemas import MAX_TITLE_LENGTH
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.testing.assertions import assert_problem
from charter.testing.sessions import login_as

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
API = "/api/v1/content"
# The upload limit of the app in ``small_limit_app``: 1.5 KiB (1,5 KiB in German).
SMALL_LIMIT = 1536
# What the upload check lets through beyond the limit before the form is read (tween).
MULTIPART_OVERHEAD = 64 * 1024


@pytest.fixture
def site(site_root, content, dbsession):
    """/teams (a folder) with /teams/notes (a published document) in it."""
    teams = content.add_folder(site_root, "teams", "Teams", "Everyone, by place.")
    content.add_document(teams, "notes", "Meeting notes", "Some *text* here.")
    dbsession.flush()  # requests read through their own savepoint
    return teams


@pytest.fixture
def admin_token(bearer, admin_user):
    """The Administrator's read-write API token."""
    return bearer(admin_user)


@pytest.fixture
def small_limit_api(charter_settings, charter_engine, db_connection, tmp_path):
    """WebTest over an app that accepts at most 1.5 KiB per file (not logged in)."""
    settings = {
        **charter_settings,
        "charter.blobs.max_upload_size": str(SMALL_LIMIT),
        "charter.blobs.path": str(tmp_path / "blobs"),
    }
    config = make_configurator(settings, environ={})
    yield webtest.TestApp(
        config.make_wsgi_app(),
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    config.registry["charter.db.engine"].dispose()


@pytest.fixture
def small_limit_app(small_limit_api, admin_user):
    """The Administrator logged in on the app of ``small_limit_api``."""
    return login_as(small_limit_api, admin_user)


def flashes(page) -> list[str]:
    return [message.get_text(strip=True) for message in page.html.select(".flash-message")]


def field_error(page, form, name):
    """The message shown beside the input ``name`` of the form with id prefix ``form``."""
    error = page.html.select_one(f"#{form}-{name}-error")
    return error.get_text(strip=True) if error else None


def assert_no_placeholder(text: str) -> None:
    assert "${" not in text
    assert "TranslationString" not in text


def add_form(app, folder="/teams", type_name="Document"):
    return app.get(f"{folder}/@@add", params={"type": type_name}, headers=GERMAN).forms["add-form"]


def test_an_empty_title_is_refused_in_german(admin_app, site):
    form = add_form(admin_app)
    form["title"] = "   "

    page = form.submit(headers=GERMAN, status=400)

    assert field_error(page, "add", "title") == "ein Titel ist erforderlich"
    assert_no_placeholder(page.text)


def test_a_too_long_title_is_refused_in_german_with_its_limit(admin_app, site):
    form = add_form(admin_app)
    form["title"] = "x" * (MAX_TITLE_LENGTH + 1)

    page = form.submit(headers=GERMAN, status=400)

    assert (
        field_error(page, "add", "title") == f"ein Titel hat höchstens {MAX_TITLE_LENGTH} Zeichen"
    )


def test_a_taken_name_is_refused_in_german(admin_app, site):
    form = add_form(admin_app)
    form["title"] = "Other notes"
    form["name"] = "notes"

    page = form.submit(headers=GERMAN, status=409)

    assert field_error(page, "add", "name") == "/teams enthält bereits ein Element namens 'notes'"


def test_a_bad_name_is_refused_in_german(admin_app, site):
    form = add_form(admin_app)
    form["title"] = "Notes"
    form["name"] = "@notes"

    page = form.submit(headers=GERMAN, status=400)

    assert field_error(page, "add", "name") == (
        "Namen, die mit „@“ oder „_“ beginnen, sind für Ansichten reserviert"
    )


def test_moving_into_the_same_folder_is_refused_in_german(admin_app, site):
    form = admin_app.get("/teams/notes/@@move", headers=GERMAN).forms["transfer-form"]
    form["destination"] = "/teams"

    page = form.submit(headers=GERMAN, status=400)

    assert field_error(page, "transfer", "destination") == "Bereits in „Teams“."


def test_moving_a_folder_into_itself_is_refused_in_german(admin_app, site, content, dbsession):
    content.add_folder(site, "inner", "Inner")
    dbsession.flush()
    form = admin_app.get("/teams/@@move", headers=GERMAN).forms["transfer-form"]
    form["destination"] = "/teams/inner"

    page = form.submit(headers=GERMAN, status=409)

    assert field_error(page, "transfer", "destination") == (
        "ein Ordner kann nicht in sich selbst oder in einen seiner Unterordner verschoben werden"
    )


def test_a_refused_transition_is_flashed_in_german(admin_app, site):
    page = admin_app.get("/teams/notes", headers=GERMAN)
    form = page.forms["transition-retract"]
    # Publish leads out of "pending", not out of "published", where the document is.
    form["transition"].force_value("publish")

    done = form.submit(headers=GERMAN, status=303).follow(headers=GERMAN)

    assert flashes(done) == [
        "Es wurde nichts geändert: „Veröffentlichen“ ist im Status „Veröffentlicht“ von "
        "/teams/notes nicht möglich."
    ]


def test_a_search_syntax_error_is_shown_in_german(admin_app, site):
    page = admin_app.get("/@search", {"q": '"unclosed'}, headers=GERMAN, status=400)

    error = page.html.select_one("#search-q-error").get_text(strip=True)
    assert error == 'einer Wortgruppe fehlt das schließende Anführungszeichen (")'


def test_a_too_large_upload_is_refused_in_german(small_limit_app, site):
    form = small_limit_app.get("/teams/@@upload", headers=GERMAN).forms["upload-form"]
    form["file"] = [("huge.bin", b"\x00" * (SMALL_LIMIT + MULTIPART_OVERHEAD + 1), "text/plain")]

    page = form.submit(headers=GERMAN, status=413)

    assert page.html.select_one(".error-page h1").get_text(strip=True) == "Zu groß"
    detail = page.html.select_one(".error-page .alert").get_text(strip=True)
    assert detail == "die hochgeladene Datei ist größer als die Grenze von 1,5 KiB"


def test_a_login_refusal_is_german(anonymous_app, site_root, staff_user):
    form = anonymous_app.get("/login", headers=GERMAN).forms["login-form"]
    form["login"] = staff_user.login
    form["password"] = "not the password"

    page = form.submit(headers=GERMAN, status=400)

    assert page.html.select_one("#login-error").get_text(strip=True) == (
        "Benutzername oder Passwort ist falsch."
    )


def test_the_same_pages_stay_english_for_an_english_browser(admin_app, site):
    form = admin_app.get("/teams/@@add", params={"type": "Document"}).forms["add-form"]
    form["title"] = "Other notes"
    form["name"] = "notes"

    page = form.submit(status=409)

    assert field_error(page, "add", "name") == "/teams already holds an item named 'notes'"


# -- the JSON API: English, the values filled in, whatever the browser asks for -------------


def test_the_api_answers_a_missing_title_in_english(anonymous_app, admin_token, site):
    response = anonymous_app.post_json(
        f"{API}/teams",
        {"@type": "Document", "title": " ", "body": 5},
        headers={**admin_token, **GERMAN},
        status=400,
    )

    problem = assert_problem(response, 400)
    assert sorted(problem["errors"], key=lambda error: error["pointer"]) == [
        {"pointer": "/body", "detail": "Input should be a valid string"},
        {"pointer": "/title", "detail": "a title is required"},
    ]
    assert_no_placeholder(response.text)


def test_the_api_answers_a_too_long_title_in_english_with_its_limit(
    anonymous_app, admin_token, site
):
    response = anonymous_app.post_json(
        f"{API}/teams",
        {"@type": "Document", "title": "x" * (MAX_TITLE_LENGTH + 1)},
        headers={**admin_token, **GERMAN},
        status=400,
    )

    problem = assert_problem(response, 400, "/title")
    assert problem["errors"][0]["detail"] == f"a title has at most {MAX_TITLE_LENGTH} characters"
    assert problem["detail"] == f"title: a title has at most {MAX_TITLE_LENGTH} characters"


def test_the_api_answers_a_taken_name_in_english(anonymous_app, admin_token, site):
    response = anonymous_app.post_json(
        f"{API}/teams",
        {"@type": "Document", "name": "notes", "title": "Other notes"},
        headers={**admin_token, **GERMAN},
        status=409,
    )

    problem = assert_problem(response, 409)
    assert problem["detail"] == "/teams already holds an item named 'notes'"


def test_the_api_answers_a_refused_transition_in_english(anonymous_app, admin_token, site):
    etag = anonymous_app.get(f"{API}/teams/notes", headers=admin_token).headers["ETag"]

    response = anonymous_app.post_json(
        f"{API}/teams/notes/@workflow/publish",
        {},
        headers={**admin_token, **GERMAN, "If-Match": etag},
        status=409,
    )

    problem = assert_problem(response, 409)
    assert problem["detail"] == "'Publish' cannot be taken from the state Published of /teams/notes"


def test_the_api_answers_a_search_syntax_error_in_english(anonymous_app, admin_token, site):
    response = anonymous_app.get(
        "/api/v1/search", {"q": "a OR"}, headers={**admin_token, **GERMAN}, status=400
    )

    problem = assert_problem(response, 400, "/q")
    assert problem["errors"][0]["detail"] == "OR must stand between two words or phrases"


def test_the_api_answers_a_too_large_upload_in_english(small_limit_api, admin_token, site):
    response = small_limit_api.post(
        f"{API}/teams",
        b"\x00" * (SMALL_LIMIT + 1),
        headers={**admin_token, **GERMAN, "Slug": "big.bin", "Content-Type": "text/plain"},
        status=413,
    )

    problem = assert_problem(response, 413)
    assert problem["detail"] == "the upload is larger than the limit of 1.5 KiB"


# -- a read-only API token on a page, and the webhooks' URL checks on the admin's page --------


def test_a_read_only_token_is_refused_in_german_on_a_page(anonymous_app, bearer, staff_user):
    page = anonymous_app.post(
        "/account/tokens",
        {"action": "create", "name": "more power", "scope": "read-write"},
        headers={**bearer(staff_user, scope="read"), **GERMAN},
        status=403,
    )

    detail = page.html.select_one(".error-page .alert").get_text(strip=True)
    assert detail == (
        "Dieses API-Token darf nur lesen; verwenden Sie ein Token mit Lese- und Schreibrecht, "
        "um Daten zu ändern."
    )


def test_the_api_refuses_a_read_only_token_in_english(anonymous_app, bearer, staff_user, site):
    response = anonymous_app.patch_json(
        f"{API}/teams/notes",
        {"title": "Changed"},
        headers={**bearer(staff_user, scope="read"), **GERMAN, "If-Match": '"1"'},
        status=403,
    )

    assert assert_problem(response, 403)["detail"] == (
        "This API token may only read; use a read-write token to change data."
    )


@pytest.mark.parametrize(
    ("url", "german"),
    [
        (
            "http://127.0.0.1/hook",
            "127.0.0.1 wird zu 127.0.0.1 aufgelöst, einer Loopback-, Link-Local- oder privaten "
            "Adresse; setzen Sie charter.webhooks.allow_private, um sie zu erlauben",
        ),
        ("ftp://partner.example/hook", "muss eine http- oder https-URL mit einem Host sein"),
        ("https://partner.example/" + "x" * 2000, "höchstens 2000 Zeichen"),
    ],
    ids=["private", "scheme", "long"],
)
def test_a_webhook_url_is_refused_in_german_beside_the_field(admin_app, site_root, url, german):
    form = admin_app.get("/admin/webhooks", headers=GERMAN).forms["create-webhook-form"]
    form["url"] = url

    page = form.submit(headers=GERMAN, status=400)

    assert field_error(page, "create", "url") == german


def test_the_api_refuses_a_webhook_url_in_english(anonymous_app, admin_token, site_root):
    response = anonymous_app.post_json(
        "/api/v1/webhooks",
        {"url": "http://127.0.0.1/hook"},
        headers={**admin_token, **GERMAN},
        status=400,
    )

    problem = assert_problem(response, 400, "/url")
    assert problem["errors"][0]["detail"] == (
        "127.0.0.1 resolves to 127.0.0.1, a loopback, link-local or private address; "
        "set charter.webhooks.allow_private to allow it"
    )
