"""The Event type: a node of the tree with a start, an end, a time zone and a place."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from charter.db.meta import MYSQL_TABLE_OPTIONS, UTCDateTime
from charter.tree.models import Node
from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from charter_events.timing import (
    DEFAULT_TIME_ZONE,
    DateOrTime,
    describe,
    local_end,
    local_start,
    stored_instants,
)

MAX_LOCATION_LENGTH = 500
MAX_TIME_ZONE_LENGTH = 64
# The fields that decide when an event happens; they are stored together.
TIMING_FIELDS = ("start", "end", "all_day", "time_zone")


class Event(Node):
    """Something that happens: from ``start`` to ``end`` in ``time_zone``, at ``location``.

    The table keeps UTC instants (``starts_at``, ``ends_at``: see
    charter_events.timing); ``start`` and ``end`` are the fields people and
    the API see: aware datetimes in the event's zone, or dates when the event
    lasts all day (``end`` is then its last day).
    """

    __tablename__ = "events"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)
    __mapper_args__ = {"polymorphic_identity": "Event"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True)
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Indexed: a calendar lists the events that have not ended yet.
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    time_zone: Mapped[str] = mapped_column(String(MAX_TIME_ZONE_LENGTH), default=DEFAULT_TIME_ZONE)
    location: Mapped[str] = mapped_column(String(MAX_LOCATION_LENGTH), default="")

    @property
    def zone(self) -> ZoneInfo:
        """The event's time zone."""
        return ZoneInfo(self.time_zone)

    @property
    def start(self) -> DateOrTime | None:
        """When it starts, in its zone (a date for an all-day event); None before it is set."""
        if self.starts_at is None:
            return None
        return local_start(self.starts_at, self.all_day, self.zone)

    @property
    def end(self) -> DateOrTime | None:
        """When it ends, in its zone (the last day for an all-day event); None before it is set."""
        if self.ends_at is None:
            return None
        return local_end(self.ends_at, self.all_day, self.zone)

    @property
    def when(self) -> str:
        """When it happens, as a page shows it."""
        return describe(self.start, self.end, self.all_day)

    def apply_fields(self, fields: dict[str, Any]) -> None:
        """Set validated fields; start, end, all-day and zone are stored as one.

        The editing service passes only the fields that changed, so the
        others come from the event as it is (changing only the zone of a timed
        event keeps its instants; an all-day event keeps its dates).
        """
        fields = dict(fields)
        timing = {name: fields.pop(name) for name in TIMING_FIELDS if name in fields}
        if timing:
            current = {name: getattr(self, name) for name in TIMING_FIELDS}
            merged = {**current, **timing}
            self.starts_at, self.ends_at = stored_instants(
                merged["start"], merged["end"], merged["all_day"], ZoneInfo(merged["time_zone"])
            )
            self.all_day = merged["all_day"]
            self.time_zone = merged["time_zone"]
        super().apply_fields(fields)

    def content_fields(self) -> dict[str, Any]:
        """Start and end in ISO 8601 (with the zone's offset; dates when all day) and the rest."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "all_day": self.all_day,
            "time_zone": self.time_zone,
            "location": self.location,
        }
