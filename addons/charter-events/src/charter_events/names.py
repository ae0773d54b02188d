"""Words the Event type brings to the pages (its title, its fields' labels and help, the
calendar's menu entry), marked so Babel puts them into this add-on's
catalogue template; the core's templates show them through ``_(value)``."""

from __future__ import annotations

from pyramid.i18n import TranslationStringFactory

# The core's domain: Pyramid merges this add-on's catalogues into the core's.
_ = TranslationStringFactory("charter")

DATA_WORDS = (
    _("Event"),
    _("Calendar"),
    _("Start"),
    _(
        "Date and time it starts (in the time zone unless an offset is given); "
        "the first day of an all-day event"
    ),
    _("End"),
    _("Date and time it ends, after the start; the last day of an all-day event"),
    _("All day"),
    _("Time zone"),
    _("IANA time zone, such as Europe/Berlin"),
    _("Location"),
)
