"""What schemathesis is taught about the live site (loaded through ``SCHEMATHESIS_HOOKS``).

The document names, with ``format``, the strings that must refer to something
that exists: a folder's path, a file's, a login, a principal, a cursor the
server handed out, a moment in the future. A schema cannot list what exists;
these strategies draw it from the site the test built (``CHARTER_CONTRACT_SITE``,
JSON), so "positive" cases are valid requests and not merely well-shaped ones.
Negative cases are left alone.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
from typing import Any

import schemathesis
from hypothesis import strategies as st

SITE: dict[str, Any] = json.loads(os.environ["CHARTER_CONTRACT_SITE"])
TYPE_FIELDS: dict[str, list[str]] = SITE["type_fields"]


def _cursor(values: tuple[int, int]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _moment(moment: dt.datetime) -> str:
    return moment.isoformat()


MOMENTS = st.datetimes(
    min_value=dt.datetime(1000, 1, 2),
    max_value=dt.datetime(9999, 12, 30),
    timezones=st.just(dt.UTC),
)
FUTURE = st.datetimes(
    min_value=dt.datetime(2100, 1, 1),
    max_value=dt.datetime(9999, 12, 30),
    timezones=st.just(dt.UTC),
)

FORMATS = {
    "charter-folder-path": st.sampled_from(SITE["folders"]),
    "charter-file-path": st.sampled_from(SITE["files"]),
    "charter-node-path": st.sampled_from(SITE["nodes"]),
    "charter-folder": st.sampled_from(["/", *(f"/{path}" for path in SITE["folders"])]),
    "charter-child-name": st.sampled_from(SITE["child_names"]),
    "charter-login": st.sampled_from(SITE["logins"]),
    "charter-principal": st.sampled_from(SITE["principals"]),
    "charter-cursor": st.tuples(st.integers(-(2**31) + 1, 2**31 - 1), st.integers(1, 2**53)).map(
        _cursor
    ),
    "charter-trash-cursor": st.tuples(st.integers(0, 2**52), st.integers(1, 2**53)).map(_cursor),
    "charter-moment": st.one_of(MOMENTS.map(_moment), MOMENTS.map(lambda m: m.date().isoformat())),
    "charter-future-moment": FUTURE.map(_moment),
    "password": st.just(SITE["password"]),
    "charter-printable": st.text(
        alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30
    ),
    "charter-search-query": st.sampled_from(
        ["welcome", "travel policy", '"first week"', "hand*", "train OR car", "policy -travel"]
    ),
}
for name, strategy in FORMATS.items():
    schemathesis.openapi.format(name, strategy)


def _positive(case: Any) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """Valid requests whose validity depends on the node a path names, or on the caller."""
    if not _positive(case):
        return case
    path = case.operation.path
    if path.endswith("search") and case.query:
        # A search's cursor belongs to one query and sort: only a `next` URL has a good one.
        case.query.pop("after", None)
    if "audit" in path and case.query and {"since", "until"} <= set(case.query):
        # until may not come before since (400): a schema cannot compare two parameters.
        case.query.pop("until")
    if path == "/api/v1/changes" and case.query and "wait" in case.query:
        # The long poll has tests of its own; here a second at most, not thirty.
        case.query["wait"] = min(int(case.query["wait"]), 1)
    method = case.operation.method.upper()
    user_id = str((case.path_parameters or {}).get("user_id"))
    if path.startswith("/api/v1/users/") and method == "DELETE" and user_id == SITE["admin_id"]:
        # Its own account (400: no one deactivates themselves): another one instead.
        case.path_parameters["user_id"] = str(SITE["other_id"])
    if not isinstance(case.body, dict):
        return case
    node = (case.path_parameters or {}).get("path", "")
    if path.endswith("/@order"):
        names = SITE["children"].get(node, [])
        case.body["order"] = list(reversed(names))
    elif (
        path == "/api/v1/me"
        and method == "PATCH"
        and {"password", "current_password"} & set(case.body)
    ):
        # The caller keeps their password: the run goes on logging nothing else in.
        case.body["password"] = case.body["current_password"] = SITE["password"]
    elif (
        path.endswith("/@sharing")
        and method == "POST"
        and isinstance(case.body.get("entries"), list)
    ):
        # Each principal once (the description says so; a schema cannot).
        seen: dict[str, Any] = {}
        for entry in case.body["entries"]:
            seen.setdefault(entry["principal"], entry)
        case.body["entries"] = list(seen.values())
    elif path == "/api/v1/users/{user_id}" and method == "PATCH":
        if user_id == SITE["admin_id"]:
            # An administrator may not lock themselves out (400): the run keeps its access.
            case.body.pop("active", None)
            if "global_roles" in case.body:
                case.body["global_roles"] = sorted({*case.body["global_roles"], "Administrator"})
    elif path.startswith("/api/v1/content") and method == "PATCH":
        allowed = set(TYPE_FIELDS[SITE["types"].get(node, "Folder")]) | {"@comment"}
        for key in list(case.body):
            if key not in allowed:
                del case.body[key]
    return case


# DELETE that switches something off and keeps it, as documented (docs/api.md): a revoked
# token stays listed with its "revoked" time, a lifted legal hold reads "legal_hold": false,
# a deactivated account stays readable. Reading it after is not a use after free.
SWITCHING_OFF = ("/api/v1/me/tokens/", "/@legal-hold", "/api/v1/users/")


# Fields that name something else: the folder to move to, children to order, a member, a
# principal, a webhook's host (which must resolve to a public address) and subtree. What
# the site started with is drawn for them, but the run moves, renames and deletes things
# too; naming one that is gone (or a host that is not there) is a 400 at that field.
REFERENCE = re.compile(
    r"^/(destination|target|order(/\d+)?|members(/\d+)?|entries/\d+/principal|url|subtree)$"
)


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure but those the comments above explain."""
    kind = type(failure).__name__
    if kind == "UseAfterFree":
        freed = getattr(failure, "free", "")
        return not any(marker in freed for marker in SWITCHING_OFF)
    if kind == "RejectedPositiveData" and response.status_code == 400:
        try:
            errors = json.loads(response.content).get("errors") or []
        except ValueError:
            return True
        pointers = [error.get("pointer", "") for error in errors]
        return not pointers or not all(REFERENCE.match(pointer) for pointer in pointers)
    if kind == "AcceptedNegativeData" and str(case.media_type).startswith("multipart/"):
        # A form holds text: a number or an object sent in a field arrives as its text.
        return "violates `type`" not in str(getattr(failure, "message", ""))
    return True
