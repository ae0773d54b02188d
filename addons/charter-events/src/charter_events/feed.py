"""The iCalendar (RFC 5545) feed of a folder's events, made with the ``icalendar`` library."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import icalendar

from charter_events.models import Event
from charter_events.timing import ONE_DAY

PRODUCT_ID = "-//Charter//charter-events//EN"
UID_DOMAIN = "charter"


def event_uid(event: Event) -> str:
    """The iCalendar UID of ``event``: stable across renames and moves, unique per node."""
    return f"{event.uid}@{UID_DOMAIN}"


def calendar_feed(
    title: str, events: Sequence[Event], page_url: Callable[[Event], str], now: dt.datetime
) -> bytes:
    """A VCALENDAR named ``title`` holding a VEVENT for each of ``events``.

    Timed events keep their time zone (``DTSTART;TZID=Europe/Berlin``), with
    the VTIMEZONE definitions calendar clients need; all-day events are
    dates, their DTEND the day after the last (RFC 5545's exclusive end).
    ``now`` is the DTSTAMP: when this feed was made.
    """
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", title)
    for event in events:
        calendar.add_component(_vevent(event, page_url(event), now))
    timed = [event for event in events if not event.all_day]
    if timed:
        # Each zone's rules over the span the events cover (the library's own
        # default span ends in 2038).
        calendar.add_missing_timezones(
            first_date=min(event.starts_at for event in timed).date() - ONE_DAY,
            last_date=max(event.ends_at for event in timed).date() + ONE_DAY,
        )
    return calendar.to_ical()


def _vevent(event: Event, url: str, now: dt.datetime) -> icalendar.Event:
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", now)
    vevent.add("created", event.created)
    vevent.add("last-modified", event.modified)
    # Versions start at 1; a calendar's revision counter at 0.
    vevent.add("sequence", event.version - 1)
    vevent.add("summary", event.title)
    vevent.add("dtstart", event.start)
    # An all-day event's end is its last day; RFC 5545's DTEND is the day after.
    vevent.add("dtend", event.end + ONE_DAY if event.all_day else event.end)
    if event.location:
        vevent.add("location", event.location)
    if event.description:
        vevent.add("description", event.description)
    vevent.add("url", url)
    return vevent
