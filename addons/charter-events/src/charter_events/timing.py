"""When an event happens: time zones, all-day dates, and how both are stored and shown.

An event has a time zone (an IANA name such as ``Europe/Berlin``). A timed
event starts and ends at aware datetimes; a time without an offset is a
wall-clock time in the event's zone. An all-day event runs from its first to
its last day, both inclusive, as dates in its zone. The database keeps two
UTC instants for every event, so that "upcoming" is one comparison: an
all-day event is stored from midnight of its first day to midnight after its
last day, in its zone. Both instants must be moments every database stores
(charter.content.storable_utc), and both ends must exist on the event's own
clocks, which Python's datetimes end with the year 9999.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import format_skeleton, format_time
from charter.content import MomentOutOfRange, storable_utc
from charter.i18n import english

from charter_events.names import _

ONE_DAY = dt.timedelta(days=1)
DEFAULT_TIME_ZONE = "UTC"

DateOrTime = dt.date | dt.datetime
# Between the two ends of a span of days or times, as typeset text has it.
DASH = "\N{EN DASH}"


class TimingError(ValueError):
    """A start or end that cannot be used as given; ``message`` says why (translatable, made
    with ``_``; ``str()`` reads it in English with its values filled in)."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(english(message))


@functools.cache
def known_time_zones() -> frozenset[str]:
    """The IANA time zone names this Python knows (read once; scanning them is slow)."""
    return frozenset(available_timezones())


def time_zone(name: str) -> ZoneInfo:
    """The zone called ``name``; TimingError for a name that is not an IANA zone."""
    if name not in known_time_zones():
        raise TimingError(
            _(
                "unknown time zone ${name}: use an IANA name such as Europe/Berlin",
                mapping={"name": repr(name)},
            )
        )
    return ZoneInfo(name)


def local_value(value: DateOrTime, all_day: bool, zone: ZoneInfo) -> DateOrTime:
    """``value`` as an event in ``zone`` holds it: a date if ``all_day``, else an aware datetime.

    An all-day event given a datetime keeps its date (in ``zone``, if the
    datetime has an offset). A timed event needs a time; one without an
    offset is read in ``zone``, and a wall-clock time that the zone skips
    (when its clocks go forward) is refused rather than shifted silently.
    A time no database can store, or that ``zone``'s clocks never show, is
    refused too.
    """
    if all_day:
        if isinstance(value, dt.datetime):
            return (in_zone(value, zone) if value.tzinfo is not None else value).date()
        return value
    if not isinstance(value, dt.datetime):
        raise TimingError(
            _("give a date and a time, such as 2027-01-15T09:00 (only all-day events take a date)")
        )
    if value.tzinfo is not None:
        return in_zone(value, zone)
    aware = value.replace(tzinfo=zone)
    if in_zone(aware, zone).replace(tzinfo=None) != value:
        raise TimingError(
            _(
                "${time} does not exist on ${day} in ${zone}: "
                "the clocks go forward then; give another time",
                mapping={"time": f"{value:%H:%M}", "day": f"{value:%Y-%m-%d}", "zone": zone.key},
            )
        )
    return aware


def order_problem(start: DateOrTime, end: DateOrTime, all_day: bool) -> str | None:
    """Why ``end`` cannot close an event opened at ``start`` (local values, translatable), or
    None."""
    if all_day:
        return None if end >= start else _("an all-day event cannot end before the day it starts")
    return None if end > start else _("the end must be after the start")


def storable(moment: dt.datetime) -> dt.datetime:
    """``moment`` (aware) in UTC, as the database keeps it; TimingError when no database can."""
    try:
        return storable_utc(moment)
    except MomentOutOfRange as problem:
        raise TimingError(problem.message) from None


def in_zone(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """``moment`` (aware) on the clocks of ``zone``; TimingError when no database can store it
    or those clocks would show a year after 9999."""
    utc = storable(moment)
    try:
        return utc.astimezone(zone)
    except OverflowError:
        raise TimingError(
            _(
                "${moment} would fall after the year 9999 in ${zone}",
                mapping={"moment": moment.isoformat(), "zone": zone.key},
            )
        ) from None


def start_instant(start: DateOrTime, all_day: bool, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant the database keeps for an event's start (a local value)."""
    if all_day:
        return storable(dt.datetime.combine(start, dt.time(), tzinfo=zone))
    return storable(start)


def end_instant(end: DateOrTime, all_day: bool, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant the database keeps for an event's end (a local value): exclusive, so
    the midnight after the last day of an all-day event."""
    if not all_day:
        return storable(end)
    try:
        after_last = end + ONE_DAY
    except OverflowError:
        raise TimingError(
            _(
                "an all-day event is kept until midnight after its last day, "
                "and there is no day after 9999-12-31"
            )
        ) from None
    return storable(dt.datetime.combine(after_last, dt.time(), tzinfo=zone))


def stored_instants(
    start: DateOrTime, end: DateOrTime, all_day: bool, zone: ZoneInfo
) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants the database keeps for an event (the end exclusive)."""
    start = local_value(start, all_day, zone)
    end = local_value(end, all_day, zone)
    return start_instant(start, all_day, zone), end_instant(end, all_day, zone)


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


def describe_in(
    locale: str, start: DateOrTime, end: DateOrTime, all_day: bool, all_day_words: str
) -> str:
    """``describe`` for a page in another language: the days as that language writes them
    (CLDR, by Babel: "Di., 1. Dez. 2026"), 24-hour times, the zone's abbreviation, and
    ``all_day_words`` (already translated) after an all-day event's days."""

    def day(value: DateOrTime) -> str:
        return format_skeleton("EEEddMMMy", value, locale=locale)

    def clock(value: dt.datetime) -> str:
        return format_time(value, "HH:mm", tzinfo=value.tzinfo, locale=locale)

    if all_day:
        if start == end:
            return f"{day(start)}, {all_day_words}"
        return f"{day(start)} {DASH} {day(end)}, {all_day_words}"
    if start.date() == end.date() and start.tzname() == end.tzname():
        return f"{day(start)}, {clock(start)}{DASH}{clock(end)} {end.tzname()}"
    return (
        f"{day(start)} {clock(start)} {start.tzname()} {DASH} "
        f"{day(end)} {clock(end)} {end.tzname()}"
    )
