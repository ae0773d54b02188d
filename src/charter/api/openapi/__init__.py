"""The API's contract: an OpenAPI 3.1 document generated from the routes and views
(``/api/v1/openapi.json``) and a human reference rendering it (``/api/v1/docs``).

Views declare their operation with :func:`charter.api.openapi.declare.operation`.
"""

from __future__ import annotations

from pyramid.config import Configurator
from swagger_ui_bundle import swagger_ui_path

STATIC_MAX_AGE = 3600
# Swagger UI's files, as the swagger-ui-bundle-v2 package installs them.
SWAGGER_UI = str(swagger_ui_path)


def includeme(config: Configurator) -> None:
    """The document's and the reference's routes, and the reference's static files (the
    views are found by charter.api's scan)."""
    config.add_route("api.openapi", "/api/v1/openapi.json")
    config.add_route("api.docs", "/api/v1/docs")
    config.add_static_view("static/swagger-ui", SWAGGER_UI, cache_max_age=STATIC_MAX_AGE)
    config.add_static_view(
        "static/api-docs", "charter.api.openapi:static", cache_max_age=STATIC_MAX_AGE
    )
