"""The OpenAPI 3.1 document of ``/api/v1/``, generated from the registered routes and views.

Each API view declares its operation once, beside itself
(:func:`charter.api.openapi.declare.operation`); this module walks Pyramid's
introspector for every view registered on a route under ``/api/v1/``, takes
its path from the route (and, for content, from the view name and subpath
predicate), its methods from the view's ``request_method``, and its
request body from the schema the view checks it with: the content types'
pydantic models (add-ons' types included, as enabled) and the people
endpoints' shapes. Views that only answer ``405`` (``request_method=not_(...)``)
are described by the ``405`` response of the others.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pyramid.config.predicates import not_
from pyramid.interfaces import IRoutesMapper
from pyramid.registry import Registry

from charter.api.openapi import components
from charter.api.openapi.components import NAME_PATTERN, ref
from charter.api.openapi.declare import Declaration, Reply, declaration_of
from charter.api.people_representation import one_line
from charter.api.problems import PROBLEM_JSON
from charter.content.models import File, Folder
from charter.content.registry import ContentType, types_of
from charter.tree.models import Node

API_PREFIX = "/api/v1/"
OPENAPI_VERSION = "3.1.0"
# Statuses every operation may answer: a bad URL or query string, 414 for one over 8 KiB.
COMMON_ERRORS = (400, 414)
CONTENT_ROUTE = "api.content"
CONTENT_PATH_PARAM = "path"
# A node's path below the root: one or more names (charter.tree.names), "/"-separated.
# The names of the path: NAME_PATTERN, "/"-separated. (The format, not a pattern, says what
# it is: a pattern would make generators ignore the format's meaning.)
CONTENT_PATH_SCHEMA = {"type": "string"}
IF_MATCH_SCHEMA = {"type": "string", "pattern": r'^"[0-9]{1,18}(-[0-9a-f]{1,64})?"$'}
_ROUTE_PARAM = re.compile(r"\{(\w+)(?::([^{}]*(?:\{[^{}]*\}[^{}]*)*))?\}")


@dataclass(frozen=True)
class ApiView:
    """A view registered under ``/api/v1/``: where, for which methods, and its declaration."""

    route_name: str
    pattern: str
    view_name: str
    subpath: tuple[str, ...]
    methods: tuple[str, ...]
    callable: Any
    declaration: Declaration | None
    context: Any = None
    # The value of the view's ``container`` predicate: a folder (True) or not (False).
    container: bool | None = None

    @property
    def label(self) -> str:
        """How a test failure names the view."""
        where = self.pattern + (f" view {self.view_name!r}" if self.view_name else "")
        if self.subpath:
            where += f" subpath {'/'.join(self.subpath)!r}"
        name = getattr(self.callable, "__qualname__", repr(self.callable))
        return f"{','.join(self.methods)} {where} ({name})"


def api_views(registry: Registry) -> Iterator[ApiView]:
    """Every view on a route under ``/api/v1/`` that answers something other than 405."""
    mapper = registry.queryUtility(IRoutesMapper)
    patterns = {route.name: route.pattern for route in mapper.get_routes()}
    for entry in registry.introspector.get_category("views"):
        view = entry["introspectable"]
        route_name = view["route_name"]
        pattern = patterns.get(route_name or "")
        if pattern is None or not pattern.startswith(API_PREFIX.rstrip("/")):
            continue
        methods = view["request_methods"]
        if isinstance(methods, not_):
            continue  # a "405 Method Not Allowed" catch-all
        if methods is None:
            methods = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
        elif isinstance(methods, str):
            methods = (methods,)
        subpath: tuple[str, ...] = ()
        container = None
        for predicate in view["predicates"]:
            if type(predicate).__name__ == "SubpathPredicate":
                subpath = predicate.value
            if type(predicate).__name__ == "ContainerPredicate":
                container = predicate.value
        yield ApiView(
            route_name=route_name,
            pattern=pattern,
            view_name=view["name"] or "",
            subpath=subpath,
            methods=tuple(sorted(methods)),
            callable=view["callable"],
            declaration=declaration_of(view["callable"]),
            context=view["context"],
            container=container,
        )


def undeclared_views(registry: Registry) -> list[str]:
    """The API views no declaration describes (each is missing from the document)."""
    return sorted(view.label for view in api_views(registry) if view.declaration is None)


def build_document(registry: Registry, server_url: str = "/") -> dict[str, Any]:
    """The OpenAPI 3.1 document of every declared operation under ``/api/v1/``."""
    builder = _Builder(registry)
    for view in api_views(registry):
        if view.declaration is not None:
            builder.add(view)
    settings = registry.settings
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{settings.get('charter.site_title') or 'Charter'} API",
            "version": "1",
            "description": (
                "Charter's JSON API. Every GET also answers HEAD (the same headers, no "
                "body). Errors are RFC 9457 problems (application/problem+json). "
                "See docs/api.md for the narrative reference."
            ),
        },
        "servers": [{"url": server_url}],
        "security": components.security_requirements("required", "GET"),
        "tags": [{"name": tag} for tag in sorted(builder.tags)],
        "paths": {path: builder.paths[path] for path in sorted(builder.paths)},
        "components": {
            "schemas": dict(sorted({**components.SCHEMAS, **builder.schemas}.items())),
            "headers": components.HEADERS,
            "securitySchemes": components.SECURITY_SCHEMES,
        },
    }


class _Builder:
    """Collects operations, path by path, and the schemas of the content types."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.paths: dict[str, dict[str, Any]] = {}
        self.schemas: dict[str, Any] = {}
        self.tags: set[str] = set()
        self.types = list(types_of(registry))
        for content_type in self.types:
            self._add_type_schemas(content_type)

    # -- content types ---------------------------------------------------------

    def _add_type_schemas(self, content_type: ContentType) -> None:
        schema = content_type.schema.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas[name] = definition
        self.schemas[f"{content_type.name}Fields"] = schema

    def new_node_body(self) -> dict[str, Any]:
        """``POST <folder>``: ``@type``, ``name``, ``@comment`` and the type's fields."""
        choices = []
        for content_type in self.types:
            if content_type.upload or not content_type.addable:
                continue
            fields = copy.deepcopy(self.schemas[f"{content_type.name}Fields"])
            fields["title"] = f"New{content_type.name}"
            fields["properties"] = {
                "@type": {"const": content_type.name},
                "name": {
                    "type": ["string", "null"],
                    "pattern": f"^{NAME_PATTERN}$",
                    "description": "The URL segment; made from the title when null or left out.",
                },
                "@comment": COMMENT_SCHEMA,
                **fields.get("properties", {}),
            }
            fields["required"] = ["@type", *fields.get("required", [])]
            choices.append(fields)
        return {"oneOf": choices}

    def changes_body(self) -> dict[str, Any]:
        """``PATCH <node>``: any of the node's type's fields, and ``@comment``."""
        choices = []
        for content_type in self.types:
            fields = copy.deepcopy(self.schemas[f"{content_type.name}Fields"])
            fields["title"] = f"{content_type.name}Changes"
            fields.pop("required", None)
            fields["properties"] = {"@comment": COMMENT_SCHEMA, **fields.get("properties", {})}
            choices.append(fields)
        return {"anyOf": choices}

    def model_schema(self, model: type[BaseModel], mode: str = "serialization") -> dict:
        """The JSON Schema of a pydantic model an API view reads or answers with, its
        nested models made components."""
        schema = model.model_json_schema(
            by_alias=True, ref_template="#/components/schemas/{model}", mode=mode
        )
        for name, definition in schema.pop("$defs", {}).items():
            self.schemas.setdefault(name, definition)
        return schema

    # -- operations ------------------------------------------------------------

    def add(self, view: ApiView) -> None:
        declaration = view.declaration
        assert declaration is not None
        self.tags.update(declaration.tags)
        for path, path_params in self._paths_of(view):
            for method in view.methods:
                if method == "HEAD":
                    continue  # as its GET, without a body
                operation = self._operation(view, declaration, method, path, path_params)
                existing = self.paths.setdefault(path, {}).get(method.lower())
                self.paths[path][method.lower()] = (
                    operation if existing is None else _merge(existing, operation)
                )

    def _paths_of(self, view: ApiView) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        declaration = view.declaration
        assert declaration is not None
        if view.route_name != CONTENT_ROUTE:
            params = []
            for match in _ROUTE_PARAM.finditer(view.pattern):
                schema: dict[str, Any] = {"type": "string"}
                if match[2]:
                    schema["pattern"] = f"^{match[2]}$"
                params.append(_path_param(match[1], schema, "From the URL."))
            yield _ROUTE_PARAM.sub(r"{\1}", view.pattern), params
            return
        # /api/v1/content*traverse: the root, and every node below it.
        stars = [segment for segment in view.subpath if segment == "*"]
        if len(stars) != len(declaration.subpath_params):
            raise ValueError(
                f"{view.label}: its subpath has {len(stars)} '*', "
                f"its declaration names {len(declaration.subpath_params)}"
            )
        names = iter(declaration.subpath_params)
        suffix_params = []
        segments = [view.view_name] if view.view_name else []
        for segment in view.subpath:
            if segment == "*":
                name, description = next(names)
                segments.append(f"{{{name}}}")
                suffix_params.append(
                    _path_param(name, {"type": "string", "pattern": "^[0-9]{1,18}$"}, description)
                )
            else:
                segments.append(segment)
        suffix = "".join(f"/{segment}" for segment in segments)
        root = view.pattern.split("*")[0]
        # The root is a folder: it has the views of folders and of every node.
        context = view.context if isinstance(view.context, type) else Node
        if issubclass(Folder, context) and view.container is not False and declaration.at_root:
            yield root + suffix, suffix_params
        if view.container:
            kind = "charter-folder-path"
        elif issubclass(context, File):
            kind = "charter-file-path"
        else:
            kind = "charter-node-path"
        node_param = _path_param(
            CONTENT_PATH_PARAM,
            {**CONTENT_PATH_SCHEMA, "format": kind},
            "The node's path below the root, such as projects/onboarding"
            + {
                "charter-folder-path": ": a folder's.",
                "charter-file-path": ": a file's.",
                "charter-node-path": ".",
            }[kind],
        )
        yield f"{root}/{{{CONTENT_PATH_PARAM}}}{suffix}", [node_param, *suffix_params]

    def _operation(
        self,
        view: ApiView,
        declaration: Declaration,
        method: str,
        path: str,
        path_params: list[dict[str, Any]],
    ) -> dict[str, Any]:
        parameters = list(path_params) + [
            param.to_openapi(self.registry.settings) for param in declaration.params
        ]
        if declaration.if_match:
            parameters.append(
                {
                    "name": "If-Match",
                    "in": "header",
                    "required": True,
                    "description": 'The ETag the node was read with, such as "3".',
                    "schema": IF_MATCH_SCHEMA,
                }
            )
        operation: dict[str, Any] = {
            "operationId": self._operation_id(view, declaration, method, path),
            "summary": declaration.summary,
            "tags": list(declaration.tags),
            "parameters": parameters,
            "responses": self._responses(declaration, method),
        }
        if view.route_name == CONTENT_ROUTE:
            _add_content_refusals(operation, method, f"{{{CONTENT_PATH_PARAM}}}" in path)
        if declaration.description:
            operation["description"] = declaration.description
        security = components.security_requirements(declaration.security, method)
        if declaration.security != "required" or method not in ("GET", "HEAD"):
            operation["security"] = security
        body = self._body(declaration)
        if body is not None:
            operation["requestBody"] = body
        return operation

    def _operation_id(self, view: ApiView, declaration: Declaration, method: str, path: str) -> str:
        ids = declaration.operation_ids
        base = ids.get(method) or ids.get("*")
        if base is None:
            name = view.callable.__name__
            base = _camel(name if len(view.methods) <= 2 else f"{method.lower()}_{name}")
        if view.route_name == CONTENT_ROUTE and f"{{{CONTENT_PATH_PARAM}}}" not in path:
            base += "AtRoot"
        return base

    def _responses(self, declaration: Declaration, method: str) -> dict[str, Any]:
        responses: dict[str, Any] = {}
        for status, reply in declaration.responses.items():
            if isinstance(reply.schema, type) and issubclass(reply.schema, BaseModel):
                reply = dataclasses.replace(reply, schema=self.model_schema(reply.schema))
            responses[str(status)] = _reply(reply)
        errors = set(COMMON_ERRORS) | set(declaration.errors)
        if declaration.security != "none":
            errors.add(401)
            if method not in ("GET", "HEAD"):
                errors.add(403)  # a read-only token, or roles that do not allow it
        if declaration.body is not None:
            errors |= {413, 415}
        if declaration.if_match:
            errors |= {412, 428}
        for status in sorted(errors):
            responses.setdefault(str(status), components.problem_response(status))
        return dict(sorted(responses.items()))

    def _body(self, declaration: Declaration) -> dict[str, Any] | None:
        body = declaration.body
        if body is None:
            return None
        if body == "new-node":
            content = {"application/json": {"schema": self.new_node_body()}}
        elif body == "node-changes":
            content = {"application/json": {"schema": self.changes_body()}}
        elif isinstance(body, type) and issubclass(body, BaseModel):
            content = {"application/json": {"schema": self.model_schema(body, "validation")}}
        elif callable(body):
            content = body()
        elif hasattr(body, "json_schema"):
            content = {"application/json": {"schema": body.json_schema()}}
        else:
            content = {"application/json": {"schema": body}}
        settings = self.registry.settings
        return {
            "required": declaration.body_required,
            "content": _with_settings(content, settings),
        }


COMMENT_SCHEMA = {
    "type": ["string", "null"],
    "pattern": one_line(500),
    "description": "A comment on the revision this makes: one line of at most 500 characters.",
}


def _add_content_refusals(operation: dict[str, Any], method: str, below_root: bool) -> None:
    """What every content URL may answer: 404, and a redirect from a path a node left."""
    responses = operation["responses"]
    responses.setdefault("404", components.problem_response(404))
    if below_root:
        status, text = (
            ("301", "Moved Permanently") if method == "GET" else ("308", "Permanent Redirect")
        )
        responses.setdefault(
            status,
            {
                "description": f"{text}: the node moved; Location is where it is now.",
                "headers": {"Location": {"$ref": "#/components/headers/Location"}},
            },
        )
    operation["responses"] = dict(sorted(responses.items()))


def _with_settings(value: Any, settings: Any) -> Any:
    """``value`` with every bound that names a setting (``"minLength": "charter.x"``) given
    the setting's value."""
    if isinstance(value, dict):
        return {
            key: settings[item]
            if key in BOUND_KEYS and isinstance(item, str) and item in settings
            else _with_settings(item, settings)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_with_settings(item, settings) for item in value]
    return value


BOUND_KEYS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems")


def _path_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


def _reply(reply: Reply) -> dict[str, Any]:
    response: dict[str, Any] = {"description": reply.description}
    if reply.schema is not None and reply.media_type:
        schema = ref(reply.schema) if isinstance(reply.schema, str) else reply.schema
        response["content"] = {reply.media_type: {"schema": schema}}
    if reply.headers:
        response["headers"] = {
            name: {"$ref": f"#/components/headers/{name}"} for name in reply.headers
        }
    if reply.links:
        response["links"] = {
            name: {"operationId": operation_id, "parameters": dict(parameters)}
            for name, (operation_id, parameters) in reply.links.items()
        }
    return response


def _merge(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Two views serving one path and method (a JSON POST and an upload): one operation."""
    merged = copy.deepcopy(first)
    for status, response in second["responses"].items():
        merged["responses"].setdefault(status, response)
    if "requestBody" in second:
        body = merged.setdefault("requestBody", {"required": True, "content": {}})
        body["content"].update(second["requestBody"]["content"])
    names = {(p["name"], p["in"]) for p in merged["parameters"]}
    merged["parameters"] += [p for p in second["parameters"] if (p["name"], p["in"]) not in names]
    if second.get("description"):
        merged["description"] = f"{merged.get('description', '')}\n\n{second['description']}"
    return merged


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


__all__ = ["PROBLEM_JSON", "api_views", "build_document", "undeclared_views"]
