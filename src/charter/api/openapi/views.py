"""``/api/v1/openapi.json`` (the document) and ``/api/v1/docs`` (Swagger UI reading it)."""

from __future__ import annotations

import hashlib
import json
from typing import NoReturn

from markupsafe import escape
from pyramid.config import not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from charter.api.openapi import SWAGGER_UI
from charter.api.openapi.declare import Reply, ok, operation
from charter.api.openapi.document import build_document
from charter.health import version_view

READ_METHODS = ("GET", "HEAD")
DOCUMENT_KEY = "charter.api.openapi.document"
OPENAPI_JSON = "application/vnd.oai.openapi+json"
DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{ui}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{document}"></div>
<script src="{ui}/swagger-ui-bundle.js"></script>
<script src="{ui}/swagger-ui-standalone-preset.js"></script>
<script src="{docs_js}"></script>
</body>
</html>
"""


def document_bytes(request: Request) -> tuple[bytes, str]:
    """The document as JSON and its entity tag, built once per application."""
    registry = request.registry
    cached = registry.get(DOCUMENT_KEY)
    if cached is None:
        encoded = json.dumps(build_document(registry), indent=1, sort_keys=False).encode()
        cached = (encoded, hashlib.sha256(encoded).hexdigest()[:32])
        registry[DOCUMENT_KEY] = cached
    return cached


@operation(
    "The OpenAPI 3.1 document of this API",
    tags=("reference",),
    responses={
        200: Reply(
            "This document.",
            {"type": "object", "required": ["openapi", "paths"]},
            headers=("ETag",),
        )
    },
    security="none",
    operation_id="getOpenapiDocument",
)
@view_config(
    route_name="api.openapi", request_method=READ_METHODS, permission=NO_PERMISSION_REQUIRED
)
def openapi_json(request: Request) -> Response:
    """The document, generated from the routes and the schemas the API checks input with
    (add-ons' types included); ``304`` when If-None-Match holds its ETag."""
    body, etag = document_bytes(request)
    response = Response(
        body=body,
        content_type="application/json",
        charset="utf-8",
        conditional_response=True,
    )
    response.etag = etag
    response.cache_control = "no-cache"
    return response


@operation(
    "The API reference, for people",
    tags=("reference",),
    responses={200: Reply("Swagger UI on this API's document.", {"type": "string"}, "text/html")},
    security="none",
    operation_id="getApiReference",
)
@view_config(route_name="api.docs", request_method=READ_METHODS, permission=NO_PERMISSION_REQUIRED)
def api_docs(request: Request) -> Response:
    """A page rendering the document with Swagger UI, served from this site (no CDN)."""
    page = DOCS_PAGE.format(
        title=escape(f"{request.registry.settings.get('charter.site_title') or 'Charter'} API"),
        ui=escape(request.static_path(f"{SWAGGER_UI}/").rstrip("/")),
        document=escape(request.route_path("api.openapi")),
        docs_js=escape(request.static_path("charter.api.openapi:static/docs.js")),
    )
    return Response(page, content_type="text/html", charset="utf-8")


# Changes nothing, so no CSRF token is needed to be told so.
@view_config(
    route_name="api.openapi",
    request_method=not_(READ_METHODS),
    require_csrf=False,
    permission=NO_PERMISSION_REQUIRED,
)
@view_config(
    route_name="api.docs",
    request_method=not_(READ_METHODS),
    require_csrf=False,
    permission=NO_PERMISSION_REQUIRED,
)
def reference_method_not_allowed(request: Request) -> NoReturn:
    """Say which methods the document and the reference page answer."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(READ_METHODS)})


# /api/v1/version is served by charter.health, which cannot import the API package (it
# is included without it): its operation is declared here.
operation(
    "The release, the build and the database's schema revisions",
    tags=("reference",),
    responses={
        200: ok(
            {
                "type": "object",
                "properties": {
                    "name": {"const": "charter"},
                    "version": {"type": "string"},
                    "build": {"type": ["string", "null"]},
                    "schema": {
                        "type": ["object", "null"],
                        "properties": {
                            "revisions": {"type": "array", "items": {"type": "string"}},
                            "heads": {"type": "array", "items": {"type": "string"}},
                            "at_head": {"type": "boolean"},
                        },
                    },
                },
                "required": ["name", "version", "build", "schema"],
            }
        )
    },
    security="none",
    operation_id="getVersion",
)(version_view)
