"""``charter.content.fields``: moments every database stores, for add-on schemas."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ValidationError

from charter.content import (
    EARLIEST_STORABLE,
    LATEST_STORABLE,
    MomentOutOfRange,
    StorableDateTime,
    storable_utc,
)

UTC = dt.UTC
PLUS_14 = dt.timezone(dt.timedelta(hours=14))
MINUS_14 = dt.timezone(dt.timedelta(hours=-14))


class Deadline(BaseModel):
    """A schema as an add-on declares one."""

    due: StorableDateTime


def refusal(value):
    """The (location, type, message) of the one error refusing ``value`` as ``due``."""
    with pytest.raises(ValidationError) as refused:
        Deadline(due=value)
    ((error),) = refused.value.errors()
    return error["loc"], error["type"], error["msg"]


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("1000-01-01T00:00:00Z", EARLIEST_STORABLE),
        ("1000-01-01T14:00:00+14:00", EARLIEST_STORABLE),
        ("9999-12-31T23:59:59.999999Z", LATEST_STORABLE),
        ("9999-12-31T09:59:59.999999-14:00", LATEST_STORABLE),
        ("9999-12-31T23:59:59+14:00", dt.datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC)),
    ],
)
def test_the_first_and_last_storable_moments_are_accepted_with_their_offset(text, utc):
    due = Deadline(due=text).due

    assert due == utc
    assert due.isoformat() == dt.datetime.fromisoformat(text).isoformat()
    assert storable_utc(due) == utc
    assert storable_utc(due).tzinfo is UTC


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "9999-12-31T23:59:59-14:00",
            "9999-12-31T23:59:59-14:00 is after 9999-12-31T23:59:59.999999Z, "
            "the latest moment every database can store",
        ),
        (
            "1000-01-01T00:00:00+14:00",
            "1000-01-01T00:00:00+14:00 is before 1000-01-01T00:00:00Z, "
            "the earliest moment every database can store",
        ),
        (
            "0999-12-31T23:59:59.999999Z",
            "0999-12-31T23:59:59.999999Z is before 1000-01-01T00:00:00Z, "
            "the earliest moment every database can store",
        ),
        (
            "0001-01-01T00:00:00+14:00",
            "0001-01-01T00:00:00+14:00 is before 1000-01-01T00:00:00Z, "
            "the earliest moment every database can store",
        ),
        (
            "0001-01-01T00:00:00-14:00",
            "0001-01-01T00:00:00-14:00 is before 1000-01-01T00:00:00Z, "
            "the earliest moment every database can store",
        ),
    ],
)
def test_moments_outside_are_refused_with_a_message_naming_the_bound(text, message):
    assert refusal(text) == (("due",), "moment_out_of_range", message)


@pytest.mark.parametrize(
    "value", ["2030-01-01T00:00:00", "10000-01-01T00:00:00Z", "soon", 1e20, None]
)
def test_what_is_not_an_aware_moment_is_refused_by_pydantic(value):
    location, kind, _ = refusal(value)

    assert location == ("due",)
    assert kind != "moment_out_of_range"


@pytest.mark.parametrize(
    ("moment", "too_early"),
    [
        (dt.datetime(1, 1, 1, tzinfo=PLUS_14), True),
        (dt.datetime(9999, 12, 31, 23, tzinfo=MINUS_14), False),
        (dt.datetime(1, 1, 1, tzinfo=ZoneInfo("Europe/Berlin")), True),
        (dt.datetime(9999, 12, 31, 23, tzinfo=ZoneInfo("America/New_York")), False),
        (dt.datetime(1000, 1, 1, tzinfo=ZoneInfo("Asia/Tokyo")), True),
    ],
)
def test_storable_utc_never_overflows(moment, too_early):
    with pytest.raises(MomentOutOfRange, match="before" if too_early else "after"):
        storable_utc(moment)


def test_storable_utc_needs_an_offset():
    with pytest.raises(ValueError, match="needs its UTC offset"):
        storable_utc(dt.datetime(2030, 1, 1))


def test_the_json_schema_is_a_date_time():
    assert Deadline.model_json_schema()["properties"]["due"] == {
        "format": "date-time",
        "title": "Due",
        "type": "string",
    }
