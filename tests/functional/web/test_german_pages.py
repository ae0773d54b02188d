"""The key pages in German, asked for by the browser (Accept-Language) or chosen in the
language menu (the cookie): German words where the English ones were, none of the English
left, and moments, numbers and sizes written the German way."""

import re

import pytest

from charter.web.i18n import LANGUAGE_COOKIE

GERMAN = {"Accept-Language": "de-DE,de;q=0.9"}
# "30.11.2026, 21:47 UTC": CLDR's German date and time.
PAGE_RANGE = "1–1 von 1"  # noqa: RUF001 - a range's en dash
GERMAN_MOMENT = re.compile(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d UTC")


@pytest.fixture
def site(site_root, content, dbsession):
    """/teams (a folder) with /teams/notes (a document) in it."""
    teams = content.add_folder(site_root, "teams", "Teams", "Everyone, by place.")
    content.add_document(teams, "notes", "Meeting notes", "Some *text* here.")
    dbsession.flush()  # requests read through their own savepoint
    return teams


def main_text(page) -> str:
    """The words of the page's main part, one space between the texts of its elements."""
    return page.html.select_one("main").get_text(" ", strip=True)


# Each page: German it must show, English it must not (words the page showed in English).
PAGES = {
    "/": (
        ["Hinzufügen", "Dokument", "Ordner", "Freigabe", "Versionen", "Veröffentlicht"],
        ["Add", "Sharing", "History", "Published", "modified"],
    ),
    "/teams/@@contents": (
        ["Inhalt von „Teams“", "Alle auswählen", "Reihenfolge speichern", PAGE_RANGE],
        ["Contents of", "Select all", "Save order", "Move selected"],
    ),
    "/teams/notes": (
        ["Bearbeiten", "Umbenennen", "Verschieben", "Kopieren", "Löschen", "Status:"],
        ["Edit", "Rename", "Delete", "State:", "version 1"],
    ),
    "/teams/notes/@@edit": (
        ["„Meeting notes“ bearbeiten", "Titel", "Beschreibung", "Speichern", "Abbrechen"],
        ["Title", "Description", "Save", "Cancel", "(required)"],
    ),
    "/trash": (
        ["Papierkorb", "Der Papierkorb ist leer.", "Filtern", "Tage nach dem Löschen"],
        ["Trash", "The trash is empty", "Filter", "deleted for good"],
    ),
    "/teams/notes/@@history": (
        ["Versionen von „Meeting notes“", "Version 1", "aktuell"],
        ["History of", "Every change", "current"],
    ),
    "/@search?q=notes": (
        ["Suchbegriffe", "Reihenfolge", "Beste Treffer", "Ergebnis"],
        ["Words to find", "Best match", "result"],
    ),
    "/teams/@@sharing": (
        ["Wer was in „Teams“", "Hier erteilte Rollen", "Leser", "Alle Angemeldeten"],
        ["Who may do what", "Roles granted here", "Reader", "Everyone logged in"],
    ),
    "/account": (
        ["Ihre Angaben", "Passwort ändern", "Wo Sie angemeldet sind", "diese Sitzung"],
        ["Your details", "Change your password", "this session", "Unknown device"],
    ),
    "/admin/users": (
        ["Verwaltung", "Personen", "Konto anlegen", "aktiv"],
        ["Administration", "People", "Create an account", "active"],
    ),
}


@pytest.mark.parametrize("path", list(PAGES))
def test_key_pages_are_german_for_a_german_browser(admin_app, site, path):
    german, english = PAGES[path]

    page = admin_app.get(path, headers=GERMAN)

    assert page.html.html["lang"] == "de"
    text = main_text(page)
    assert [word for word in german if word not in text] == []
    assert [word for word in english if re.search(rf"\b{re.escape(word)}\b", text)] == []


def test_the_language_cookie_makes_pages_german_whatever_the_browser_says(admin_app, site):
    admin_app.set_cookie(LANGUAGE_COOKIE, "de")

    page = admin_app.get("/teams/@@contents", headers={"Accept-Language": "en"})

    assert page.html.html["lang"] == "de"
    assert "Inhalt von „Teams“" in main_text(page)
    assert page.html.select_one("#trash-link").get_text(strip=True) == "Papierkorb"


def test_the_login_page_is_german(anonymous_app, site_root):
    page = anonymous_app.get("/login", headers=GERMAN)

    form = page.html.select_one("#login-form")
    assert page.html.select_one("h1").get_text(strip=True) == "Anmelden"
    assert [label.get_text(strip=True) for label in form.select("label")] == [
        "Benutzername",
        "Passwort",
    ]
    assert page.html.title.get_text().startswith("Anmelden · ")


def test_moments_are_written_the_german_way(admin_app, site):
    english = admin_app.get("/teams/@@contents")
    german = admin_app.get("/teams/@@contents", headers=GERMAN)

    shown_in_english = english.html.select_one("td time").get_text()
    shown_in_german = german.html.select_one("td time").get_text()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", shown_in_english)
    assert GERMAN_MOMENT.fullmatch(shown_in_german)
    # The same moment: the machine-readable attribute does not change with the language.
    assert (
        english.html.select_one("td time")["datetime"]
        == (german.html.select_one("td time")["datetime"])
    )
    footer = german.html.select_one("main").get_text(" ", strip=True)
    assert "Zurück zu „Teams“" in footer


def test_numbers_and_sizes_are_written_the_german_way(admin_app, site):
    form = admin_app.get("/teams/@@upload", headers=GERMAN).forms["upload-form"]
    form["file"] = [("report.txt", b"x" * 1640, "text/plain")]
    form.submit(status=303, headers=GERMAN)

    german = admin_app.get("/teams/report.txt", headers=GERMAN)
    english = admin_app.get("/teams/report.txt")

    assert "Größe 1,6 KiB" in main_text(german)
    assert "Size 1.6 KiB" in main_text(english)


def test_a_content_type_is_added_without_its_english_article(admin_app, site):
    page = admin_app.get("/teams/@@add?type=Document", headers=GERMAN)

    assert page.html.select_one("h1").get_text(strip=True) == "Dokument hinzufügen"
    english = admin_app.get("/teams/@@add?type=Document")
    assert english.html.select_one("h1").get_text(strip=True) == "Add a Document"


def flashes(page) -> list[str]:
    return [message.get_text(strip=True) for message in page.html.select(".flash-message")]


def test_messages_after_a_change_are_german(admin_app, site):
    form = admin_app.get("/teams/notes/@@edit", headers=GERMAN).forms["edit-form"]
    form["title"] = "Protokoll"

    page = form.submit(headers=GERMAN, status=303).follow(headers=GERMAN)

    assert flashes(page) == ["„Protokoll“ wurde gespeichert."]


def test_a_plural_message_is_german(admin_app, site, content, dbsession):
    content.add_document(site, "agenda", "Agenda", "")
    dbsession.flush()
    confirm = admin_app.get("/teams/@@delete-items?item=notes&item=agenda", headers=GERMAN)

    done = confirm.forms["delete-form"].submit(headers=GERMAN, status=303).follow(headers=GERMAN)

    assert flashes(done) == ["2 Elemente in den Papierkorb verschoben."]


def test_error_pages_are_german(admin_app, site):
    page = admin_app.get("/teams/nothing-here", headers=GERMAN, status=404)

    assert page.html.select_one("h1").get_text(strip=True) == "Seite nicht gefunden"
    assert page.html.select_one(".error-page p").get_text(strip=True) == "Fehler 404"
