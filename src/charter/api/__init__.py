"""The JSON API under ``/api/v1/``."""

from __future__ import annotations

import datetime as dt

from pyramid.config import Configurator
from pyramid.renderers import JSON

from charter.api.problems import ApiRequestPredicate
from charter.tree.traversal import TreeRoot


def _datetime_json(value: dt.datetime, request: object) -> str:
    return value.isoformat()


def includeme(config: Configurator) -> None:
    """Register the JSON renderer, the API routes and the problem+json error views."""
    renderer = JSON()
    renderer.add_adapter(dt.datetime, _datetime_json)
    config.add_renderer("json", renderer)
    config.add_view_predicate("api_request", ApiRequestPredicate)
    config.add_route("api.content", "/api/v1/content*traverse", factory=TreeRoot)
    config.scan("charter.api")
