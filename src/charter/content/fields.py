"""Field types for content type schemas: moments that every supported database can store.

MySQL's and MariaDB's DATETIME holds 1000-01-01 00:00:00 to
9999-12-31 23:59:59.999999, and Charter stores every moment in UTC
(charter.db.meta.UTCDateTime), so a moment is storable when its UTC value
lies in that range. Python's own datetimes end at the years 1 and 9999 and
overflow when an offset pushes a moment past them, so the range is checked
without letting that happen. Add-on schemas declare a moment field as
``StorableDateTime``; code that makes moments itself (from a wall-clock time
and a time zone, say) checks them with :func:`storable_utc`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime

from charter.i18n import _, english
from charter.input.messages import refusal

EARLIEST_STORABLE = dt.datetime(1000, 1, 1, tzinfo=dt.UTC)
LATEST_STORABLE = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
# Which end a moment that cannot even be converted to UTC lies beyond.
_MIDDLE_YEAR = 5000


class MomentOutOfRange(ValueError):
    """A moment that some supported database cannot store; ``message`` says which bound
    (translatable; ``str()`` reads it in English)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(english(message))


def _shown(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _out_of_range(moment: dt.datetime, too_early: bool) -> MomentOutOfRange:
    if too_early:
        return MomentOutOfRange(
            _(
                "${moment} is before ${bound}, the earliest moment every database can store",
                mapping={"moment": _shown(moment), "bound": _shown(EARLIEST_STORABLE)},
            )
        )
    return MomentOutOfRange(
        _(
            "${moment} is after ${bound}, the latest moment every database can store",
            mapping={"moment": _shown(moment), "bound": _shown(LATEST_STORABLE)},
        )
    )


def storable_utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` (aware) in UTC; MomentOutOfRange when no supported database can store it,
    ValueError when it is naive (which moment it means is unknown)."""
    if moment.utcoffset() is None:
        raise ValueError("a moment needs its UTC offset")
    try:
        utc = moment.astimezone(dt.UTC)
    except OverflowError:
        # Its UTC value lies before the year 1 or after 9999: far out of range.
        raise _out_of_range(moment, too_early=moment.year < _MIDDLE_YEAR) from None
    if utc < EARLIEST_STORABLE:
        raise _out_of_range(moment, too_early=True)
    if utc > LATEST_STORABLE:
        raise _out_of_range(moment, too_early=False)
    return utc


def _check_storable(moment: dt.datetime) -> dt.datetime:
    try:
        storable_utc(moment)
    except MomentOutOfRange as problem:
        raise refusal("moment_out_of_range", problem.message) from None
    return moment


StorableDateTime = Annotated[AwareDatetime, AfterValidator(_check_storable)]
"""A pydantic field type: an ISO 8601 date and time with its offset, which every supported
database can store once it is converted to UTC. The value keeps the offset it was given."""


def moment_filter(
    value: str | None, name: str, *, end_of_day: bool, problems: list[tuple[str, str]]
) -> dt.datetime | None:
    """A filter's date (``2026-11-30``: that whole day, in UTC) or a moment with its UTC offset."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
            if end_of_day:
                moment += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
        else:
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return storable_utc(moment)
    except MomentOutOfRange as problem:
        problems.append((name, problem.message))
    except (ValueError, OverflowError):
        problems.append(
            (name, _("a date such as 2026-11-30, or a moment such as 2026-11-30T09:00:00Z"))
        )
    return None
