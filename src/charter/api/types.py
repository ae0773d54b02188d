"""JSON API of the content types: ``/api/v1/types`` and ``/api/v1/types/<name>``."""

from __future__ import annotations

from typing import Any, NoReturn

from pyramid.config import Configurator, not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.view import view_config

from charter.api.openapi.declare import ok, operation
from charter.content.registry import ContentType, types_of

TYPES_METHODS = ("GET", "HEAD")
# Any logged-in caller (the ``caller`` view option of charter.api.people).
TYPES_READ = {"request_method": TYPES_METHODS, "caller": True, "renderer": "json"}


def add_routes(config: Configurator) -> None:
    """Declare the routes of the type listing and of one type."""
    config.add_route("api.types", "/api/v1/types")
    config.add_route("api.type", "/api/v1/types/{name}")


def _names(names: frozenset[str] | None) -> list[str] | None:
    return None if names is None else sorted(names)


def type_json(request: Request, content_type: ContentType) -> dict[str, Any]:
    """A registered type: what it is, where it may live, and the JSON Schema of its fields."""
    return {
        "@id": request.route_url("api.type", name=content_type.name),
        "name": content_type.name,
        "title": content_type.title,
        "icon": content_type.icon,
        "container": content_type.is_container,
        "allowed_parents": _names(content_type.allowed_parents),
        "allowed_children": _names(content_type.allowed_children),
        "addable": content_type.addable,
        "upload": content_type.upload,
        "schema": content_type.json_schema(),
    }


@operation("The content types", tags=("types",), responses={200: ok("ContentTypeList")})
@view_config(route_name="api.types", **TYPES_READ)
def list_types(request: Request) -> dict[str, Any]:
    """Every registered type, by name."""
    return {"items": [type_json(request, t) for t in types_of(request.registry)]}


@operation("One content type", tags=("types",), responses={200: ok("ContentType")}, errors=(404,))
@view_config(route_name="api.type", **TYPES_READ)
def show_type(request: Request) -> dict[str, Any]:
    """One type; ``404`` for a name no type has."""
    return type_json(request, types_of(request.registry).get(request.matchdict["name"]))


# Changes nothing, so no CSRF token is needed to be told so.
@view_config(route_name="api.types", request_method=not_(TYPES_METHODS), require_csrf=False)
@view_config(route_name="api.type", request_method=not_(TYPES_METHODS), require_csrf=False)
def types_method_not_allowed(request: Request) -> NoReturn:
    """Say which methods the type URLs answer."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(TYPES_METHODS)})
