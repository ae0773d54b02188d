"""The add-on in German: its catalogue (the core's "charter" domain, merged by Pyramid)
covers its templates and the words its type brings, and the calendar reads German."""

import datetime as dt
import re
from pathlib import Path

from babel.dates import format_skeleton
from babel.messages.pofile import read_po
from charter.web.names import shown_words

CORE_LOCALE = Path(__file__).resolve().parents[3] / "src" / "charter" / "locale"
LOCALE = Path(__file__).resolve().parents[1] / "src" / "charter_events" / "locale"
GERMAN = {"Accept-Language": "de"}
GERMAN_MONTHS = {
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
}


def msgids(pot: Path) -> set:
    with pot.open("rb") as template:
        return {message.id for message in read_po(template)}


def test_every_word_of_the_event_type_is_in_a_catalogue(charter_app):
    known = msgids(CORE_LOCALE / "charter.pot") | msgids(LOCALE / "charter.pot")

    assert sorted(shown_words(charter_app.registry) - known) == []


def test_the_calendar_is_german(testapp, events_folder, add_event, now):
    start = (now + dt.timedelta(days=1)).replace(hour=9, minute=0)
    add_event(events_folder, "kick-off", start, start + dt.timedelta(hours=1))

    page = testapp.get("/events/@@calendar", headers=GERMAN)

    text = page.html.select_one("main").get_text(" ", strip=True)
    assert page.html.html["lang"] == "de"
    assert "Kalender von „Events“" in text
    assert "iCalendar-Feed (.ics)" in text
    assert not re.search(r"\bCalendar\b", text)
    # The month's heading in German, by Babel: "Dezember 2026".
    month = page.html.select_one(".calendar-month h2").get_text(strip=True)
    assert month == format_skeleton("yMMMM", start, locale="de")
    assert month.split()[0] in GERMAN_MONTHS
    # When, the German way: "Di., 1. Dez. 2026, 09:00 to 10:00 UTC" (an en dash between).
    when = page.html.select_one(".event-when").get_text(strip=True)
    day = format_skeleton("EEEddMMMy", start, locale="de")
    assert when == f"{day}, 09:00\N{EN DASH}10:00 UTC"


def test_an_all_day_event_is_ganztaegig_on_its_german_page(testapp, events_folder, add_event, now):
    day = (now + dt.timedelta(days=3)).date()
    add_event(events_folder, "offsite", day, day, all_day=True)

    german = testapp.get("/events/offsite", headers=GERMAN)
    english = testapp.get("/events/offsite")

    german_when = german.html.select_one("#event-when").get_text(strip=True)
    assert german_when == f"{format_skeleton('EEEddMMMy', day, locale='de')}, ganztägig"
    assert english.html.select_one("#event-when").get_text(strip=True) == (
        f"{day:%a %d %b %Y}, all day"
    )


def test_the_event_page_and_its_form_are_german(admin_app, events_folder):
    form = admin_app.get("/events/@@add?type=Event", headers=GERMAN)

    labels = [label.get_text(" ", strip=True) for label in form.html.select("form label")]
    assert form.html.select_one("h1").get_text(strip=True) == "Ereignis hinzufügen"
    assert {"Beginn * (Pflichtfeld)", "Ende * (Pflichtfeld)", "Ganztägig", "Ort"} <= set(labels)
    assert "Zeitzone" in labels
    menu = admin_app.get("/events", headers=GERMAN).html.select_one("#menu-view-calendar")
    assert menu.get_text(strip=True) == "Kalender"


def test_the_form_and_the_page_both_say_time_zone(admin_app, events_folder, add_event, now):
    day = (now + dt.timedelta(days=3)).date()
    add_event(events_folder, "offsite", day, day, all_day=True)

    form = admin_app.get("/events/@@add?type=Event")
    page = admin_app.get("/events/offsite")

    labels = [label.get_text(" ", strip=True) for label in form.html.select("form label")]
    assert "Time zone" in labels
    assert "Time Zone" not in form.text
    assert [dt.get_text(strip=True) for dt in page.html.select("dt")].count("Time zone") == 1
