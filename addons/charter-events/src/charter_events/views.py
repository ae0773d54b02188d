"""Pages and feeds: an event's page, a folder's calendar, and the folder's iCalendar feed."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from charter.content.models import Folder
from charter.content.registry import types_of
from charter.db.meta import utcnow
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.web.editing import view_url
from charter.web.helpers import node_url
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter_events import EVENT_TYPE
from charter_events.feed import calendar_feed
from charter_events.models import Event
from charter_events.names import _
from charter_events.services import by_month, upcoming_events
from charter_events.settings import FEED_DAYS, MAX_EVENTS
from charter_events.timing import describe_in

EVENT_TEMPLATE = "charter_events:templates/event.jinja2"
CALENDAR_TEMPLATE = "charter_events:templates/calendar.jinja2"
READ = {"request_method": ("GET", "HEAD"), "permission": Permission.VIEW}
ICALENDAR = "text/calendar"
# What a calendar lists depends on who asks; no shared cache may keep it.
CACHE_CONTROL = "private, no-cache"


def folder_events(request: Request, folder: Node, now: dt.datetime) -> list[Event]:
    """The upcoming events below ``folder`` that the caller may view, as the settings bound them."""
    settings = request.registry.settings
    return upcoming_events(
        request.dbsession,
        folder,
        now=now,
        until=now + dt.timedelta(days=settings[FEED_DAYS]),
        viewers=request.viewer_principals,
        limit=settings[MAX_EVENTS],
    )


def when(request: Request, event: Event) -> str:
    """When ``event`` happens, in the request's language: ``Event.when`` in English, the
    language's own day and time otherwise (the pages' ``when(event)``)."""
    if request.locale_name == "en":
        return event.when
    words = request.localizer.translate(_("all day"))
    return describe_in(request.locale_name, event.start, event.end, event.all_day, words)


@view_config(context=Event, accept="text/html", renderer=EVENT_TEMPLATE, **READ)
def event_page(context: Event, request: Request) -> dict[str, Any]:
    """An event: when and where, its description, and a link to its folder's calendar."""
    request.response.vary = ("Accept",)
    parent = context.__parent__
    shown = isinstance(parent, Folder) and request.has_permission(Permission.VIEW, parent)
    return {
        "calendar_url": view_url(request, parent, "calendar") if shown else None,
        "when": functools.partial(when, request),
    }


@view_config(context=Folder, name="calendar", renderer=CALENDAR_TEMPLATE, **READ)
def calendar_page(context: Folder, request: Request) -> dict[str, Any]:
    """The folder's upcoming events (anywhere below it), grouped by month."""
    settings = request.registry.settings
    events = folder_events(request, context, utcnow())
    types = types_of(request.registry)
    may_add = request.has_permission(Permission.ADD, context) and types.fits(
        context, types.get(EVENT_TYPE)
    )
    return {
        "months": by_month(events),
        "days": settings[FEED_DAYS],
        "limit": settings[MAX_EVENTS],
        # The limit was reached: later events may exist that the page leaves out.
        "cut_short": len(events) == settings[MAX_EVENTS],
        "feed_url": view_url(request, context, "calendar.ics"),
        "when": functools.partial(when, request),
        "add_url": view_url(request, context, "add", {"type": EVENT_TYPE}) if may_add else None,
    }


@view_config(route_name="api.content", context=Folder, name="@calendar.ics", **READ)
@view_config(context=Folder, name="calendar.ics", **READ)
def calendar_ics(context: Folder, request: Request) -> Response:
    """The folder's upcoming events as an iCalendar feed that calendar clients import."""
    now = utcnow()
    events = folder_events(request, context, now)
    body = calendar_feed(context.title, events, lambda event: node_url(request, event), now)
    response = Response(body=body, content_type=ICALENDAR, charset="utf-8")
    response.cache_control = CACHE_CONTROL
    response.content_disposition = 'attachment; filename="calendar.ics"'
    return response
