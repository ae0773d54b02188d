"""Hostile events (issue 7), generated with Charter's public strategies.

Whatever an Event's fields hold (moments at and past the years 1, 1000 and
9999, offsets up to ±23:59, naive times, malformed text, values of the wrong
JSON type, unknown and unstorable time zones and locations), the editing
service answers with a domain error or stores the event, and the API answers
without a 5xx: a refusal is a problem document naming the field, and stores
nothing. Every view the add-on registers gets hostile query strings.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from charter.content.registry import types_of
from charter.content.services import ContentService
from charter.errors import CharterError
from charter.testing import strategies as hostile
from charter.tree.models import Node
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from charter_events.models import Event

API = "/api/v1/content"
EVENT = {
    "@type": "Event",
    "title": "Board meeting",
    "start": "2027-01-04T09:00:00+01:00",
    "end": "2027-01-04T11:00:00+01:00",
    "all_day": False,
    "time_zone": "Europe/Berlin",
    "location": "Room 1",
}
FIELDS = {key: value for key, value in EVENT.items() if key != "@type"}
PROBLEM_JSON = "application/problem+json"
# What a caller may send for each field: the hostile values of its kind, and any JSON.
FIELD_VALUES = {
    "start": st.one_of(hostile.moment_texts(), hostile.moments().map(lambda m: m.isoformat())),
    "end": st.one_of(hostile.moment_texts(), hostile.moments().map(lambda m: m.isoformat())),
    "all_day": hostile.wrong_json_type("boolean"),
    "time_zone": st.one_of(
        st.sampled_from(("Pacific/Kiritimati", "Etc/GMT+12", "UTC", "Europe/../etc/passwd", "")),
        hostile.hostile_text(),
        hostile.text_around_limit(64),
    ),
    "location": st.one_of(hostile.hostile_text(), hostile.text_around_limit(255, 1024)),
    "title": hostile.field_values(),
}


def hostile_fields() -> st.SearchStrategy[dict]:
    """An event's fields with one or two of them hostile."""
    return st.dictionaries(
        st.sampled_from(sorted(FIELD_VALUES)), st.just(None), min_size=1, max_size=2
    ).flatmap(
        lambda names: st.fixed_dictionaries({name: FIELD_VALUES[name] for name in names}).map(
            lambda values: {**FIELDS, **values}
        )
    )


@pytest.fixture
def as_editor(bearer, editor) -> dict[str, str]:
    """The editor's read-write token, made once for all of a test's examples."""
    return bearer(editor)


@pytest.fixture
def board_meeting(add_event, events_folder) -> Event:
    """/events/board-meeting, made once for all of a test's examples."""
    return add_event(events_folder, "board-meeting", EVENT["start"], EVENT["end"])


@pytest.fixture
def examples(request, db_connection) -> Iterator:
    """``with examples():`` runs one example in a savepoint rolled back after it; the count
    is reported as the user property ``property_examples``."""
    count = 0

    @contextmanager
    def example_savepoint():
        nonlocal count
        count += 1
        savepoint = db_connection.begin_nested()
        try:
            yield
        finally:
            if savepoint.is_active:
                savepoint.rollback()

    yield example_savepoint
    request.node.user_properties.append(("property_examples", count))


def stored(db_connection):
    """How many events and nodes the database holds."""
    events = db_connection.scalar(select(func.count()).select_from(Event.__table__))
    nodes = db_connection.scalar(select(func.count()).select_from(Node.__table__))
    return events, nodes


@given(fields=hostile_fields())
@example(fields={**FIELDS, "start": "1000-01-01T00:00+14:00"})
@example(fields={**FIELDS, "end": "9999-12-31T23:59:59-14:00"})
@example(fields={**FIELDS, "start": "2027-01-04T09:00:00"})  # naive: read in time_zone
def test_the_editing_service_stores_an_event_or_refuses_it(
    examples, db_connection, charter_app, events_folder, fields
):
    with examples():
        session = Session(bind=db_connection, join_transaction_mode="create_savepoint")
        service = ContentService(session, types=types_of(charter_app.registry))
        folder = session.get(type(events_folder), events_folder.id)
        try:
            service.create(folder, "Event", fields)
            session.flush()  # as the request's commit would
        except CharterError:
            pass
        finally:
            session.close()


@given(
    body=st.one_of(
        hostile_fields().map(lambda f: {"@type": "Event", **f}).map(hostile.encode_json),
        hostile.json_bodies(EVENT),
    )
)
@example(body=hostile.encode_json({**EVENT, "time_zone": "\x00"}))
def test_the_api_refuses_a_hostile_event_naming_the_field(
    examples, db_connection, anonymous_app, as_editor, events_folder, body
):
    headers = {**as_editor, "Content-Type": "application/json"}
    before = stored(db_connection)
    with examples():
        response = anonymous_app.post(f"{API}/events", body, headers=headers, expect_errors=True)
        assert response.status_int < 500, response.text[:2000]
        if response.status_int >= 400:
            assert response.content_type == PROBLEM_JSON
            problem = response.json
            assert problem["status"] == response.status_int
            assert problem["detail"]
            if problem["type"] == "urn:charter:problem:invalid-input":
                # "" is the whole body; the empty key, which has no other pointer, too.
                assert all(e["pointer"][:1] in ("", "/") for e in problem["errors"]), problem
            assert stored(db_connection) == before


def test_every_view_of_the_add_on_is_tested_here(charter_app):
    views = charter_app.registry.introspector.get_category("views")
    ours = {
        (v["introspectable"]["route_name"], v["introspectable"]["name"])
        for v in views
        if getattr(v["introspectable"]["callable"], "__module__", "").startswith("charter_events")
    }

    assert ours == set(VIEWS)


# (route, view name) of each view, and the URL the query-string test sends hostile input to.
VIEWS = {
    (None, ""): "/events/board-meeting",
    (None, "calendar"): "/events/@@calendar",
    (None, "calendar.ics"): "/events/@@calendar.ics",
    ("api.content", "@calendar.ics"): f"{API}/events/@calendar.ics",
}


@pytest.mark.parametrize("url", sorted(VIEWS.values()))
@given(
    query=hostile.query_strings(("from", "to", "after", "limit")), headers=hostile.request_headers()
)
def test_the_add_on_views_survive_hostile_query_strings_and_headers(
    examples, db_connection, anonymous_app, as_editor, board_meeting, url, query, headers
):
    before = stored(db_connection)
    with examples():
        response = anonymous_app.get(
            f"{url}?{query}", headers={**headers, **as_editor}, expect_errors=True
        )
        assert response.status_int < 500, response.text[:2000]
        if response.status_int >= 400 and url.startswith("/api/"):
            assert response.content_type == PROBLEM_JSON
        assert stored(db_connection) == before
