"""The add-on's settings, declared like Charter's own (see docs/addons.md)."""

from charter.addons import Setting, integer

FEED_DAYS = "charter.events.feed_days"
MAX_EVENTS = "charter.events.max_events"

SETTINGS = (
    Setting(
        FEED_DAYS,
        integer(1, 3650),
        "365",
        "Days ahead a folder's calendar page and iCalendar feed list events.",
    ),
    Setting(
        MAX_EVENTS,
        integer(1, 5000),
        "500",
        "Most events a calendar page or iCalendar feed lists (the soonest).",
    ),
)
