"""``/api/v1/openapi.json`` (the document) and ``/api/v1/docs`` (Swagger UI reading it)."""

from __future__ import annotations

import hashlib
import json

from markupsafe import escape
from pyramid.request import Request
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED
from pyramid.view import view_config

from charter.api.openapi import SWAGGER_UI
from charter.api.openapi.declare import Reply, operation
from charter.api.openapi.document import build_document

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
    route_name="api.openapi", request_method=("GET", "HEAD"), permission=NO_PERMISSION_REQUIRED
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
@view_config(
    route_name="api.docs", request_method=("GET", "HEAD"), permission=NO_PERMISSION_REQUIRED
)
def api_docs(request: Request) -> Response:
    """A page rendering the document with Swagger UI, served from this site (no CDN)."""
    page = DOCS_PAGE.format(
        title=escape(f"{request.registry.settings.get('charter.site_title') or 'Charter'} API"),
        ui=escape(request.static_path(f"{SWAGGER_UI}/").rstrip("/")),
        document=escape(request.route_path("api.openapi")),
        docs_js=escape(request.static_path("charter.api.openapi:static/docs.js")),
    )
    return Response(page, content_type="text/html", charset="utf-8")
