"""Site-wide odds and ends of the web UI: the favicon."""

from __future__ import annotations

from pyramid.httpexceptions import HTTPMovedPermanently
from pyramid.request import Request
from pyramid.view import view_config


@view_config(route_name="favicon", request_method=("GET", "HEAD"))
def favicon(request: Request) -> HTTPMovedPermanently:
    """/favicon.ico, which browsers ask for by themselves: the site's icon (an SVG)."""
    return HTTPMovedPermanently(request.static_url("charter:web/static/favicon.svg"))
