"""A folder's calendar: its upcoming events, by month, only those the person may view."""

import datetime as dt

import pytest
from charter.security.principals import user_principal
from charter.security.sharing import SharingService

from charter_events.services import by_month, upcoming_events

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def first_of_next_month(moment):
    """Midnight (UTC) of the first day of the month after ``moment``'s."""
    return (moment.replace(day=1, hour=0, minute=0) + 32 * DAY).replace(day=1)


def months_shown(page):
    """Each month heading of a calendar page with the titles of the events listed under it."""
    return [
        (
            section.select_one("h2").get_text(strip=True),
            [a.get_text(strip=True) for a in section.select(".calendar-event a")],
        )
        for section in page.html.select(".calendar-month")
    ]


def titles_shown(page):
    """The titles of every event a calendar page lists, in order."""
    return [title for _, titles in months_shown(page) for title in titles]


@pytest.fixture
def bo(make_user):
    """``bo``, a member of the group ``board``."""
    return make_user("bo", groups=["board"])


@pytest.fixture
def board(bo, events_folder, content, dbsession):
    """/events/board, which only the group ``board`` may view."""
    folder = content.add_folder(events_folder, "board", "Board")
    SharingService(dbsession).update(folder, {"group:board": ["Reader"]}, inherit=False)
    dbsession.flush()
    return folder


def test_the_calendar_groups_upcoming_events_by_month_soonest_first(
    testapp, events_folder, add_event, now
):
    next_month = first_of_next_month(now)
    after_that = first_of_next_month(next_month)
    add_event(events_folder, "kick-off", next_month + 10 * DAY, next_month + 10 * DAY + HOUR)
    add_event(events_folder, "review", after_that + 3 * DAY, after_that + 3 * DAY + HOUR)
    add_event(events_folder, "planning", next_month + DAY, next_month + DAY + HOUR)

    page = testapp.get("/events/@@calendar")

    assert months_shown(page) == [
        (f"{next_month:%B %Y}", ["Planning", "Kick Off"]),
        (f"{after_that:%B %Y}", ["Review"]),
    ]
    assert page.html.select_one("#no-events") is None


def test_past_events_are_hidden_and_running_ones_shown(testapp, events_folder, add_event, now):
    add_event(events_folder, "yesterday", now - DAY - HOUR, now - DAY)
    add_event(events_folder, "just-ended", now - 2 * HOUR, now - HOUR)
    add_event(events_folder, "running", now - HOUR, now + HOUR)
    add_event(events_folder, "tomorrow", now + DAY, now + DAY + HOUR)

    assert titles_shown(testapp.get("/events/@@calendar")) == ["Running", "Tomorrow"]


def test_all_day_events_show_until_their_last_day_is_over(testapp, events_folder, add_event, now):
    today = now.date()
    add_event(events_folder, "fair", today - 2 * DAY, today, all_day=True)
    add_event(events_folder, "old-fair", today - 3 * DAY, today - 2 * DAY, all_day=True)

    page = testapp.get("/events/@@calendar")

    assert titles_shown(page) == ["Fair"]
    assert page.html.select_one(".event-when").get_text() == (
        f"{today - 2 * DAY:%a %d %b %Y} \N{EN DASH} {today:%a %d %b %Y}, all day"
    )


def test_events_beyond_the_days_the_calendar_covers_are_left_out(
    testapp, events_folder, add_event, now
):
    add_event(events_folder, "next-year", now + 364 * DAY, now + 364 * DAY + HOUR)
    add_event(events_folder, "far-off", now + 366 * DAY, now + 366 * DAY + HOUR)

    page = testapp.get("/events/@@calendar")

    assert titles_shown(page) == ["Next Year"]
    assert "for the next 365 days" in page.text


def test_events_in_subfolders_count_and_events_elsewhere_do_not(
    testapp, site_root, events_folder, content, add_event, now
):
    talks = content.add_folder(events_folder, "talks", "Talks")
    elsewhere = content.add_folder(site_root, "elsewhere", "Elsewhere")
    add_event(talks, "keynote", now + DAY, now + DAY + HOUR)
    add_event(elsewhere, "other", now + DAY, now + DAY + HOUR)
    # A sibling whose name starts like the folder's must not be taken for its subfolder.
    events_2 = content.add_folder(site_root, "events-2", "Events 2")
    add_event(events_2, "lookalike", now + DAY, now + DAY + HOUR)

    assert titles_shown(testapp.get("/events/@@calendar")) == ["Keynote"]
    assert titles_shown(testapp.get("/@@calendar")) == ["Keynote", "Other", "Lookalike"]


def test_events_across_time_zones_are_listed_in_the_order_they_happen(
    testapp, events_folder, add_event, now
):
    day = (now + 10 * DAY).date()
    # 08:30 in London (UTC in winter, UTC+1 in summer) comes after 09:00 in Berlin.
    add_event(events_folder, "london", f"{day}T08:30", f"{day}T09:30", time_zone="Europe/London")
    add_event(events_folder, "berlin", f"{day}T09:00", f"{day}T10:00", time_zone="Europe/Berlin")

    assert titles_shown(testapp.get("/events/@@calendar")) == ["Berlin", "London"]


def test_events_the_person_may_not_view_are_not_listed(
    client, testapp, admin_app, bo, board, events_folder, add_event, make_user, dbsession, now
):
    add_event(board, "budget", now + DAY, now + DAY + HOUR)
    add_event(events_folder, "open-day", now + 2 * DAY, now + 2 * DAY + HOUR)
    secret = add_event(events_folder, "surprise", now + 3 * DAY, now + 3 * DAY + HOUR)
    sam = make_user("sam")
    SharingService(dbsession).update(secret, {user_principal(sam.id): ["Reader"]}, inherit=False)
    dbsession.flush()

    assert titles_shown(testapp.get("/events/@@calendar")) == ["Open Day"]
    assert titles_shown(client(sam).get("/events/@@calendar")) == ["Open Day", "Surprise"]
    assert titles_shown(client(bo).get("/events/@@calendar")) == ["Budget", "Open Day"]
    # A site administrator's listing is not filtered.
    assert titles_shown(admin_app.get("/events/@@calendar")) == ["Budget", "Open Day", "Surprise"]


def test_an_empty_calendar_says_so(testapp, events_folder):
    page = testapp.get("/events/@@calendar")

    assert page.html.select_one("#no-events").get_text() == "No upcoming events."
    assert page.html.select_one("#feed-link")["href"] == "http://example.com/events/@@calendar.ics"


def test_only_those_who_may_add_events_are_offered_to(client, testapp, editor):
    assert testapp.get("/events/@@calendar").html.select_one("#add-event-link") is None

    link = client(editor).get("/events/@@calendar").html.select_one("#add-event-link")

    assert link["href"] == "http://example.com/events/@@add?type=Event"


def test_the_anonymous_are_sent_to_log_in(anonymous_app, events_folder):
    response = anonymous_app.get("/events/@@calendar", status=302)

    assert response.location.startswith("http://example.com/login?came_from=")


def test_a_folder_the_person_may_not_view_has_no_calendar_for_them(testapp, board):
    testapp.get("/events/board/@@calendar", status=404)


def test_the_calendar_costs_the_same_queries_for_one_event_or_many(
    testapp, events_folder, add_event, query_recorder, now
):
    add_event(events_folder, "first", now + DAY, now + DAY + HOUR)
    with query_recorder.record() as one_event:
        testapp.get("/events/@@calendar")
    for number in range(2, 7):
        add_event(events_folder, f"event-{number}", now + number * DAY, now + number * DAY + HOUR)

    with query_recorder.record() as six_events:
        page = testapp.get("/events/@@calendar")

    assert len(titles_shown(page)) == 6
    # The caller's identity, the folder's lineage, the events and the navigation tree beside
    # the page: whatever their number.
    assert len(six_events) == len(one_event) == 4


def test_the_event_page_says_when_and_where_and_links_to_the_calendar(
    testapp, events_folder, add_event
):
    add_event(
        events_folder,
        "board-meeting",
        "2027-01-15T09:00",
        "2027-01-15T10:30",
        time_zone="Europe/Berlin",
        location="Room 4",
        description="Quarterly figures.",
    )

    page = testapp.get("/events/board-meeting")

    assert page.html.select_one("h1").get_text() == "Board Meeting"
    assert page.html.select_one("#event-when").get_text() == (
        "Fri 15 Jan 2027, 09:00\N{EN DASH}10:30 CET"
    )
    assert page.html.select_one("#event-location").get_text() == "Room 4"
    assert page.html.select_one("#event-time-zone").get_text() == "Europe/Berlin"
    assert "Quarterly figures." in page.html.select_one(".lead").get_text()
    assert page.html.select_one("#calendar-link")["href"] == (
        "http://example.com/events/@@calendar"
    )


# -- the query behind the calendar ---------------------------------------------


def test_upcoming_events_stops_at_the_limit_with_the_soonest(
    dbsession, events_folder, add_event, now
):
    for number in (3, 1, 2):
        add_event(events_folder, f"in-{number}-days", now + number * DAY, now + number * DAY + HOUR)

    events = upcoming_events(
        dbsession, events_folder, now=now, until=now + 10 * DAY, viewers=None, limit=2
    )

    assert [event.name for event in events] == ["in-1-days", "in-2-days"]


def test_months_come_in_calendar_order_whatever_the_zones(dbsession, events_folder, add_event):
    # 23:30 UTC on 31 January is already 1 February in Berlin, and sorts first in UTC.
    february = add_event(
        events_folder,
        "february",
        "2027-01-31T23:30Z",
        "2027-02-01T02:00Z",
        time_zone="Europe/Berlin",
    )
    january = add_event(events_folder, "january", "2027-01-31T23:45", "2027-01-31T23:50")

    months = by_month([february, january])

    assert [(month.title, [e.name for e in month.events]) for month in months] == [
        ("January 2027", ["january"]),
        ("February 2027", ["february"]),
    ]


def test_a_folders_page_offers_its_calendar_in_the_menu(testapp, events_folder):
    page = testapp.get("/events")

    link = page.html.select_one("#menu-view-calendar")
    assert link.get_text(strip=True) == "Calendar"
    calendar = page.click(href=r"@@calendar$", description="Calendar")
    assert calendar.status_int == 200
    assert calendar.html.select_one(".calendar-month, #no-events, main") is not None


def test_a_document_offers_no_calendar(testapp, events_folder, content, dbsession):
    content.add_document(events_folder, "notes", "Notes", "")
    dbsession.flush()

    assert testapp.get("/events/notes").html.select_one("#menu-view-calendar") is None
