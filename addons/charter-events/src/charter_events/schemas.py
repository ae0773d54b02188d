"""The fields of an Event, for its add and edit forms, the JSON API and its JSON Schema."""

from __future__ import annotations

import datetime as dt
from typing import Any, Self

from charter.content.schemas import NodeFields
from charter.input.messages import refusal
from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails

from charter_events.models import MAX_LOCATION_LENGTH, MAX_TIME_ZONE_LENGTH
from charter_events.names import _
from charter_events.timing import (
    DEFAULT_TIME_ZONE,
    DateOrTime,
    TimingError,
    end_instant,
    local_value,
    order_problem,
    start_instant,
    time_zone,
)

DATE_LENGTH = len("2027-01-15")


class EventFields(NodeFields):
    """An event's fields: title and description, when, and where.

    ``start`` and ``end`` are ISO 8601 dates and times. A time with an offset
    (``2027-01-15T09:00+01:00``, ``...Z``) is that instant; one without is a
    wall-clock time in ``time_zone``. An all-day event takes dates (a
    datetime gives its date) and ``end`` is its last day.
    """

    # The datetime first: its JSON Schema is what the generated forms show an input for.
    start: dt.datetime | dt.date = Field(
        description="Date and time it starts (in the time zone unless an offset is given); "
        "the first day of an all-day event"
    )
    end: dt.datetime | dt.date = Field(
        description="Date and time it ends, after the start; the last day of an all-day event"
    )
    all_day: bool = Field(default=False, title="All day")
    time_zone: str = Field(
        default=DEFAULT_TIME_ZONE,
        max_length=MAX_TIME_ZONE_LENGTH,
        title="Time zone",
        description="IANA time zone, such as Europe/Berlin",
    )
    location: str = Field(default="", max_length=MAX_LOCATION_LENGTH)

    @field_validator("start", "end", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: Any) -> DateOrTime:
        # Read here rather than by pydantic's union: it would take
        # "2027-01-15" for midnight and numbers for Unix timestamps.
        if isinstance(value, dt.date):
            return value
        if not isinstance(value, str):
            raise refusal("date_or_datetime", _("give a date or a date and time as text"))
        text = value.strip()
        if not text:
            raise refusal("date_required", _("a date is required"))
        try:
            if len(text) == DATE_LENGTH:
                return dt.date.fromisoformat(text)
            return dt.datetime.fromisoformat(text)
        except ValueError:
            raise refusal(
                "date_or_datetime",
                _("give a date such as 2027-01-15, or a date and time such as 2027-01-15T09:00"),
            ) from None

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, name: str) -> str:
        if not name:
            return DEFAULT_TIME_ZONE  # a form's field left empty
        try:
            time_zone(name)
        except TimingError as problem:
            raise refusal("unknown_time_zone", problem.message) from None
        return name

    @model_validator(mode="after")
    def _end_after_start(self) -> Self:
        """Read start and end in the event's zone; each must be storable, and the end must
        come after the start."""
        zone = time_zone(self.time_zone)
        errors: list[tuple[str, str]] = []
        local: dict[str, DateOrTime] = {}
        for name, instant in (("start", start_instant), ("end", end_instant)):
            try:
                local[name] = local_value(getattr(self, name), self.all_day, zone)
                # What the database will keep, checked now rather than when it is written.
                instant(local[name], self.all_day, zone)
            except TimingError as problem:
                errors.append((name, problem.message))
        if not errors:
            problem = order_problem(local["start"], local["end"], self.all_day)
            if problem is not None:
                errors.append(("end", problem))
        if errors:
            # Raised with each field's location, so the API points at /start or /end
            # rather than at the whole object.
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=refusal("event_timing", text),
                        loc=(name,),
                        input=getattr(self, name),
                    )
                    for name, text in errors
                ],
            )
        self.start, self.end = local["start"], local["end"]
        return self
