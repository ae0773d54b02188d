"""The OpenAPI document (``/api/v1/openapi.json``) and the reference page (``/api/v1/docs``)."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from pyramid.interfaces import IRoutesMapper

from charter.api.openapi.document import api_views, build_document, undeclared_views
from charter.web.headers import CONTENT_SECURITY_POLICY

ROUTE_PARAM = re.compile(r"\{(\w+)(?::[^{}]*(?:\{[^{}]*\}[^{}]*)*)?\}")


@pytest.fixture
def document(anonymous_app):
    return anonymous_app.get("/api/v1/openapi.json").json


def test_the_document_is_served_to_anyone_and_lints_clean(anonymous_app):
    response = anonymous_app.get("/api/v1/openapi.json")
    assert response.content_type == "application/json"
    assert response.etag
    validate(response.json)  # openapi-spec-validator: OpenAPI 3.1 and JSON Schema 2020-12
    assert response.json["openapi"].startswith("3.1")
    again = anonymous_app.get(
        "/api/v1/openapi.json", headers={"If-None-Match": f'"{response.etag}"'}, status=304
    )
    assert again.body == b""


def test_every_api_view_declares_its_operation(charter_app):
    """A view added under /api/v1/ without @operation beside it fails here."""
    assert undeclared_views(charter_app.registry) == []


def test_every_api_route_and_method_is_in_the_document(charter_app, document):
    """Every route under /api/v1/ and every method a view answers there is described."""
    registry = charter_app.registry
    routes = [
        route
        for route in registry.queryUtility(IRoutesMapper).get_routes()
        if route.pattern.startswith("/api/v1")
    ]
    assert routes
    paths = document["paths"]
    missing = []
    for route in routes:
        if "*" in route.pattern:
            base = route.pattern.split("*")[0]
            if base not in paths or f"{base}/{{path}}" not in paths:
                missing.append(route.pattern)
        elif ROUTE_PARAM.sub(r"{\1}", route.pattern) not in paths:
            missing.append(route.pattern)
    for view in api_views(registry):
        if view.route_name == "api.content":
            suffix = "".join(
                f"/{segment}"
                for segment in ([view.view_name] if view.view_name else []) + list(view.subpath)
            )
            pattern = re.escape("/api/v1/content/{path}" + suffix).replace(r"\*", r"\{\w+\}")
            found = [path for path in paths if re.fullmatch(pattern, path)]
        else:
            found = [ROUTE_PARAM.sub(r"{\1}", view.pattern)]
        for path in found or [view.label]:
            for method in view.methods:
                if method != "HEAD" and method.lower() not in paths.get(path, {}):
                    missing.append(f"{method} {path}")
    assert missing == [], "routes or methods the document does not describe"


def test_operations_list_their_problems_and_headers(document):
    operations = {
        op["operationId"]: op for path in document["paths"].values() for op in path.values()
    }
    assert len(operations) == sum(len(path) for path in document["paths"].values())
    create = operations["createNode"]
    assert set(create["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert any(p["name"] == "Slug" for p in create["parameters"]), "a raw body names its file"
    assert "Location" in create["responses"]["201"]["headers"]
    assert create["responses"]["409"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }
    assert "Allow" in create["responses"]["405"]["headers"]
    update = operations["updateNode"]
    assert {"412", "428"} <= set(update["responses"])
    assert "ETag" in update["responses"]["200"]["headers"]
    assert any(p["name"] == "If-Match" and p["required"] for p in update["parameters"])
    # Writes with the session cookie need the CSRF token; a token needs nothing more.
    assert update["security"] == [
        {"bearerToken": []},
        {"sessionCookie": [], "csrfToken": []},
    ]
    assert operations["getOpenapiDocument"]["security"] == []
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"]["scheme"] == "bearer"
    assert schemes["sessionCookie"] == {**schemes["sessionCookie"], "in": "cookie"}


def test_request_bodies_come_from_the_schemas_the_api_validates_with(charter_app, document):
    from charter.api.people import NEW_USER
    from charter.content.registry import types_of

    operations = {
        op["operationId"]: op for path in document["paths"].values() for op in path.values()
    }
    body = operations["createUser"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"].keys() == NEW_USER.json_schema()["properties"].keys()
    assert body["required"] == ["email", "login", "password"]
    # A bound that is a setting is given its value.
    minimum = charter_app.registry.settings["charter.password.min_length"]
    assert body["properties"]["password"]["minLength"] == minimum
    new_node = operations["createNode"]["requestBody"]["content"]["application/json"]["schema"]
    made = {choice["properties"]["@type"]["const"] for choice in new_node["oneOf"]}
    types = types_of(charter_app.registry)
    assert made == {t.name for t in types if t.addable and not t.upload}
    for content_type in types:
        schema = document["components"]["schemas"][f"{content_type.name}Fields"]
        assert schema["properties"].keys() == content_type.json_schema()["properties"].keys()


def test_the_document_is_generated_for_the_app_it_describes(charter_app):
    document = build_document(charter_app.registry, "http://example.com/")
    assert document["servers"] == [{"url": "http://example.com/"}]
    assert "/api/v1/content/{path}/@history/{number}/@diff/{other}" in document["paths"]


def test_the_reference_page_renders_the_document_with_local_files(anonymous_app):
    page = anonymous_app.get("/api/v1/docs")
    assert page.content_type == "text/html"
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    html = page.text
    assert 'data-openapi="/api/v1/openapi.json"' in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) == 4
    for asset in assets:
        assert asset.startswith("/static/"), "no third-party host: it works offline"
        assert anonymous_app.get(asset).status_int == 200
    assert "<script>" not in html, "no inline script: the CSP forbids it"


def test_no_query_parameter_may_hold_nul(anonymous_app, document):
    """The input checks refuse NUL in every query parameter (400), so no string parameter's
    schema may admit it: a free-text one carries the pattern that says so."""
    admitting = sorted(
        f"{method.upper()} {path} ?{parameter['name']}"
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        and parameter["schema"].get("type") == "string"
        and not {"pattern", "format", "enum"} & set(parameter["schema"])
    )
    assert admitting == []
    refused = anonymous_app.get("/api/v1/search", {"q": "welcome", "state": "\x00"}, status=400)
    assert "NUL" in refused.json["detail"]
