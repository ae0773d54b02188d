"""When an event happens: time zones, all-day dates, and how both are stored and shown.

An event has a time zone (an IANA name such as ``Europe/Berlin``). A timed
event starts and ends at aware datetimes; a time without an offset is a
wall-clock time in the event's zone. An all-day event runs from its first to
its last day, both inclusive, as dates in its zone. The database keeps two
UTC instants for every event, so that "upcoming" is one comparison: an
all-day event is stored from midnight of its first day to midnight after its
last day, in its zone.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, available_timezones

ONE_DAY = dt.timedelta(days=1)
DEFAULT_TIME_ZONE = "UTC"
# MySQL's DATETIME holds the years 1000 to 9999; the day after an all-day
# event's last day must fit as well.
FIRST_YEAR = 1000
LAST_YEAR = 9998

DateOrTime = dt.date | dt.datetime
# Between the two ends of a span of days or times, as typeset text has it.
DASH = "\N{EN DASH}"


class TimingError(ValueError):
    """A start or end that cannot be used as given; the message says why."""


@functools.cache
def known_time_zones() -> frozenset[str]:
    """The IANA time zone names this Python knows (read once; scanning them is slow)."""
    return frozenset(available_timezones())


def time_zone(name: str) -> ZoneInfo:
    """The zone called ``name``; TimingError for a name that is not an IANA zone."""
    if name not in known_time_zones():
        raise TimingError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin")
    return ZoneInfo(name)


def local_value(value: DateOrTime, all_day: bool, zone: ZoneInfo) -> DateOrTime:
    """``value`` as an event in ``zone`` holds it: a date if ``all_day``, else an aware datetime.

    An all-day event given a datetime keeps its date (in ``zone``, if the
    datetime has an offset). A timed event needs a time; one without an
    offset is read in ``zone``, and a wall-clock time that the zone skips
    (when its clocks go forward) is refused rather than shifted silently.
    """
    if value.year < FIRST_YEAR or value.year > LAST_YEAR:
        raise TimingError(f"give a year from {FIRST_YEAR} to {LAST_YEAR}")
    if all_day:
        if isinstance(value, dt.datetime):
            return (value.astimezone(zone) if value.tzinfo is not None else value).date()
        return value
    if not isinstance(value, dt.datetime):
        raise TimingError(
            "give a date and a time, such as 2027-01-15T09:00 (only all-day events take a date)"
        )
    if value.tzinfo is not None:
        return value.astimezone(zone)
    aware = value.replace(tzinfo=zone)
    if aware.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != value:
        raise TimingError(
            f"{value:%H:%M} does not exist on {value:%Y-%m-%d} in {zone.key}: "
            "the clocks go forward then; give another time"
        )
    return aware


def order_problem(start: DateOrTime, end: DateOrTime, all_day: bool) -> str | None:
    """Why ``end`` cannot close an event opened at ``start`` (local values), or None."""
    if all_day:
        return None if end >= start else "an all-day event cannot end before the day it starts"
    return None if end > start else "the end must be after the start"


def stored_instants(
    start: DateOrTime, end: DateOrTime, all_day: bool, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants the database keeps for an event (the end exclusive)."""
    start = local_value(start, all_day, zone)
    end = local_value(end, all_day, zone)
    if all_day:
        first = dt.datetime.combine(start, dt.time(), tzinfo=zone)
        after_last = dt.datetime.combine(end + ONE_DAY, dt.time(), tzinfo=zone)
        return first.astimezone(dt.UTC), after_last.astimezone(dt.UTC)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def local_start(starts_at: dt.datetime, all_day: bool, zone: ZoneInfo) -> DateOrTime:
    """An event's start as its fields hold it, from the stored UTC instant."""
    local = starts_at.astimezone(zone)
    return local.date() if all_day else local


def local_end(ends_at: dt.datetime, all_day: bool, zone: ZoneInfo) -> DateOrTime:
    """An event's end as its fields hold it (an all-day event's last day), from UTC."""
    local = ends_at.astimezone(zone)
    # Wall-clock arithmetic: the midnight after the last day, minus one day.
    return (local - ONE_DAY).date() if all_day else local


def describe(start: DateOrTime, end: DateOrTime, all_day: bool) -> str:
    """When an event happens, for people: its days, its times and its zone's abbreviation."""
    if all_day:
        if start == end:
            return f"{start:%a %d %b %Y}, all day"
        return f"{start:%a %d %b %Y} {DASH} {end:%a %d %b %Y}, all day"
    if start.date() == end.date() and start.tzname() == end.tzname():
        return f"{start:%a %d %b %Y}, {start:%H:%M}{DASH}{end:%H:%M} {end.tzname()}"
    return (
        f"{start:%a %d %b %Y %H:%M} {start.tzname()} {DASH} {end:%a %d %b %Y %H:%M} {end.tzname()}"
    )
