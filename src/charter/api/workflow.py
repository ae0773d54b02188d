"""The workflow over the JSON API.

``GET <node>/@workflow`` is the node's state, the transitions the caller may
take and its workflow history; ``POST <node>/@workflow/<transition>`` (with
``If-Match``, and an optional ``{"comment": ...}``) takes one; ``POST
/api/v1/@workflow`` takes one transition on many items and answers one
result per item. A refusal is a problem+json whose ``reason`` a program can
test (see charter.workflow.services), and nothing changes.
"""

from __future__ import annotations

from typing import Any, NoReturn

from pyramid.config import Configurator, not_
from pyramid.httpexceptions import HTTPForbidden, HTTPMethodNotAllowed
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config, view_config

from charter.api.editing import expected_version
from charter.api.openapi.declare import NO_NUL, ok, operation
from charter.api.problems import problem_response
from charter.api.representation import api_url
from charter.api.views import node_json, node_response
from charter.errors import ValidationFailed
from charter.input import json_object
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.workflow.models import WorkflowStep
from charter.workflow.services import (
    MAX_BULK_ITEMS,
    BulkOutcome,
    TransitionRefused,
    TransitionResult,
)

WORKFLOW = "@workflow"
BULK_ROUTE = "api.workflow.bulk"

STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
TRANSITION_SCHEMA = {
    "type": "object",
    "properties": {
        "name": STRING,
        "title": STRING,
        "to": STRING,
        "comment_required": {"type": "boolean"},
        "@id": STRING,
    },
}
STEP_SCHEMA = {
    "type": "object",
    "properties": {
        "at": STRING,
        "actor": NULLABLE_STRING,
        "transition": STRING,
        "from": NULLABLE_STRING,
        "to": STRING,
        "comment": STRING,
    },
}
WORKFLOW_SCHEMA = {
    "type": "object",
    "properties": {
        "@id": STRING,
        "workflow": NULLABLE_STRING,
        "state": NULLABLE_STRING,
        "state_title": NULLABLE_STRING,
        "transitions": {"type": "array", "items": TRANSITION_SCHEMA},
        "history": {"type": "array", "items": STEP_SCHEMA},
    },
}
RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "@id": STRING,
        "transition": STRING,
        "from": NULLABLE_STRING,
        "to": STRING,
        "visible": {"type": "boolean"},
        "node": {"type": ["object", "null"]},
    },
}
BULK_SCHEMA = {
    "type": "object",
    "properties": {
        "transition": STRING,
        "done": {"type": "integer"},
        "refused": {"type": "integer"},
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item": {},
                    "status": {"type": "integer"},
                    "done": {"type": "boolean"},
                    "uid": NULLABLE_STRING,
                    "path": NULLABLE_STRING,
                    "from": NULLABLE_STRING,
                    "to": NULLABLE_STRING,
                    "visible": {"type": ["boolean", "null"]},
                    "reason": NULLABLE_STRING,
                    "detail": NULLABLE_STRING,
                },
            },
        },
    },
}
COMMENT_BODY = {
    "type": "object",
    "properties": {"comment": {"type": "string", "maxLength": 500, "pattern": "^[^\\x00]*$"}},
    "additionalProperties": False,
}
BULK_BODY = {
    "type": "object",
    "required": ["transition", "items"],
    "properties": {
        # No string of a JSON body may hold NUL (charter.input refuses it with 400).
        "transition": {"type": "string", "pattern": NO_NUL},
        "items": {
            "type": "array",
            "items": {"type": "string", "pattern": NO_NUL},
            "minItems": 1,
            "maxItems": MAX_BULK_ITEMS,
        },
        "comment": {"type": "string", "maxLength": 500, "pattern": "^[^\\x00]*$"},
    },
    "additionalProperties": False,
}


def add_routes(config: Configurator) -> None:
    """The bulk route, ``/api/v1/@workflow``."""
    config.add_route(BULK_ROUTE, "/api/v1/@workflow")


def workflow_url(request: Request, node: Node) -> str:
    """The API URL of ``node``'s workflow."""
    return api_url(request, node.path).rstrip("/") + "/" + WORKFLOW


def step_json(step: WorkflowStep) -> dict[str, Any]:
    """One step of a node's workflow history."""
    return {
        "at": step.at.isoformat(),
        "actor": step.actor_login,
        "transition": step.transition,
        "from": step.from_state,
        "to": step.to_state,
        "comment": step.comment,
    }


def workflow_json(request: Request, node: Node) -> dict[str, Any]:
    """The node's workflow, state, the transitions the caller may take, and its history."""
    url = workflow_url(request, node)
    info = request.workflow.info(node)
    if info is None:
        return {
            "@id": url,
            "workflow": None,
            "state": None,
            "state_title": None,
            "transitions": [],
            "history": [step_json(s) for s in request.workflow.history(node)],
        }
    return {
        "@id": url,
        "workflow": info.workflow.name,
        "state": node.workflow_state,
        "state_title": info.state.title if info.state else node.workflow_state,
        "transitions": [
            {
                "@id": f"{url}/{t.name}",
                "name": t.name,
                "title": t.title,
                "to": t.to,
                "comment_required": t.comment_required,
            }
            for t in info.allowed
        ],
        "history": [step_json(s) for s in request.workflow.history(node)],
    }


@operation(
    "A node's workflow state, the transitions the caller may take, and its history",
    tags=("workflow",),
    responses={200: ok(WORKFLOW_SCHEMA)},
    operation_id="getWorkflow",
)
@view_config(
    route_name="api.content",
    context=Node,
    name=WORKFLOW,
    subpath="",
    request_method=("GET", "HEAD"),
    permission=Permission.VIEW,
    renderer="json",
)
def show_workflow(context: Node, request: Request) -> dict[str, Any]:
    """The state (null when the node follows no workflow), the transitions open to the
    caller from it, and every step taken, newest first."""
    request.response.headers["ETag"] = f'"{context.version}"'
    request.response.cache_control = "private, no-cache"
    return workflow_json(request, context)


def _body(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON object of the request, refused (400, naming each) when it holds a key that
    ``schema`` does not declare: a misspelt key must not be silently ignored."""
    body = json_object(request)
    unknown = sorted(set(body) - set(schema["properties"]))
    if unknown:
        expected = ", ".join(schema["properties"])
        raise ValidationFailed([(key, f"unknown field; expected {expected}") for key in unknown])
    return body


def _comment_of(body: dict[str, Any]) -> Any:
    """The body's ``comment`` ("" when left out); null is not a comment (the service
    checks the rest)."""
    comment = body.get("comment", "")
    if comment is None:
        raise ValidationFailed([("comment", "must be a string")])
    return comment


def _comment(request: Request) -> Any:
    """The ``comment`` of an optional JSON body ("" without a body)."""
    if not request.body:
        return ""
    return _comment_of(_body(request, COMMENT_BODY))


@operation(
    "Take a workflow transition",
    tags=("workflow",),
    body=COMMENT_BODY,
    body_required=False,
    responses={200: ok(RESULT_SCHEMA, headers=("ETag",))},
    errors=(403, 404, 409, 412, 428),
    subpath_params=(("transition", "The name of the transition, such as publish."),),
    if_match=True,
    operation_id="takeTransition",
)
@view_config(
    route_name="api.content",
    context=Node,
    name=WORKFLOW,
    subpath="*",
    request_method="POST",
    permission=Permission.VIEW,
    renderer="json",
)
def take_transition(context: Node, request: Request) -> dict[str, Any]:
    """Take the transition named in the URL: 200 with the new state and ``visible``, whether
    the caller may still see the node (``node`` is its JSON then, else null). ``412`` when
    If-Match names an old version; a refusal says why in ``reason``."""
    version = expected_version(request)
    comment = _comment(request)
    result = request.workflow.transition(context, request.subpath[0], version, comment)
    return _result_json(request, result)


def _result_json(request: Request, result: TransitionResult) -> dict[str, Any]:
    node, step = result.node, result.step
    body = {
        "@id": workflow_url(request, node),
        "transition": step.transition,
        "from": step.from_state,
        "to": step.to_state,
        "visible": result.visible,
        "node": None,
    }
    if result.visible:
        body["node"] = node_json(request, node, None)
        node_response(request, node, body["node"])
    return body


def outcome_json(outcome: BulkOutcome) -> dict[str, Any]:
    """One item's result in a bulk answer."""
    node = outcome.node
    return {
        "item": outcome.item,
        "status": outcome.status,
        "done": outcome.done,
        "uid": node.uid if node is not None and outcome.status != 404 else None,
        "path": node.path if node is not None and outcome.status != 404 else None,
        "from": outcome.from_state,
        "to": outcome.to_state,
        "visible": outcome.visible,
        "reason": outcome.reason,
        "detail": outcome.detail,
    }


@operation(
    "Take one transition on many items",
    tags=("workflow",),
    body=BULK_BODY,
    responses={200: ok(BULK_SCHEMA)},
    operation_id="bulkTransition",
)
# A logged-in caller (401 for the anonymous, before any CSRF check; a read token may not).
@view_config(route_name=BULK_ROUTE, request_method="POST", caller=True, renderer="json")
def bulk_transition(request: Request) -> dict[str, Any]:
    """``{"transition", "items": [paths or uids], "comment"?}``: each item is judged on its
    own and answered in order (``done``, or ``status`` and ``reason``); an item the caller
    may not see answers as one that does not exist."""
    if request.identity is None:
        raise HTTPForbidden()
    body = _body(request, BULK_BODY)
    items = body.get("items")
    if isinstance(items, list):
        wrong = [n for n, item in enumerate(items) if not isinstance(item, str)]
        if wrong:
            raise ValidationFailed([(f"items/{n}", "a path or a uid, a string") for n in wrong])
    outcomes = request.workflow.bulk(items, body.get("transition"), _comment_of(body))
    done = sum(1 for outcome in outcomes if outcome.done)
    return {
        "transition": body.get("transition"),
        "done": done,
        "refused": len(outcomes) - done,
        "items": [outcome_json(outcome) for outcome in outcomes],
    }


@exception_view_config(TransitionRefused, api_request=True)
def transition_refused(exc: TransitionRefused, request: Request) -> Response:
    """A refused transition: its status, and ``reason`` for programs."""
    titles = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}
    return problem_response(
        request,
        exc.status,
        titles.get(exc.status, "Conflict"),
        exc.detail,
        f"urn:charter:problem:workflow:{exc.reason}",
        reason=exc.reason,
    )


# Changes nothing, so no CSRF token is needed to be told so.
@view_config(route_name=BULK_ROUTE, request_method=not_(("POST",)), require_csrf=False)
def bulk_method_not_allowed(request: Request) -> NoReturn:
    """``/api/v1/@workflow`` only takes transitions (POST)."""
    raise HTTPMethodNotAllowed(headers={"Allow": "POST"})


# Only those who may view the node learn that it exists.
@view_config(
    route_name="api.content",
    context=Node,
    name=WORKFLOW,
    request_method=not_(("GET", "HEAD", "POST")),
    require_csrf=False,
    permission=Permission.VIEW,
)
def workflow_method_not_allowed(context: Node, request: Request) -> NoReturn:
    """A node's ``@workflow`` is read (GET); its transitions are taken (POST)."""
    raise HTTPMethodNotAllowed(headers={"Allow": "POST" if request.subpath else "GET, HEAD"})
