"""An add-on's type gets revisions like the core's: every change of an event is kept, compared
and restorable, through the same API."""

API = "/api/v1/content"
MEETING = {
    "@type": "Event",
    "title": "Board meeting",
    "start": "2027-01-15T09:00",
    "end": "2027-01-15T10:30",
    "time_zone": "Europe/Berlin",
    "location": "Room 4",
    "@comment": "planned",
}


def test_an_event_has_a_history_that_restores(anonymous_app, bearer, editor):
    token = bearer(editor)
    anonymous_app.post_json(f"{API}/events", MEETING, headers=token, status=201)
    anonymous_app.patch_json(
        f"{API}/events/board-meeting",
        {"start": "2027-01-16T14:00", "end": "2027-01-16T15:00", "location": "Room 7"},
        headers={**token, "If-Match": '"1"'},
    )

    history = anonymous_app.get(f"{API}/events/board-meeting/@history", headers=token).json
    first = anonymous_app.get(f"{API}/events/board-meeting/@history/1", headers=token).json
    diff = anonymous_app.get(f"{API}/events/board-meeting/@history/1/@diff/2", headers=token).json
    restored = anonymous_app.post(
        f"{API}/events/board-meeting/@history/1/@restore", headers={**token, "If-Match": '"2"'}
    ).json

    assert [(item["number"], item["comment"]) for item in history["items"]] == [
        (2, ""),
        (1, "planned"),
    ]
    assert first["fields"] == {
        "title": "Board meeting",
        "description": "",
        "start": "2027-01-15T09:00:00+01:00",
        "end": "2027-01-15T10:30:00+01:00",
        "all_day": False,
        "time_zone": "Europe/Berlin",
        "location": "Room 4",
    }
    assert {field["name"]: field.get("new") for field in diff["fields"] if field["changed"]} == {
        "start": "2027-01-16T14:00:00+01:00",
        "end": "2027-01-16T15:00:00+01:00",
        "location": "Room 7",
    }
    assert (restored["start"], restored["location"], restored["version"]) == (
        "2027-01-15T09:00:00+01:00",
        "Room 4",
        3,
    )
