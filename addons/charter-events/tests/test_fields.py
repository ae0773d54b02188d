"""An event's fields: dates and times read in its time zone, all-day dates, end after start."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from charter_events.models import Event
from charter_events.schemas import EventFields

BERLIN = ZoneInfo("Europe/Berlin")


def fields(**values):
    """The event fields validated from ``values`` (a title is added)."""
    return EventFields.model_validate({"title": "Board meeting", **values})


def refusal(**values):
    """The (location, message) of each error refusing ``values``."""
    with pytest.raises(ValidationError) as refused:
        fields(**values)
    return [(error["loc"], error["msg"]) for error in refused.value.errors()]


@pytest.mark.parametrize(
    ("day", "utc_hour", "offset"),
    [("2027-01-15", 8, "+01:00"), ("2027-07-15", 7, "+02:00")],
    ids=["winter", "summer"],
)
def test_nine_in_berlin_is_eight_utc_in_winter_and_seven_in_summer(day, utc_hour, offset):
    event = fields(start=f"{day}T09:00", end=f"{day}T10:00", time_zone="Europe/Berlin")

    assert event.start == dt.datetime.fromisoformat(f"{day}T{utc_hour:02}:00+00:00")
    assert event.start.isoformat() == f"{day}T09:00:00{offset}"
    assert event.end.isoformat() == f"{day}T10:00:00{offset}"


def test_a_time_with_an_offset_keeps_its_instant_shown_in_the_events_zone():
    event = fields(
        start="2027-01-15T08:00Z", end="2027-01-15T09:30+00:00", time_zone="Europe/Berlin"
    )

    assert event.start.isoformat() == "2027-01-15T09:00:00+01:00"
    assert event.end.isoformat() == "2027-01-15T10:30:00+01:00"


def test_without_a_time_zone_times_are_utc():
    event = fields(start="2027-01-15T09:00", end="2027-01-15T10:00")

    assert event.time_zone == "UTC"
    assert event.start.isoformat() == "2027-01-15T09:00:00+00:00"


def test_an_empty_time_zone_from_a_form_means_utc():
    event = fields(start="2027-01-15T09:00", end="2027-01-15T10:00", time_zone=" ")

    assert event.time_zone == "UTC"


def test_an_all_day_event_takes_dates_and_may_end_on_the_day_it_starts():
    event = fields(start="2027-03-01", end="2027-03-01", all_day=True)

    assert event.start == event.end == dt.date(2027, 3, 1)


def test_an_all_day_event_given_times_keeps_their_dates_in_its_zone():
    # What a form's date-and-time inputs send; 23:30 UTC is the next day in Berlin.
    event = fields(
        start="2027-03-01T00:00", end="2027-03-02T23:30Z", all_day=True, time_zone="Europe/Berlin"
    )

    assert (event.start, event.end) == (dt.date(2027, 3, 1), dt.date(2027, 3, 3))


@pytest.mark.parametrize("end", ["2027-01-15T09:00", "2027-01-15T08:59"], ids=["same", "before"])
def test_the_end_must_come_after_the_start(end):
    assert refusal(start="2027-01-15T09:00", end=end) == [
        (("end",), "the end must be after the start")
    ]


def test_the_order_is_that_of_instants_not_of_wall_clocks():
    # 09:00 in Berlin is 08:00 UTC: an end at 08:30 UTC comes after it.
    event = fields(start="2027-01-15T09:00", end="2027-01-15T08:30Z", time_zone="Europe/Berlin")
    assert event.end.isoformat() == "2027-01-15T09:30:00+01:00"

    assert refusal(
        start="2027-01-15T09:00", end="2027-01-15T07:30Z", time_zone="Europe/Berlin"
    ) == [(("end",), "the end must be after the start")]


def test_an_all_day_event_cannot_end_before_the_day_it_starts():
    assert refusal(start="2027-03-02", end="2027-03-01", all_day=True) == [
        (("end",), "an all-day event cannot end before the day it starts")
    ]


def test_a_timed_event_needs_times_not_just_dates():
    (problem,) = refusal(start="2027-01-15", end="2027-01-15T10:00")

    assert problem[0] == ("start",)
    assert "give a date and a time" in problem[1]


def test_a_time_the_clocks_skip_is_refused_rather_than_shifted():
    (problem,) = refusal(
        start="2027-03-28T02:30", end="2027-03-28T04:00", time_zone="Europe/Berlin"
    )

    assert problem == (
        ("start",),
        "02:30 does not exist on 2027-03-28 in Europe/Berlin: "
        "the clocks go forward then; give another time",
    )


def test_an_unknown_time_zone_is_refused_with_an_example():
    assert refusal(start="2027-01-15T09:00", end="2027-01-15T10:00", time_zone="Europe/Berln") == [
        (
            ("time_zone",),
            "unknown time zone 'Europe/Berln': use an IANA name such as Europe/Berlin",
        )
    ]


@pytest.mark.parametrize("value", [1800000000, "soon", "", "2027-02-30"])
def test_numbers_words_and_impossible_dates_are_not_dates(value):
    problems = refusal(start=value, end="2027-01-15T10:00")

    assert [location for location, _ in problems] == [("start",)]


def test_start_and_end_are_required_and_unknown_fields_refused():
    problems = refusal(colour="red", start="2027-01-15")

    assert {location for location, _ in problems} == {("end",), ("colour",)}


def test_the_json_schema_offers_dates_and_times_and_the_time_zone():
    schema = EventFields.model_json_schema()
    properties = schema["properties"]

    assert [option["format"] for option in properties["start"]["anyOf"]] == ["date-time", "date"]
    assert properties["time_zone"]["default"] == "UTC"
    assert properties["all_day"]["default"] is False
    assert set(schema["required"]) == {"title", "start", "end"}


def stored(**values):
    """An unsaved Event with the validated ``values`` applied, as the editing service does."""
    event = Event()
    event.apply_fields(fields(**values).model_dump())
    return event


def test_an_all_day_event_is_stored_from_midnight_to_the_midnight_after_its_last_day():
    event = stored(start="2027-01-15", end="2027-01-16", all_day=True, time_zone="Europe/Berlin")

    assert event.starts_at == dt.datetime(2027, 1, 14, 23, 0, tzinfo=dt.UTC)
    assert event.ends_at == dt.datetime(2027, 1, 16, 23, 0, tzinfo=dt.UTC)
    assert (event.start, event.end) == (dt.date(2027, 1, 15), dt.date(2027, 1, 16))
    assert event.content_fields()["end"] == "2027-01-16"


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        (
            {"start": "2027-01-15T09:00", "end": "2027-01-15T10:30"},
            "Fri 15 Jan 2027, 09:00\N{EN DASH}10:30 CET",
        ),
        (
            {"start": "2027-03-27T22:00", "end": "2027-03-28T04:00"},
            "Sat 27 Mar 2027 22:00 CET \N{EN DASH} Sun 28 Mar 2027 04:00 CEST",
        ),
        ({"start": "2027-01-15", "end": "2027-01-15", "all_day": True}, "Fri 15 Jan 2027, all day"),
        (
            {"start": "2027-01-15", "end": "2027-01-17", "all_day": True},
            "Fri 15 Jan 2027 \N{EN DASH} Sun 17 Jan 2027, all day",
        ),
    ],
    ids=["same-day", "over-the-clock-change", "one-day", "several-days"],
)
def test_when_an_event_happens_reads_in_its_zone(values, shown):
    assert stored(time_zone="Europe/Berlin", **values).when == shown
