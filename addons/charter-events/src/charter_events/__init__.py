"""charter-events, the example add-on: an Event type, a folder's calendar and its iCalendar feed.

Charter loads it when ``charter.addons`` lists ``charter-events`` (the entry
point in setup.py names :func:`includeme`). ``SETTINGS`` and ``MIGRATIONS``
are read from this module; README.md walks through every file.
"""

from charter.api.views import JSON_READ, content_json
from charter.content.models import Folder
from pyramid.config import Configurator

from charter_events.models import Event
from charter_events.schemas import EventFields
from charter_events.settings import SETTINGS

MIGRATIONS = "charter_events:migrations"
EVENT_TYPE = "Event"

__all__ = ["EVENT_TYPE", "MIGRATIONS", "SETTINGS", "Event", "EventFields", "includeme"]


def includeme(config: Configurator) -> None:
    """Register the Event type, its page and JSON, a folder's calendar and its feed."""
    config.add_content_type(
        EVENT_TYPE,
        Event,
        EventFields,
        title="Event",
        allowed_parents=["Folder"],
        icon="calendar-event",
    )
    # Beside the event's HTML page, so Pyramid weighs the two against the
    # client's Accept header as it does for the core's types.
    config.add_view(content_json, context=Event, accept="application/json", **JSON_READ)
    config.scan("charter_events.views")
    # Its words in German and any other language: catalogues in the core's "charter"
    # domain, which Pyramid merges with the core's (docs/languages.md).
    config.add_translation_dirs("charter_events:locale/")
    # Every folder's page offers its calendar (the view is views.calendar_page).
    config.add_menu_view("calendar", "Calendar", context=Folder)
