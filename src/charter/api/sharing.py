"""JSON API of sharing: ``/api/v1/content/<path>/@sharing``."""

from __future__ import annotations

from typing import Any, NoReturn

from pyramid.config import not_
from pyramid.httpexceptions import HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.view import view_config

from charter.api.openapi.declare import ok, operation
from charter.api.people_representation import (
    FLAG,
    ListOf,
    ObjectOf,
    read_body,
    sharing_json,
    text_shape,
)
from charter.errors import ValidationFailed
from charter.security.roles import LOCAL_ROLES, Permission
from charter.tree.models import Node

SHARING_METHODS = ("GET", "HEAD", "POST")
SHARING_VIEW = {"route_name": "api.content", "context": Node, "name": "@sharing"}

# An existing account or group, or one of the system principals.
PRINCIPAL = text_shape(
    {
        "format": "charter-principal",
        "description": "user:<id>, group:<name>, system.Authenticated or system.Everyone",
    }
)
SHARING_ENTRY = ObjectOf(
    {"principal": PRINCIPAL, "roles": ListOf(text_shape({"enum": [r.value for r in LOCAL_ROLES]}))},
    required=frozenset({"principal", "roles"}),
)
SHARING_CHANGE = ObjectOf({"inherit": FLAG, "entries": ListOf(SHARING_ENTRY)})


@operation(
    "Who holds which role on a node",
    tags=("sharing",),
    responses={200: ok("Sharing")},
    errors=(403,),
    operation_id="getSharing",
)
@view_config(request_method="GET", permission=Permission.SHARE, renderer="json", **SHARING_VIEW)
def show_sharing(context: Node, request: Request) -> dict[str, Any]:
    """Who holds which role here: local grants, inherited ones and where they come from."""
    return sharing_json(request, context, request.sharing.sharing(context))


@operation(
    "Change who holds which role on a node",
    tags=("sharing",),
    body=SHARING_CHANGE,
    responses={200: ok("Sharing")},
    operation_id="changeSharing",
)
@view_config(request_method="POST", permission=Permission.SHARE, renderer="json", **SHARING_VIEW)
def change_sharing(context: Node, request: Request) -> dict[str, Any]:
    """Set the listed principals' roles here (an empty list removes theirs); others keep theirs.

    ``inherit`` turns inheritance from the ancestors on or off; without it,
    inheritance stays as it is.
    """
    body = read_body(request, SHARING_CHANGE)
    entries = body.get("entries", [])
    first_index: dict[str, int] = {}
    repeated = []
    for index, entry in enumerate(entries):
        if entry["principal"] in first_index:
            repeated.append(
                (
                    f"entries/{index}/principal",
                    f"already listed at entries/{first_index[entry['principal']]}",
                )
            )
        first_index.setdefault(entry["principal"], index)
    if repeated:
        raise ValidationFailed(repeated)
    # In the order of ``entries``, so the service's "entries/<n>" errors point at the right one.
    wanted = {entry["principal"]: entry["roles"] for entry in entries}
    state = request.sharing.update(
        context, wanted, inherit=body.get("inherit"), actor=request.actor
    )
    return sharing_json(request, context, state)


# Changes nothing, so no CSRF token is needed to be told so; only those who
# may view the node learn that it exists.
@view_config(
    request_method=not_(SHARING_METHODS),
    require_csrf=False,
    permission=Permission.VIEW,
    **SHARING_VIEW,
)
def sharing_method_not_allowed(context: Node, request: Request) -> NoReturn:
    """Say which methods a sharing URL answers."""
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(SHARING_METHODS)})
