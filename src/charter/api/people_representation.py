"""JSON of people, groups, API tokens and sharing, and the checks on the bodies clients send."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from pyramid.request import Request

from charter.accounts.models import ApiToken, Group, User
from charter.api.representation import ancestor_urls, api_url
from charter.content.fields import MomentOutOfRange, storable_utc
from charter.errors import ValidationFailed
from charter.input.json import join_pointer, json_object
from charter.input.text import single_line_pattern
from charter.security.principals import AUTHENTICATED, EVERYONE, group_principal, user_principal
from charter.security.sharing import Sharing
from charter.sessions.devices import describe_device
from charter.sessions.store import SessionRecord
from charter.tree.models import Node

SYSTEM_PRINCIPAL_TITLES = {
    EVERYONE: "Everyone, also visitors who are not logged in",
    AUTHENTICATED: "Everyone who is logged in",
}


# -- what comes in ------------------------------------------------------------


class Shape(Protocol):
    """What a value in a request body must look like."""

    def problems(self, value: Any, pointer: str) -> list[tuple[str, str]]:
        """``(pointer, message)`` for each way ``value`` misses the shape."""

    def json_schema(self) -> dict[str, Any]:
        """The shape in JSON Schema, for the OpenAPI document."""


@dataclass(frozen=True)
class Scalar:
    """A single value: a string, a boolean..."""

    description: str
    accepts: Callable[[Any], bool]
    schema: Mapping[str, Any] = field(default_factory=dict)

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of what ``accepts`` lets through (the OpenAPI document's)."""
        return dict(self.schema)

    def problems(self, value: Any, pointer: str) -> list[tuple[str, str]]:
        """One problem when ``value`` is not accepted."""
        return [] if self.accepts(value) else [(pointer, f"must be {self.description}")]


@dataclass(frozen=True)
class ListOf:
    """A JSON array whose items all have one shape."""

    item: Shape

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the array."""
        return {"type": "array", "items": self.item.json_schema()}

    def problems(self, value: Any, pointer: str) -> list[tuple[str, str]]:
        """The problems of the array, or of each item at its own index."""
        if not isinstance(value, list):
            return [(pointer, "must be a list")]
        found: list[tuple[str, str]] = []
        for index, item in enumerate(value):
            found += self.item.problems(item, join_pointer(pointer, index))
        return found


@dataclass(frozen=True)
class ObjectOf:
    """A JSON object with known keys, some of them required; other keys are refused."""

    fields: Mapping[str, Shape]
    required: frozenset[str] = field(default_factory=frozenset)

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the object: its keys, those required, no others."""
        return {
            "type": "object",
            "properties": {key: shape.json_schema() for key, shape in self.fields.items()},
            "required": sorted(self.required),
            "additionalProperties": False,
        }

    def problems(self, value: Any, pointer: str) -> list[tuple[str, str]]:
        """Unknown, missing and ill-typed keys."""
        if not isinstance(value, dict):
            return [(pointer, "must be an object")]
        found = [
            (join_pointer(pointer, key), f"unknown field; expected one of {', '.join(self.fields)}")
            for key in value
            if key not in self.fields
        ]
        for key, shape in self.fields.items():
            if key in value:
                found += shape.problems(value[key], join_pointer(pointer, key))
            elif key in self.required:
                found.append((join_pointer(pointer, key), "required"))
        return found


TEXT = Scalar("a string", lambda value: isinstance(value, str), {"type": "string"})
TEXT_OR_NULL = Scalar(
    "a string or null",
    lambda value: value is None or isinstance(value, str),
    {"type": ["string", "null"]},
)
FLAG = Scalar("true or false", lambda value: isinstance(value, bool), {"type": "boolean"})
TEXTS = ListOf(TEXT)

# What the services accept in a string, for the OpenAPI document (the views check the
# type, the services the rest). Leading and trailing whitespace is stripped first, so the
# limit on characters is in the pattern, counted without it.
NO_NUL = "^[^\\x00]*$"
one_line = single_line_pattern


def text_shape(schema: Mapping[str, Any]) -> Scalar:
    """A string the services check further, as ``schema`` (JSON Schema) describes it."""
    return Scalar("a string", lambda value: isinstance(value, str), {"type": "string", **schema})


def check_body(body: dict[str, Any], shape: ObjectOf) -> dict[str, Any]:
    """``body`` when it has ``shape``; ValidationFailed with a pointer per problem otherwise."""
    problems = shape.problems(body, "")
    if problems:
        raise ValidationFailed(problems)
    return body


def read_body(request: Request, shape: ObjectOf) -> dict[str, Any]:
    """The request's JSON object, checked against ``shape``."""
    return check_body(json_object(request), shape)


def parse_moment(text: str, field_name: str) -> dt.datetime:
    """An ISO 8601 date and time with its UTC offset, as an aware UTC datetime."""
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationFailed(
            [(field_name, "give an ISO 8601 time with its offset, such as 2030-01-31T00:00:00Z")]
        )
    try:
        return storable_utc(moment)
    except MomentOutOfRange as problem:
        raise ValidationFailed([(field_name, str(problem))]) from None


# -- what goes out ------------------------------------------------------------


def moment_json(moment: dt.datetime | None) -> str | None:
    """A time as ISO 8601 in UTC, or None."""
    return None if moment is None else moment.isoformat()


def user_json(request: Request, user: User, global_roles: Sequence[str]) -> dict[str, Any]:
    """An account; never its password hash."""
    return {
        "@id": request.route_url("api.user", user_id=user.id),
        "id": user.id,
        "login": user.login,
        "email": user.email,
        "full_name": user.full_name,
        "active": user.active,
        "created": moment_json(user.created),
        "last_login": moment_json(user.last_login),
        "groups": [group.name for group in user.groups],
        "global_roles": sorted(global_roles),
    }


def group_json(request: Request, group: Group) -> dict[str, Any]:
    """A group and the logins of its members."""
    return {
        "@id": request.route_url("api.group", name=group.name),
        "name": group.name,
        "title": group.title,
        "created": moment_json(group.created),
        "members": [member.login for member in group.members],
    }


def token_json(request: Request, token: ApiToken) -> dict[str, Any]:
    """An API token as its owner sees it listed; never its text or hash."""
    return {
        "@id": request.route_url("api.me.token", token_id=token.id),
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "created": moment_json(token.created),
        "expires": moment_json(token.expires),
        "last_used": moment_json(token.last_used),
        "revoked": moment_json(token.revoked),
    }


def session_json(
    request: Request, session: SessionRecord, current_id: int | None
) -> dict[str, Any]:
    """A logged-in session as its owner sees it listed; never its key."""
    return {
        "@id": request.route_url("api.me.session", session_id=session.id),
        "id": session.id,
        "device": describe_device(session.user_agent),
        "user_agent": session.user_agent,
        "address": session.address,
        "created": moment_json(session.created),
        "last_seen": moment_json(session.last_seen),
        "expires": moment_json(session.expires),
        "current": session.id == current_id,
    }


def principal_titles(request: Request, principals: Iterable[str]) -> dict[str, str]:
    """What to call each principal: a person's full name, a group's title.

    A principal naming an account or group that no longer exists is called by
    its own name.
    """
    wanted = set(principals)
    users, groups = request.accounts.principals(wanted)
    titles = {p: SYSTEM_PRINCIPAL_TITLES.get(p, p) for p in wanted}
    for user in users.values():
        titles[user_principal(user.id)] = user.full_name or user.login
    for group in groups.values():
        titles[group_principal(group.name)] = group.title or group.name
    return titles


def sharing_json(request: Request, node: Node, sharing: Sharing) -> dict[str, Any]:
    """How ``node`` is shared: its own grants, what it inherits and from where."""
    titles = principal_titles(
        request, list(sharing.local) + [grant.principal for grant in sharing.inherited]
    )
    # No URL of an ancestor the caller may not view (docs/security.md).
    sources = ancestor_urls(request, node)
    return {
        "@id": api_url(request, node.path) + "/@sharing",
        "inherit": sharing.inherit,
        "entries": [
            {"principal": principal, "title": titles[principal], "roles": roles}
            for principal, roles in sorted(sharing.local.items())
        ],
        "inherited": [
            {
                "principal": grant.principal,
                "title": titles[grant.principal],
                "role": grant.role,
                "path": grant.path,
                "from": sources.get(grant.path),
            }
            for grant in sharing.inherited
        ],
    }
