"""The UI in the person's language: their choice (the language menu), else the browser's
Accept-Language, else English; the German catalogue complete and compiled."""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from charter.web.i18n import LANGUAGE_COOKIE, LANGUAGES
from charter.web.names import shown_words

ROOT = Path(__file__).resolve().parents[3]
LOCALE = ROOT / "src" / "charter" / "locale"
EVENTS = ROOT / "addons" / "charter-events" / "src" / "charter_events"
# The sources each catalogue is extracted from (babel.cfg leaves the CLI out), and its locale
# folder.
CATALOGUES = [(LOCALE.parent, LOCALE), (EVENTS, EVENTS / "locale")]


def header_words(page):
    return {
        "lang": page.html.html["lang"],
        "trash": page.html.select_one("#trash-link").get_text(strip=True),
        "account": page.html.select_one("#account-link").get_text(strip=True),
        "logout": page.html.select_one("#logout").get_text(strip=True),
    }


def test_english_by_default(testapp, site_root):
    assert header_words(testapp.get("/")) == {
        "lang": "en",
        "trash": "Trash",
        "account": "My account",
        "logout": "Log out",
    }


def test_the_browsers_language_is_used_when_there_is_a_catalogue(testapp, site_root):
    page = testapp.get("/", headers={"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"})

    assert header_words(page) == {
        "lang": "de",
        "trash": "Papierkorb",
        "account": "Mein Konto",
        "logout": "Abmelden",
    }
    assert page.html.select_one(".site-navigation summary").get_text(strip=True) == "Ordner"
    menu = page.html.select_one("#user-menu summary")["aria-label"]
    assert menu == "Kontomenü von Sam Staff"


def test_a_language_without_a_catalogue_falls_back_to_english(testapp, site_root):
    page = testapp.get("/", headers={"Accept-Language": "fr-FR, ja;q=0.5"})

    assert header_words(page)["lang"] == "en"


def test_the_persons_choice_wins_over_the_browser(testapp, site_root):
    page = testapp.get("/account", headers={"Accept-Language": "de"})
    form = page.forms["language-form"]
    assert form["language"].value == "de"
    form["language"] = "en"

    back = form.submit(status=303)

    assert back.location == "http://example.com/account"
    assert LANGUAGE_COOKIE in testapp.cookies
    page = back.follow(headers={"Accept-Language": "de"})
    assert header_words(page)["account"] == "My account"


def test_visitors_choose_a_language_on_the_login_page(anonymous_app, site_root):
    form = anonymous_app.get("/login").forms["language-form"]
    form["language"] = "de"

    page = form.submit(status=303).follow()

    assert page.html.html["lang"] == "de"
    assert page.html.select_one(".skip-link").get_text(strip=True) == "Zum Inhalt springen"


@pytest.mark.parametrize("came_from", ["https://evil.example/", "//evil.example/x", "x", ""])
def test_the_language_menu_only_goes_back_to_this_site(anonymous_app, site_root, came_from):
    form = anonymous_app.get("/login").forms["language-form"]
    form["came_from"] = came_from
    form["language"] = "de"

    response = form.submit(status=303)

    assert response.location == "http://example.com/"


def test_an_unknown_language_is_refused(anonymous_app, site_root):
    form = anonymous_app.get("/login").forms["language-form"]
    form["language"].force_value("xx")

    form.submit(status=400)
    assert LANGUAGE_COOKIE not in anonymous_app.cookies


@pytest.mark.parametrize(("sources", "locale"), CATALOGUES, ids=["core", "events"])
def test_the_catalogue_template_is_up_to_date(tmp_path, sources, locale):
    """Every marked string is in the .pot: run pybabel extract again (as `make translations`
    does) and compare."""
    fresh = tmp_path / "charter.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(LOCALE / "babel.cfg"),
            "-o",
            str(fresh),
            "--no-location",
            "-k",
            "_",
            "-k",
            "plural:2,3",
            str(sources),
        ],
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as new, (locale / "charter.pot").open("rb") as kept:
        assert {m.id for m in read_po(new)} == {m.id for m in read_po(kept)}


def translations(messages) -> dict:
    """msgid to msgstr (tuples for plural forms), of every message but the header."""

    def plain(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {plain(m.id): plain(m.string) for m in messages if m.id}


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
@pytest.mark.parametrize(("sources", "locale"), CATALOGUES, ids=["core", "events"])
def test_each_catalogue_is_complete_and_compiled(language, sources, locale):
    """Every msgid of the .pot has a translation that is not fuzzy (plural forms: each of
    them), and the committed .mo holds exactly what the .po says."""
    with (locale / "charter.pot").open("rb") as template:
        wanted = {m.id for m in read_po(template) if m.id}
    folder = locale / language / "LC_MESSAGES"
    with (folder / "charter.po").open("rb") as source:
        catalogue = read_po(source)
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    translated = translations(catalogue)
    compiled = translations(read_mo(io.BytesIO((folder / "charter.mo").read_bytes())))

    assert fuzzy == []
    untranslated = [
        key
        for key in wanted
        if not translated.get(key) or (isinstance(key, tuple) and not all(translated[key]))
    ]
    assert untranslated == []
    assert {key: compiled.get(key) for key in wanted} == {key: translated[key] for key in wanted}


def test_every_word_the_data_brings_is_in_the_catalogue(charter_app):
    """Workflow states and transitions, type titles, field labels and help, roles,
    permissions, menu views: the templates translate them with _(value), so each must be a
    msgid (charter.web.names lists them for Babel)."""
    with (LOCALE / "charter.pot").open("rb") as template:
        msgids = {m.id for m in read_po(template)}

    assert sorted(shown_words(charter_app.registry) - msgids) == []
