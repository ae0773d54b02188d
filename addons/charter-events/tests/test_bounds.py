"""Events at the edges of what the databases store, and other hostile fields (issue 7).

Every database stores an event's instants in UTC between 1000-01-01 and
9999-12-31 (MariaDB's DATETIME); Python's datetimes end at the years 1 and
9999 and overflow when an offset or a time zone pushes a moment past them.
Whatever is sent, the answer is a 400 naming the field and nothing is stored.
"""

import datetime as dt

import pytest
from charter.testing.assertions import assert_problem
from sqlalchemy import func, select

from charter_events.models import Event

API = "/api/v1/content"
BEFORE = "is before 1000-01-01T00:00:00Z"
AFTER = "is after 9999-12-31T23:59:59.999999Z"
# In the year 1000 Tokyo kept local mean time, 9:18:59 ahead of UTC.
TOKYO = "Asia/Tokyo"
# 14 hours ahead of UTC, the furthest any zone is.
KIRITIMATI = "Pacific/Kiritimati"


def event_count(dbsession):
    """How many rows the add-on's table holds."""
    dbsession.expire_all()
    return dbsession.scalar(select(func.count()).select_from(Event))


def post(anonymous_app, headers, status, **fields):
    """POST an event with ``fields`` to /events; the response, which must have ``status``."""
    body = {"@type": "Event", "title": "Edge", **fields}
    return anonymous_app.post_json(f"{API}/events", body, headers=headers, status=status)


@pytest.mark.parametrize(
    ("fields", "pointer", "problem"),
    [
        # The finding: an offset takes the first day of the year 1000 back into 999.
        ({"start": "1000-01-01T00:00+14:00", "end": "1000-01-01T01:00+14:00"}, "/start", BEFORE),
        ({"start": "0001-01-01T00:00+14:00", "end": "2027-01-01T00:00Z"}, "/start", BEFORE),
        ({"start": "0001-01-01T00:00-14:00", "end": "2027-01-01T00:00Z"}, "/start", BEFORE),
        ({"start": "0999-12-31T23:59:59Z", "end": "2027-01-01T00:00Z"}, "/start", BEFORE),
        ({"start": "2027-01-01T00:00Z", "end": "9999-12-31T23:59:59-14:00"}, "/end", AFTER),
        ({"start": "2027-01-01T00:00Z", "end": "9999-12-31T23:59:59.999999-00:01"}, "/end", AFTER),
        # Wall-clock times, read in the event's zone.
        (
            {"start": "1000-01-01T00:00", "end": "1000-01-01T10:00", "time_zone": TOKYO},
            "/start",
            BEFORE,
        ),
        (
            {
                "start": "2027-01-01T00:00",
                "end": "9999-12-31T23:00",
                "time_zone": "America/New_York",
            },
            "/end",
            AFTER,
        ),
        # All-day events are stored from midnight of the first day to midnight after the last.
        (
            {"start": "1000-01-01", "end": "1000-01-02", "all_day": True, "time_zone": TOKYO},
            "/start",
            BEFORE,
        ),
        ({"start": "2027-01-01", "end": "9999-12-31", "all_day": True}, "/end", "9999"),
        # A moment the databases store, but past the year 9999 on the event's own clocks.
        (
            {"start": "9999-12-31T20:00Z", "end": "9999-12-31T21:00Z", "time_zone": KIRITIMATI},
            "/start",
            f"after the year 9999 in {KIRITIMATI}",
        ),
        # Not ISO 8601 dates Python can hold at all.
        ({"start": "10000-01-01T00:00Z", "end": "2027-01-01T00:00Z"}, "/start", "give a date"),
        ({"start": "0000-01-01", "end": "2027-01-01", "all_day": True}, "/start", "give a date"),
        ({"start": "2027-01-01T00:00+24:00", "end": "2027-01-01T01:00Z"}, "/start", "give a date"),
    ],
)
def test_moments_no_database_can_store_are_refused_naming_the_field(
    anonymous_app, bearer, editor, dbsession, fields, pointer, problem
):
    response = post(anonymous_app, bearer(editor), 400, **fields)

    body = assert_problem(response, 400, pointer)
    details = [error["detail"] for error in body["errors"] if error["pointer"] == pointer]
    assert any(problem in detail for detail in details), details
    assert event_count(dbsession) == 0


@pytest.mark.parametrize(
    ("fields", "starts_at", "ends_at"),
    [
        (
            {"start": "1000-01-01T00:00Z", "end": "1000-01-01T00:00:00.000001Z"},
            dt.datetime(1000, 1, 1, tzinfo=dt.UTC),
            dt.datetime(1000, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
        ),
        (
            {"start": "9999-12-31T23:00+14:00", "end": "9999-12-31T23:59:59.999999Z"},
            dt.datetime(9999, 12, 31, 9, 0, tzinfo=dt.UTC),
            dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
        ),
        (
            {"start": "1000-01-01", "end": "9999-12-30", "all_day": True},
            dt.datetime(1000, 1, 1, tzinfo=dt.UTC),
            dt.datetime(9999, 12, 31, tzinfo=dt.UTC),
        ),
        (
            {"start": "1000-01-01T14:00+14:00", "end": "9999-12-31T09:59:59-14:00"},
            dt.datetime(1000, 1, 1, tzinfo=dt.UTC),
            dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        ),
    ],
    ids=["first-moment", "last-moment", "all-day-widest", "offsets"],
)
def test_the_first_and_last_storable_moments_are_kept_and_read_back(
    anonymous_app, bearer, editor, dbsession, fields, starts_at, ends_at
):
    headers = bearer(editor)

    created = post(anonymous_app, headers, 201, **fields).json

    event = dbsession.scalars(select(Event)).one()
    assert (event.starts_at, event.ends_at) == (starts_at, ends_at)
    again = anonymous_app.get(f"{API}{created['path']}", headers=headers).json
    assert (again["start"], again["end"]) == (created["start"], created["end"])


def test_changing_only_the_zone_to_one_past_the_year_9999_is_refused(
    anonymous_app, bearer, editor, dbsession
):
    headers = bearer(editor)
    post(anonymous_app, headers, 201, start="9999-12-31T20:00Z", end="9999-12-31T21:00Z")

    response = anonymous_app.patch_json(
        f"{API}/events/edge",
        {"time_zone": KIRITIMATI},
        headers={**headers, "If-Match": '"1"'},
        status=400,
    )

    body = assert_problem(response, 400, "/start")
    assert f"after the year 9999 in {KIRITIMATI}" in body["errors"][0]["detail"]
    event = dbsession.scalars(select(Event)).one()
    assert (event.version, event.time_zone) == (1, "UTC")


def test_the_add_form_shows_the_range_beside_the_start_and_keeps_the_input(
    client, editor, dbsession
):
    form = client(editor).get("/events/@@add", params={"type": "Event"}).forms["add-form"]
    form["title"] = "Too early"
    form["start"] = "1000-01-01T00:00"
    form["end"] = "1000-01-01T10:00"
    form["time_zone"] = TOKYO

    page = form.submit(status=400)

    assert BEFORE in page.html.select_one("#add-start-error").get_text()
    assert page.forms["add-form"]["start"].value == "1000-01-01T00:00"
    assert event_count(dbsession) == 0


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"time_zone": "Europe/" + "x" * 100_000}, "/time_zone"),
        ({"time_zone": "../../../etc/passwd"}, "/time_zone"),
        ({"time_zone": "Europe/Berlin\x00"}, "/time_zone"),
        ({"location": "x" * 100_000}, "/location"),
        ({"location": "\U0001f600" * 501}, "/location"),
        ({"location": "Room\x004"}, "/location"),
        ({"location": "Room \ud800"}, "/location"),
        ({"title": "x" * 100_000}, "/title"),
        ({"all_day": "maybe"}, "/all_day"),
        ({"start": ["2027-01-15T09:00"]}, "/start"),
        ({"end": 1e300}, "/end"),
    ],
    ids=[
        "huge-zone",
        "path-zone",
        "nul-zone",
        "huge-location",
        "emoji-location",
        "nul-location",
        "surrogate-location",
        "huge-title",
        "word-for-all-day",
        "list-start",
        "huge-number-end",
    ],
)
def test_hostile_fields_are_a_problem_naming_the_field(
    anonymous_app, bearer, editor, dbsession, change, pointer
):
    fields = {"start": "2027-01-15T09:00", "end": "2027-01-15T10:00", **change}

    response = post(anonymous_app, bearer(editor), 400, **fields)

    assert_problem(response, 400, pointer)
    assert event_count(dbsession) == 0


def test_an_all_day_event_ending_before_it_starts_is_refused_at_the_edges(
    anonymous_app, bearer, editor, dbsession
):
    response = post(
        anonymous_app, bearer(editor), 400, start="9999-12-30", end="1000-01-01", all_day=True
    )

    body = assert_problem(response, 400, "/end")
    assert body["errors"][0]["detail"] == "an all-day event cannot end before the day it starts"
    assert event_count(dbsession) == 0
