"""Finding the events below a folder, as its calendar page and its iCalendar feed list them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from charter.tree.models import Node
from charter.tree.paths import descendants_range
from charter.tree.visibility import Viewer, filter_visible
from sqlalchemy import select
from sqlalchemy.orm import Session

from charter_events.models import Event


def upcoming_events(
    dbsession: Session,
    folder: Node,
    *,
    now: dt.datetime,
    until: dt.datetime,
    viewers: Viewer | None,
    limit: int,
) -> list[Event]:
    """The events anywhere below ``folder`` that have not ended by ``now`` and start before
    ``until``, soonest first, at most ``limit``.

    One query: the subtree is a range of paths (like TreeService's), and with
    ``viewers`` only events one of those principals may view are kept, in
    the same query (None: every event, for holders of a global role).
    """
    low, high = descendants_range(folder.path)
    query = select(Event).where(
        Event.path > low,
        Event.path < high,
        Event.ends_at > now,
        Event.starts_at < until,
    )
    query = filter_visible(query, viewers, Event)
    return list(dbsession.scalars(query.order_by(Event.starts_at, Event.id).limit(limit)))


@dataclass(frozen=True)
class Month:
    """The events of one month of a calendar, in the order they start."""

    year: int
    month: int
    events: list[Event]

    @property
    def title(self) -> str:
        """The month as a heading: ``January 2027``."""
        return f"{dt.date(self.year, self.month, 1):%B %Y}"


def by_month(events: list[Event]) -> list[Month]:
    """``events`` (soonest first) grouped by the month each starts in, in its own time zone.

    Events in different zones may start in a different order on their own
    calendars than in UTC; the months come out in calendar order all the same.
    """
    months: dict[tuple[int, int], list[Event]] = {}
    for event in events:
        start = event.start
        months.setdefault((start.year, start.month), []).append(event)
    return [Month(year, month, months[year, month]) for year, month in sorted(months)]
