"""The JSON API under ``/api/v1/``."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.tweens import INGRESS

from charter.api import audit, changes, people, trash, types, views, webhooks, workflow
from charter.api.editing import ContainerPredicate
from charter.api.files import UploadPredicate
from charter.api.problems import ApiRequestPredicate
from charter.api.rendering import OrjsonRenderer
from charter.tree.traversal import TreeRoot


def includeme(config: Configurator) -> None:
    """Register the API routes, the problem+json error views and the ``json`` renderer."""
    config.add_renderer("json", OrjsonRenderer())
    config.add_view_predicate("api_request", ApiRequestPredicate)
    # CORS outermost (a preflight is answered before anything else runs); the rate limit
    # before the request's transaction begins.
    config.add_tween("charter.api.cors.cors_tween_factory", under=INGRESS)
    config.add_tween(
        "charter.api.limits.rate_limit_tween_factory", over="pyramid_tm.tm_tween_factory"
    )
    config.add_view_predicate("container", ContainerPredicate)
    config.add_view_predicate("upload", UploadPredicate)
    config.add_route("api.content", "/api/v1/content*traverse", factory=TreeRoot)
    people.add_routes(config)
    trash.add_routes(config)
    audit.add_routes(config)
    types.add_routes(config)
    views.add_routes(config)
    config.include("charter.api.openapi")
    config.include("charter.api.multiviews")
    changes.add_routes(config)
    webhooks.add_routes(config)
    workflow.add_routes(config)
    config.scan("charter.api")
