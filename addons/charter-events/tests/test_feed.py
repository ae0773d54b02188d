"""A folder's iCalendar feed: what calendar clients import, read back with ``icalendar``."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from charter.security.principals import user_principal
from charter.security.sharing import SharingService

BERLIN = ZoneInfo("Europe/Berlin")
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
FEED_URLS = ["/api/v1/content/events/@calendar.ics", "/events/@@calendar.ics"]


def vevents(response):
    """The VEVENTs of an iCalendar response, by UID."""
    calendar = icalendar.Calendar.from_ical(response.body)
    return {str(vevent["UID"]): vevent for vevent in calendar.walk("VEVENT")}


@pytest.fixture
def day(now):
    """A day three weeks ahead: the feed's events happen then."""
    return (now + 21 * DAY).date()


@pytest.fixture
def meeting(events_folder, add_event, day):
    """A meeting at 09:00-10:30 in Berlin, with a place and a description."""
    return add_event(
        events_folder,
        "meeting",
        f"{day}T09:00",
        f"{day}T10:30",
        title="Lunch; talks, drinks",
        time_zone="Europe/Berlin",
        location="Room 4, first floor",
        description="Bring slides.\nAnd questions.",
    )


@pytest.fixture
def retreat(events_folder, add_event, day):
    """A retreat on two whole days."""
    return add_event(events_folder, "retreat", day, day + DAY, all_day=True)


@pytest.mark.parametrize("url", FEED_URLS, ids=["api", "page"])
def test_the_feed_is_icalendar_with_a_vevent_per_event(testapp, meeting, retreat, url):
    response = testapp.get(url)

    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.body)
    assert str(calendar["PRODID"]) == "-//Charter//charter-events//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert set(vevents(response)) == {f"{meeting.uid}@charter", f"{retreat.uid}@charter"}


def test_a_timed_event_keeps_its_time_zone(testapp, meeting, day):
    response = testapp.get(FEED_URLS[0])
    vevent = vevents(response)[f"{meeting.uid}@charter"]

    assert vevent["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert vevent.decoded("DTSTART") == dt.datetime.combine(day, dt.time(9), tzinfo=BERLIN)
    assert vevent.decoded("DTEND") == dt.datetime.combine(day, dt.time(10, 30), tzinfo=BERLIN)
    timezones = icalendar.Calendar.from_ical(response.body).walk("VTIMEZONE")
    assert [str(timezone["TZID"]) for timezone in timezones] == ["Europe/Berlin"]


def test_an_event_carries_its_title_place_description_and_page(testapp, meeting):
    vevent = vevents(testapp.get(FEED_URLS[0]))[f"{meeting.uid}@charter"]

    assert str(vevent["SUMMARY"]) == "Lunch; talks, drinks"
    assert str(vevent["LOCATION"]) == "Room 4, first floor"
    assert str(vevent["DESCRIPTION"]) == "Bring slides.\nAnd questions."
    assert str(vevent["URL"]) == "http://example.com/events/meeting"
    assert vevent.decoded("SEQUENCE") == 0


def test_an_all_day_event_is_dates_ending_the_day_after_its_last(testapp, retreat, day):
    response = testapp.get(FEED_URLS[0])
    vevent = vevents(response)[f"{retreat.uid}@charter"]

    assert vevent["DTSTART"].params["VALUE"] == "DATE"
    assert vevent.decoded("DTSTART") == day
    assert vevent.decoded("DTEND") == day + 2 * DAY
    assert b"DTSTART;VALUE=DATE:" + f"{day:%Y%m%d}".encode() in response.body


def test_a_utc_event_is_written_in_utc(testapp, events_folder, add_event, now):
    event = add_event(events_folder, "call", now + DAY, now + DAY + HOUR)

    response = testapp.get(FEED_URLS[0])

    assert vevents(response)[f"{event.uid}@charter"].decoded("DTSTART") == now + DAY
    assert icalendar.Calendar.from_ical(response.body).walk("VTIMEZONE") == []


def test_the_feed_leaves_out_past_events_and_those_the_person_may_not_view(
    testapp, client, events_folder, add_event, make_user, dbsession, now
):
    add_event(events_folder, "over", now - 2 * HOUR, now - HOUR)
    secret = add_event(events_folder, "secret", now + DAY, now + DAY + HOUR)
    shown = add_event(events_folder, "shown", now + DAY, now + DAY + HOUR)
    insider = make_user("insider")
    SharingService(dbsession).update(
        secret, {user_principal(insider.id): ["Reader"]}, inherit=False
    )
    dbsession.flush()

    assert set(vevents(testapp.get(FEED_URLS[0]))) == {f"{shown.uid}@charter"}
    assert set(vevents(client(insider).get(FEED_URLS[0]))) == {
        f"{shown.uid}@charter",
        f"{secret.uid}@charter",
    }


def test_the_feed_costs_three_queries_however_many_events(
    testapp, events_folder, add_event, query_recorder, now
):
    for number in range(1, 6):
        add_event(events_folder, f"event-{number}", now + number * DAY, now + number * DAY + HOUR)

    with query_recorder.record() as queries:
        response = testapp.get(FEED_URLS[0])

    assert len(vevents(response)) == 5
    # The caller's identity, the folder's lineage, the events.
    assert len(queries) == 3


def test_an_empty_folder_has_an_empty_calendar(testapp, events_folder):
    calendar = icalendar.Calendar.from_ical(testapp.get(FEED_URLS[1]).body)

    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "Events"


def test_an_api_token_reads_the_feed_as_calendar_clients_and_scripts_do(
    anonymous_app, bearer, staff_user, meeting
):
    response = anonymous_app.get(FEED_URLS[0], headers=bearer(staff_user, scope="read"))

    assert set(vevents(response)) == {f"{meeting.uid}@charter"}


def test_the_anonymous_get_401_from_the_api_and_the_login_page_from_the_site(
    anonymous_app, events_folder
):
    refused = anonymous_app.get(FEED_URLS[0], status=401)
    redirected = anonymous_app.get(FEED_URLS[1], status=302)

    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="Charter"'
    assert refused.content_type == "application/problem+json"
    assert redirected.location.startswith("http://example.com/login?came_from=")


def test_a_document_has_no_calendar(testapp, events_folder, content, dbsession):
    content.add_document(events_folder, "notes", "Notes", "Some text.")
    dbsession.flush()

    testapp.get("/api/v1/content/events/notes/@calendar.ics", status=404)
    testapp.get("/events/notes/@@calendar.ics", status=404)
