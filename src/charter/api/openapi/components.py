"""The shared pieces of the OpenAPI document: response bodies, headers, parameters, security.

Response bodies are described here, once, in JSON Schema 2020-12 (what
OpenAPI 3.1 speaks); request bodies come from the schemas the API checks
them with (the content types' pydantic models, the people endpoints' shapes),
see :mod:`charter.api.openapi.document`. Schemathesis checks every answer
against these in CI, so a key added to a response without a word here fails.
"""

from __future__ import annotations

from typing import Any

from charter.api.problems import PROBLEM_JSON

Schema = dict[str, Any]

# A node's name (charter.tree.names): not starting with "@" or "_", which name views.
NAME_PATTERN = "[A-Za-z0-9.~-][A-Za-z0-9._~-]{0,99}"

STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
URL: Schema = {"type": "string", "format": "uri"}
NULLABLE_URL: Schema = {"type": ["string", "null"], "format": "uri"}
MOMENT: Schema = {"type": "string", "format": "date-time"}
NULLABLE_MOMENT: Schema = {"type": ["string", "null"], "format": "date-time"}
INTEGER: Schema = {"type": "integer"}
BOOLEAN: Schema = {"type": "boolean"}
STRINGS: Schema = {"type": "array", "items": STRING}


def ref(name: str) -> Schema:
    """A reference to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Schema], *, open_: bool = False, optional: tuple = ()) -> Schema:
    """An object with these keys, all required except ``optional``; no others unless ``open_``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [key for key in properties if key not in optional],
        "additionalProperties": open_,
    }


def items_of(name: str, *, paged: bool = False) -> Schema:
    """``{"items": [...]}`` of component ``name`` (with ``next`` when ``paged``)."""
    properties: dict[str, Schema] = {"items": {"type": "array", "items": ref(name)}}
    if paged:
        properties["next"] = NULLABLE_URL
    return obj(properties)


NODE_SUMMARY = {
    "@id": URL,
    "@type": STRING,
    "uid": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
    "name": STRING,
    "title": STRING,
    "description": STRING,
    "path": STRING,
    "parent": NULLABLE_URL,
    "created": MOMENT,
    "modified": MOMENT,
    "version": {"type": "integer", "minimum": 1},
    "state": {
        "type": ["string", "null"],
        "description": (
            "The node's workflow state (private, pending, published...), as `state` of its "
            "`@workflow`; null when its type follows no workflow."
        ),
    },
}

PROBLEM: Schema = {
    "type": "object",
    "description": "An RFC 9457 problem (docs/api.md, Errors).",
    "properties": {
        "type": STRING,
        "title": STRING,
        "status": {"type": "integer", "minimum": 300, "maximum": 599},
        "detail": STRING,
        "errors": {
            "type": "array",
            "items": obj({"pointer": STRING, "detail": STRING}),
        },
        "current_version": INTEGER,
        "reason": STRING,
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}

USER = {
    "@id": URL,
    "id": INTEGER,
    "login": STRING,
    "email": STRING,
    "full_name": STRING,
    "active": BOOLEAN,
    "created": MOMENT,
    "last_login": NULLABLE_MOMENT,
    "groups": STRINGS,
    "global_roles": STRINGS,
}
TOKEN = {
    "@id": URL,
    "id": INTEGER,
    "name": STRING,
    "prefix": STRING,
    "scope": {"enum": ["read", "read-write"]},
    "created": MOMENT,
    "expires": NULLABLE_MOMENT,
    "last_used": NULLABLE_MOMENT,
    "revoked": NULLABLE_MOMENT,
}
TRASH_ENTRY = {
    "@id": URL,
    "id": INTEGER,
    "@type": STRING,
    "uid": STRING,
    "title": STRING,
    "name": STRING,
    "original_path": STRING,
    "deleted_by": NULLABLE_STRING,
    "deleted_at": MOMENT,
    "item_count": INTEGER,
    "file_bytes": INTEGER,
    "legal_hold": BOOLEAN,
    "restore": URL,
}
REVISION = {
    "@id": URL,
    "number": {"type": "integer", "minimum": 1},
    "created": MOMENT,
    "author": NULLABLE_STRING,
    "comment": STRING,
    "download": URL,
}

SCHEMAS: dict[str, Schema] = {
    "Problem": PROBLEM,
    "NodeSummary": obj(NODE_SUMMARY),
    "Node": {
        "description": (
            "A node: the keys of every node, its type's own fields (a document's body and "
            "body_html, a file's filename, size, mime_type and sha256, an add-on's), and for a "
            "folder a page of its children."
        ),
        **obj(
            {
                **NODE_SUMMARY,
                "items": {"type": "array", "items": ref("NodeSummary")},
                "next": NULLABLE_URL,
            },
            open_=True,
            optional=("items", "next"),
        ),
    },
    "ContentType": obj(
        {
            "@id": URL,
            "name": STRING,
            "title": STRING,
            "icon": STRING,
            "container": BOOLEAN,
            "allowed_parents": {"type": ["array", "null"], "items": STRING},
            "allowed_children": {"type": ["array", "null"], "items": STRING},
            "addable": BOOLEAN,
            "upload": BOOLEAN,
            "schema": {"type": "object", "description": "The JSON Schema of the type's fields."},
        }
    ),
    "ContentTypeList": items_of("ContentType"),
    "User": obj(USER),
    "UserList": items_of("User"),
    "Me": obj(
        {
            **USER,
            "token": {
                "oneOf": [obj({"id": INTEGER, "scope": {"enum": ["read", "read-write"]}})],
                "type": ["object", "null"],
            },
        }
    ),
    "Group": obj(
        {"@id": URL, "name": STRING, "title": STRING, "created": MOMENT, "members": STRINGS}
    ),
    "GroupList": items_of("Group"),
    "Token": obj(TOKEN),
    "NewToken": obj({**TOKEN, "token": STRING}),
    "TokenList": items_of("Token"),
    "Session": obj(
        {
            "@id": URL,
            "id": INTEGER,
            "device": STRING,
            "user_agent": STRING,
            "address": NULLABLE_STRING,
            "created": MOMENT,
            "last_seen": MOMENT,
            "expires": MOMENT,
            "current": BOOLEAN,
        }
    ),
    "SessionList": items_of("Session"),
    "Sharing": obj(
        {
            "@id": URL,
            "inherit": BOOLEAN,
            "entries": {
                "type": "array",
                "items": obj({"principal": STRING, "title": STRING, "roles": STRINGS}),
            },
            "inherited": {
                "type": "array",
                "items": obj(
                    {
                        "principal": STRING,
                        "title": STRING,
                        "role": STRING,
                        "path": STRING,
                        "from": NULLABLE_URL,
                    }
                ),
            },
        }
    ),
    "TrashEntry": obj(TRASH_ENTRY),
    "TrashEntryDetails": obj(
        {**TRASH_ENTRY, "original_folder": NULLABLE_URL, "held_items": INTEGER}
    ),
    "TrashList": items_of("TrashEntry", paged=True),
    "EmptiedTrash": obj(
        {
            "purged": INTEGER,
            "items": INTEGER,
            "held": {"type": "array", "items": ref("TrashEntry")},
        }
    ),
    "LegalHold": obj({"@id": URL, "legal_hold": BOOLEAN}),
    "HistoryPage": obj(
        {
            "@id": URL,
            "node": URL,
            "items": {
                "type": "array",
                "items": obj({**REVISION, "current": BOOLEAN}, optional=("download",)),
            },
            "next": NULLABLE_URL,
        }
    ),
    "Revision": obj(
        {**REVISION, "fields": {"type": "object"}},
        optional=("download",),
    ),
    "Diff": obj(
        {
            "@id": URL,
            "from": INTEGER,
            "to": INTEGER,
            "fields": {
                "type": "array",
                "items": obj(
                    {
                        "name": STRING,
                        "kind": STRING,
                        "changed": BOOLEAN,
                        "diff": STRING,
                        "old": {},
                        "new": {},
                    },
                    optional=("diff", "old", "new"),
                ),
            },
        }
    ),
}

HEADERS: dict[str, Any] = {
    "ETag": {
        "description": (
            'The version of the node (a document: "3"; a folder: "3-<digest of the listing>"); '
            "send it back in If-None-Match to revalidate or If-Match to change the node."
        ),
        "schema": {"type": "string"},
    },
    "Location": {"description": "The URL of what was made.", "schema": URL},
    "Content-Location": {"description": "The URL of the node restored.", "schema": URL},
    "Allow": {"description": "The methods this URL answers.", "schema": STRING},
    "WWW-Authenticate": {"description": 'Bearer realm="Charter"', "schema": STRING},
    "Link": {"description": 'The trash entry: <url>; rel="related"', "schema": STRING},
    "Cache-Control": {"description": "Caching rules of the answer.", "schema": STRING},
    "Content-Range": {"description": "The range sent, or the size (416).", "schema": STRING},
    "Content-Disposition": {"description": "The file's name.", "schema": STRING},
}

# What each problem status means, for the responses every operation lists.
PROBLEM_STATUSES = {
    400: "Bad request: a bad URL, query string, header or body (`errors` names each field).",
    401: "No valid credentials: log in, or send an API token.",
    403: "Authenticated, but the caller's roles (or a read-only token) do not allow this.",
    404: "No such item, or one the caller may not view.",
    405: "The URL does not answer this method; `Allow` lists those it does.",
    409: "Conflicts with the current state (a taken name, a type the folder refuses...).",
    410: "The cursor is older than what is kept: resync from a full listing.",
    412: "The node changed since the version in If-Match (`current_version` says which).",
    413: "The body or upload is over its limit.",
    414: "The query string is over 8 KiB.",
    415: "The body is not JSON in UTF-8 (or not a type this URL takes).",
    416: "The Range lies past the end of the file.",
    428: "If-Match is missing.",
}
PROBLEM_HEADERS = {401: ("WWW-Authenticate",), 405: ("Allow",), 416: ("Content-Range",)}


def problem_response(status: int) -> dict[str, Any]:
    """The Response Object of a problem with ``status``."""
    response: dict[str, Any] = {
        "description": PROBLEM_STATUSES[status],
        "content": {PROBLEM_JSON: {"schema": ref("Problem")}},
    }
    headers = PROBLEM_HEADERS.get(status)
    if headers:
        response["headers"] = {name: {"$ref": f"#/components/headers/{name}"} for name in headers}
    return response


SECURITY_SCHEMES: dict[str, Any] = {
    "bearerToken": {
        "type": "http",
        "scheme": "bearer",
        "description": (
            "An API token (My account, POST /api/v1/me/tokens or charter-user token): "
            "`Authorization: Bearer <token>`. A read token only reads."
        ),
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": "charter_session",
        "description": "The session cookie of a person logged in on the web UI.",
    },
    "csrfToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": (
            "With the session cookie, every change (POST, PUT, PATCH, DELETE) carries the "
            "session's CSRF token (the csrf_token field of any page's forms)."
        ),
    },
}


def security_requirements(kind: str, method: str) -> list[dict[str, list[str]]] | None:
    """The Security Requirement Objects of an operation (None: the document's default)."""
    if kind == "none":
        return []
    cookie: dict[str, list[str]] = {"sessionCookie": []}
    if method not in ("GET", "HEAD", "OPTIONS"):
        cookie["csrfToken"] = []
    requirements: list[dict[str, list[str]]] = [{"bearerToken": []}, cookie]
    if kind == "optional":
        # Content shared with system.Everyone is readable without credentials.
        requirements.append({})
    return requirements
