"""Events through the JSON API and the generated forms: both go through ``request.content``."""

import datetime as dt

import pytest
from charter.testing.assertions import assert_problem
from sqlalchemy import func, select

from charter_events.models import Event

SITE = "http://example.com"
API = "/api/v1/content"
MEETING = {
    "@type": "Event",
    "title": "Board meeting",
    "description": "Quarterly figures.",
    "start": "2027-01-15T09:00",
    "end": "2027-01-15T10:30",
    "time_zone": "Europe/Berlin",
    "location": "Room 4",
}


def event_at(dbsession, path):
    """The event at ``path`` as the database now has it, or None."""
    dbsession.expire_all()
    return dbsession.scalars(select(Event).where(Event.path == path)).one_or_none()


def event_count(dbsession):
    """How many rows the add-on's table holds."""
    return dbsession.scalar(select(func.count()).select_from(Event))


def test_an_editor_posts_an_event_and_gets_its_json(anonymous_app, bearer, editor, dbsession):
    response = anonymous_app.post_json(f"{API}/events", MEETING, headers=bearer(editor), status=201)

    body = response.json
    assert response.location == f"{SITE}{API}/events/board-meeting"
    assert response.etag == "1"
    assert {key: body[key] for key in MEETING if key != "@type"} == {
        "title": "Board meeting",
        "description": "Quarterly figures.",
        "start": "2027-01-15T09:00:00+01:00",
        "end": "2027-01-15T10:30:00+01:00",
        "time_zone": "Europe/Berlin",
        "location": "Room 4",
    }
    assert (body["@type"], body["all_day"], body["version"]) == ("Event", False, 1)
    event = event_at(dbsession, "/events/board-meeting")
    assert event.starts_at == dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)
    assert event.ends_at == dt.datetime(2027, 1, 15, 9, 30, tzinfo=dt.UTC)
    assert event.created_by_id == editor.id


@pytest.mark.parametrize(
    ("day", "stored_hour", "offset"),
    [("2027-01-15", 8, "+01:00"), ("2027-07-15", 7, "+02:00")],
    ids=["winter", "summer"],
)
def test_nine_in_berlin_is_stored_as_eight_utc_in_winter_and_seven_in_summer(
    anonymous_app, bearer, editor, dbsession, day, stored_hour, offset
):
    meeting = {**MEETING, "start": f"{day}T09:00", "end": f"{day}T10:00"}

    body = anonymous_app.post_json(f"{API}/events", meeting, headers=bearer(editor)).json

    assert body["start"] == f"{day}T09:00:00{offset}"
    event = event_at(dbsession, "/events/board-meeting")
    assert event.starts_at == dt.datetime.fromisoformat(f"{day}T{stored_hour:02}:00:00+00:00")


def test_an_all_day_event_is_posted_and_read_with_dates(anonymous_app, bearer, editor):
    retreat = {"@type": "Event", "title": "Retreat", "start": "2027-03-01", "end": "2027-03-03"}

    body = anonymous_app.post_json(
        f"{API}/events", {**retreat, "all_day": True}, headers=bearer(editor), status=201
    ).json

    assert (body["start"], body["end"], body["all_day"]) == ("2027-03-01", "2027-03-03", True)
    again = anonymous_app.get(f"{API}/events/retreat", headers=bearer(editor)).json
    assert (again["start"], again["end"]) == ("2027-03-01", "2027-03-03")


@pytest.mark.parametrize(
    ("change", "pointer", "detail"),
    [
        ({"end": "2027-01-15T08:00"}, "/end", "the end must be after the start"),
        ({"time_zone": "Mars/Olympus"}, "/time_zone", "unknown time zone 'Mars/Olympus'"),
        ({"start": "2027-01-15"}, "/start", "give a date and a time"),
        ({"start": None}, "/start", "give a date or a date and time"),
        ({"location": "x" * 501}, "/location", "at most 500 characters"),
    ],
    ids=["end-before-start", "unknown-zone", "date-only", "null", "long-location"],
)
def test_bad_event_fields_are_a_problem_pointing_at_the_field_and_nothing_is_added(
    anonymous_app, bearer, editor, dbsession, change, pointer, detail
):
    response = anonymous_app.post_json(
        f"{API}/events", {**MEETING, **change}, headers=bearer(editor), status=400
    )

    body = assert_problem(response, 400, pointer)
    assert detail in next(e["detail"] for e in body["errors"] if e["pointer"] == pointer)
    assert event_count(dbsession) == 0


def test_a_reader_may_not_add_events_and_the_anonymous_must_log_in(
    anonymous_app, bearer, staff_user, events_folder, dbsession
):
    assert_problem(
        anonymous_app.post_json(f"{API}/events", MEETING, headers=bearer(staff_user), status=403),
        403,
    )
    refused = anonymous_app.post_json(f"{API}/events", MEETING, status=401)

    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert event_count(dbsession) == 0


def test_patching_only_the_zone_keeps_the_instant(anonymous_app, bearer, editor, dbsession):
    headers = bearer(editor)
    anonymous_app.post_json(f"{API}/events", MEETING, headers=headers)

    body = anonymous_app.patch_json(
        f"{API}/events/board-meeting",
        {"time_zone": "America/New_York"},
        headers={**headers, "If-Match": '"1"'},
    ).json

    assert (body["start"], body["version"]) == ("2027-01-15T03:00:00-05:00", 2)
    event = event_at(dbsession, "/events/board-meeting")
    assert event.starts_at == dt.datetime(2027, 1, 15, 8, 0, tzinfo=dt.UTC)


def test_patching_a_timed_event_to_all_day_keeps_its_days(anonymous_app, bearer, editor):
    headers = bearer(editor)
    anonymous_app.post_json(f"{API}/events", MEETING, headers=headers)

    body = anonymous_app.patch_json(
        f"{API}/events/board-meeting", {"all_day": True}, headers={**headers, "If-Match": '"1"'}
    ).json

    assert (body["start"], body["end"], body["all_day"]) == ("2027-01-15", "2027-01-15", True)


def test_a_patch_ending_before_the_start_changes_nothing(anonymous_app, bearer, editor, dbsession):
    headers = bearer(editor)
    anonymous_app.post_json(f"{API}/events", MEETING, headers=headers)

    response = anonymous_app.patch_json(
        f"{API}/events/board-meeting",
        {"end": "2027-01-14T10:00", "location": "Elsewhere"},
        headers={**headers, "If-Match": '"1"'},
        status=400,
    )

    assert_problem(response, 400, "/end")
    event = event_at(dbsession, "/events/board-meeting")
    assert (event.version, event.location) == (1, "Room 4")
    assert event.ends_at == dt.datetime(2027, 1, 15, 9, 30, tzinfo=dt.UTC)


def test_the_page_url_answers_json_to_clients_that_ask_for_it(testapp, add_event, events_folder):
    add_event(events_folder, "launch", "2027-05-04T18:00", "2027-05-04T20:00", location="Roof")

    as_json = testapp.get("/events/launch", headers={"Accept": "application/json"})
    as_html = testapp.get("/events/launch", headers={"Accept": "text/html"})

    assert as_json.content_type == "application/json"
    assert as_json.json["location"] == "Roof"
    assert as_json.json["@id"] == f"{SITE}{API}/events/launch"
    assert "Accept" in as_json.headers["Vary"]
    assert as_html.content_type == "text/html"
    assert as_html.html.select_one("#event-location").get_text() == "Roof"


def test_the_type_is_listed_with_its_json_schema(testapp):
    body = testapp.get("/api/v1/types/Event").json

    assert (body["title"], body["allowed_parents"], body["container"]) == (
        "Event",
        ["Folder"],
        False,
    )
    assert {"start", "end", "all_day", "time_zone", "location"} <= set(body["schema"]["properties"])


def test_deleting_an_event_moves_it_to_the_trash_and_purging_removes_its_row(
    anonymous_app, bearer, editor, dbsession
):
    headers = bearer(editor)
    anonymous_app.post_json(f"{API}/events", MEETING, headers=headers)

    deleted = anonymous_app.delete(
        f"{API}/events/board-meeting", headers={**headers, "If-Match": '"1"'}, status=204
    )

    anonymous_app.get(f"{API}/events/board-meeting", headers=headers, status=404)
    assert event_count(dbsession) == 1  # kept, restorable, in the trash
    entry = deleted.headers["Link"].split(";")[0].strip("<>")
    anonymous_app.delete(entry, headers=headers, status=204)
    assert event_count(dbsession) == 0


# -- the generated HTML forms (request.content.create and .update) --------------


def test_an_editor_adds_an_event_with_the_generated_form(client, editor, dbsession):
    app = client(editor)
    page = app.get("/events/@@add", params={"type": "Event"})
    form = page.forms["add-form"]
    assert page.html.select_one("#add-start")["type"] == "datetime-local"
    form["title"] = "Summer party"
    form["start"] = "2027-07-02T18:00"
    form["end"] = "2027-07-02T23:00"
    form["time_zone"] = "Europe/Berlin"
    form["location"] = "Garden"

    added = form.submit(status=303)

    assert added.location == f"{SITE}/events/summer-party"
    event_page = added.follow()
    assert event_page.html.select_one("#event-when").get_text() == (
        "Fri 02 Jul 2027, 18:00\N{EN DASH}23:00 CEST"
    )
    event = event_at(dbsession, "/events/summer-party")
    assert event.starts_at == dt.datetime(2027, 7, 2, 16, 0, tzinfo=dt.UTC)
    assert event.location == "Garden"


def test_the_add_form_shows_the_order_error_beside_the_end_and_keeps_the_input(
    client, editor, dbsession
):
    form = client(editor).get("/events/@@add", params={"type": "Event"}).forms["add-form"]
    form["title"] = "Backwards"
    form["start"] = "2027-07-02T18:00"
    form["end"] = "2027-07-02T17:00"

    page = form.submit(status=400)

    error = page.html.select_one("#add-end-error")
    assert "the end must be after the start" in error.get_text()
    assert page.forms["add-form"]["start"].value == "2027-07-02T18:00"
    assert event_count(dbsession) == 0


def test_the_edit_form_shows_local_times_and_saving_them_unchanged_changes_nothing(
    client, editor, add_event, events_folder, dbsession
):
    add_event(
        events_folder,
        "board",
        "2027-01-15T09:00",
        "2027-01-15T10:30",
        time_zone="Europe/Berlin",
    )
    app = client(editor)
    form = app.get("/events/board/@@edit").forms["edit-form"]
    assert (form["start"].value, form["end"].value) == ("2027-01-15T09:00", "2027-01-15T10:30")

    saved = form.submit(status=303).follow()

    assert "Nothing was changed." in saved.text
    assert event_at(dbsession, "/events/board").version == 1
