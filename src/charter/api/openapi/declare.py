"""How an API view states its operation for the OpenAPI document, once, next to the view.

::

    @operation(
        "Create an account",
        tags=("people",),
        body=NEW_USER,
        responses={201: created("User")},
        errors=(400, 403, 409),
    )
    @view_config(route_name="api.users", request_method="POST", ...)
    def create_user(request): ...

The path and the method are not repeated: the document
(:mod:`charter.api.openapi.document`) finds them in Pyramid's registry of
routes and views, where the view is registered, and reads the declaration
off the view callable. A view registered under ``/api/v1/`` without a
declaration is reported by ``undeclared_views`` (and a test fails).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

ATTRIBUTE = "__charter_openapi__"

# The shared component schemas responses refer to by name (see components.py).
Schema = dict[str, Any]
View = TypeVar("View", bound=Callable[..., Any])


# Query strings never hold NUL (the input checks refuse it everywhere).
NO_NUL = "^[^\\x00]*$"
# What already limits a string's characters (a format's strategy, a pattern, a list).
_CHARACTER_RULES = frozenset({"pattern", "format", "enum"})


@dataclass(frozen=True)
class Param:
    """A query (or header) parameter."""

    name: str
    description: str
    schema: Schema = field(default_factory=lambda: {"type": "string", "pattern": NO_NUL})
    location: str = "query"
    required: bool = False

    def to_openapi(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The OpenAPI Parameter Object; a bound named by a setting takes its value, and a
        free-text query string says it holds no NUL."""
        schema = {
            key: settings[value] if isinstance(value, str) and value in settings else value
            for key, value in self.schema.items()
        }
        if (
            self.location == "query"
            and schema.get("type") == "string"
            and not _CHARACTER_RULES & set(schema)
        ):
            schema["pattern"] = NO_NUL
        return {
            "name": self.name,
            "in": self.location,
            "description": self.description,
            "required": self.required,
            "schema": schema,
        }


@dataclass(frozen=True)
class Reply:
    """A successful answer: its description, body (a component name, an inline schema, or
    None for no body), media type and headers (component names: ETag, Location...)."""

    description: str
    # A component's name, a JSON Schema, or the pydantic model the view answers with.
    schema: str | Schema | type | None = None
    media_type: str = "application/json"
    headers: tuple[str, ...] = ()
    # OpenAPI links to later operations, by name: {"GetUser": ("getUser", {"user_id": "..."})}.
    links: Mapping[str, tuple[str, Mapping[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Declaration:
    """What a view tells the document about the operation(s) it serves."""

    summary: str
    description: str
    tags: tuple[str, ...]
    responses: Mapping[int, Reply]
    errors: tuple[int, ...]
    # A request body: a Shape (charter.api.people_representation), a JSON Schema,
    # or a callable given the registry that returns {media type: schema}.
    body: Any = None
    body_required: bool = True
    params: tuple[Param, ...] = ()
    # Names of the ``*`` of a traversal view's subpath predicate, in order: "@history/{number}".
    subpath_params: tuple[tuple[str, str], ...] = ()
    # "required" (token or cookie), "optional" (content shared with everyone), "none".
    security: str = "required"
    # Whether the operation needs If-Match (writes to a node) and answers an ETag.
    if_match: bool = False
    operation_ids: Mapping[str, str] = field(default_factory=dict)
    # Whether a content view is described at the root too (the root is never moved or copied).
    at_root: bool = True


def operation(
    summary: str,
    *,
    responses: Mapping[int, Reply],
    tags: Sequence[str] = (),
    errors: Sequence[int] = (),
    description: str = "",
    body: Any = None,
    body_required: bool = True,
    params: Sequence[Param] = (),
    subpath_params: Sequence[tuple[str, str]] = (),
    security: str = "required",
    if_match: bool = False,
    operation_id: str | Mapping[str, str] | None = None,
    at_root: bool = True,
) -> Callable[[View], View]:
    """Declare the OpenAPI operation a view serves (decorate the view, beside its view_config).

    ``errors`` lists the problem statuses it may answer besides those every
    operation may (400 for a bad URL or query string, 401, 414). A view that
    serves several methods may give ``operation_id`` per method, e.g.
    ``{"PUT": "holdEntry", "DELETE": "releaseEntry"}``; otherwise the id is the
    view's name (plus the method when it serves more than one).
    """
    if security not in ("required", "optional", "none"):
        raise ValueError(f"security must be required, optional or none, not {security!r}")
    ids = operation_id if isinstance(operation_id, Mapping) else {}

    def decorate(view: View) -> View:
        declaration = Declaration(
            summary=summary,
            description=description or _first_paragraph(view.__doc__),
            tags=tuple(tags),
            responses=dict(responses),
            errors=tuple(errors),
            body=body,
            body_required=body_required,
            params=tuple(params),
            subpath_params=tuple(subpath_params),
            security=security,
            if_match=if_match,
            operation_ids={"*": operation_id} if isinstance(operation_id, str) else dict(ids),
            at_root=at_root,
        )
        setattr(view, ATTRIBUTE, declaration)
        return view

    return decorate


def declaration_of(view: Any) -> Declaration | None:
    """The declaration made on ``view`` (a function, or a class's method), or None."""
    return getattr(view, ATTRIBUTE, None)


def _first_paragraph(doc: str | None) -> str:
    if not doc:
        return ""
    lines = []
    for line in doc.strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


# -- replies used all over ---------------------------------------------------


def ok(schema: str | Schema, description: str = "OK", **options: Any) -> Reply:
    """``200`` with a JSON body."""
    return Reply(description, schema, **options)


def created(schema: str | Schema, description: str = "Created", **options: Any) -> Reply:
    """``201`` with a JSON body and its ``Location``."""
    headers = (*options.pop("headers", ()), "Location")
    return Reply(description, schema, headers=headers, **options)


# For modules that have a ``created`` of their own.
made = created

NO_CONTENT = Reply("Done; no body.", None, media_type="")


# -- parameters used all over ------------------------------------------------

LIMIT = Param(
    "limit",
    "How many items per page: 1 to charter.api.max_page_size (default "
    "charter.api.default_page_size).",
    # The builder puts the configured maximum in place of the setting's name.
    {"type": "integer", "minimum": 1, "maximum": "charter.api.max_page_size"},
)
CURSOR = Param(
    "after",
    "Where the page starts: take it from a `next` URL; it is opaque.",
    # Any other text is refused (400): the format names what the server hands out.
    {"type": "string", "format": "charter-cursor"},
)
IF_NONE_MATCH = Param(
    "If-None-Match",
    "ETags the client holds: 304 when one is current.",
    {"type": "string"},
    location="header",
)
