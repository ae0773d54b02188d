"""JSON API of webhook endpoints (``/api/v1/webhooks``): Administrators register URLs that
receive signed deliveries of changes, read each endpoint's delivery log and redeliver.

Request and response bodies are the pydantic models below (``WebhookIn``,
``WebhookPatch``, ``WebhookOut``, ``DeliveryOut``...), which the OpenAPI
document describes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, NoReturn

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pyramid.config import Configurator, not_
from pyramid.httpexceptions import HTTPMethodNotAllowed, HTTPNoContent
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.api.openapi.declare import NO_CONTENT, Param, Reply, created, ok, operation
from charter.changes.models import WebhookAttempt, WebhookEndpoint, WebhookMessage
from charter.changes.webhooks import EVENT_TYPES, EndpointChanges
from charter.errors import ValidationFailed
from charter.input import json_object
from charter.input.json import join_pointer
from charter.input.numbers import MAX_BIGINT, whole_number
from charter.input.text import BoundedText
from charter.security.roles import Permission

EventType = Literal[EVENT_TYPES]  # type: ignore[valid-type]
ROUTE_METHODS = {
    "api.webhooks": ("GET", "HEAD", "POST"),
    "api.webhook": ("GET", "HEAD", "PATCH", "DELETE"),
    "api.webhook.rotate": ("POST",),
    "api.webhook.messages": ("GET", "HEAD"),
    "api.webhook.redeliver": ("POST",),
}
ADMIN = {"permission": Permission.MANAGE, "renderer": "json"}
DEFAULT_LOG_PAGE = 20
MAX_LOG_PAGE = 100


class WebhookIn(BaseModel):
    """An endpoint to register: where, which events, which subtree."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: BoundedText(2000, single_line=True)
    description: BoundedText(500, single_line=True) = ""
    event_types: list[EventType] = Field(default_factory=list, max_length=len(EVENT_TYPES))
    subtree: BoundedText(4000, single_line=True) | None = None
    active: bool = True


class WebhookPatch(BaseModel):
    """Fields of an endpoint to change; those left out stay as they are."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: BoundedText(2000, single_line=True) | None = None
    description: BoundedText(500, single_line=True) | None = None
    event_types: list[EventType] | None = Field(default=None, max_length=len(EVENT_TYPES))
    subtree: BoundedText(4000, single_line=True) | None = None
    active: bool | None = None


class WebhookOut(BaseModel):
    """An endpoint as the API shows it; ``secret`` only when it was just made."""

    id: int
    url: str
    description: str
    event_types: list[str]
    subtree: str | None
    active: bool
    disabled_reason: str | None
    failing_since: dt.datetime | None
    created: dt.datetime
    secret: str | None = Field(None, description="Shown once: on creation and rotation.")
    messages: str


class AttemptOut(BaseModel):
    """One delivery attempt."""

    at: dt.datetime
    status: int | None
    latency_ms: int
    response_excerpt: str
    error: str | None


class DeliveryOut(BaseModel):
    """One message of an endpoint's outbox with its attempts."""

    id: int
    webhook_id: str
    event_type: str
    state: Literal["pending", "delivered", "failed"]
    created: dt.datetime
    next_attempt_at: dt.datetime | None
    attempts: list[AttemptOut]
    redeliver: str


class DeliveryPage(BaseModel):
    """A page of the delivery log, newest first."""

    items: list[DeliveryOut]
    next: str | None


def add_routes(config: Configurator) -> None:
    """Declare the webhook routes."""
    config.add_route("api.webhooks", "/api/v1/webhooks")
    config.add_route("api.webhook", "/api/v1/webhooks/{endpoint_id:[0-9]{1,18}}")
    config.add_route(
        "api.webhook.rotate", "/api/v1/webhooks/{endpoint_id:[0-9]{1,18}}/@rotate-secret"
    )
    config.add_route("api.webhook.messages", "/api/v1/webhooks/{endpoint_id:[0-9]{1,18}}/messages")
    config.add_route(
        "api.webhook.redeliver",
        "/api/v1/webhooks/{endpoint_id:[0-9]{1,18}}/messages/{message_id:[0-9]{1,18}}/@redeliver",
    )


def parse(model: type[BaseModel], request: Request) -> BaseModel:
    """The JSON body validated by ``model``; 400 naming each bad field."""
    try:
        return model.model_validate(json_object(request))
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            pointer = ""
            for part in error["loc"]:
                pointer = join_pointer(pointer, part)
            problems.append((pointer, error["msg"]))
        raise ValidationFailed(problems) from None


def _endpoint_id(request: Request) -> int:
    return int(request.matchdict["endpoint_id"])


def endpoint_json(
    request: Request, endpoint: WebhookEndpoint, with_secret: bool = False
) -> dict[str, Any]:
    """An endpoint's JSON (with ``@id``), the secret only when asked for."""
    body = WebhookOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=endpoint.event_types,
        subtree=endpoint.subtree,
        active=endpoint.active,
        disabled_reason=endpoint.disabled_reason,
        failing_since=endpoint.failing_since,
        created=endpoint.created,
        secret=endpoint.secret if with_secret else None,
        messages=request.route_url("api.webhook.messages", endpoint_id=endpoint.id),
    ).model_dump(mode="json")
    if not with_secret:
        del body["secret"]
    return {"@id": request.route_url("api.webhook", endpoint_id=endpoint.id), **body}


# An endpoint as the views answer it: WebhookOut and its URL (the secret only when made).
ENDPOINT_SCHEMA = {
    **WebhookOut.model_json_schema(mode="serialization"),
    "title": "Webhook",
}
ENDPOINT_SCHEMA["properties"] = {
    "@id": {"type": "string", "format": "uri"},
    **ENDPOINT_SCHEMA["properties"],
}
ENDPOINT_SCHEMA["required"] = [
    "@id",
    *(name for name in ENDPOINT_SCHEMA.get("required", []) if name != "secret"),
]
ENDPOINT_WITH_SECRET = {**ENDPOINT_SCHEMA, "required": [*ENDPOINT_SCHEMA["required"], "secret"]}
ENDPOINT_LIST = {
    "type": "object",
    "properties": {"items": {"type": "array", "items": ENDPOINT_SCHEMA}},
    "required": ["items"],
}


@operation(
    "The webhook endpoints",
    tags=("webhooks",),
    responses={200: ok(ENDPOINT_LIST)},
    errors=(403,),
    operation_id="listWebhooks",
)
@view_config(route_name="api.webhooks", request_method="GET", **ADMIN)
def list_webhooks(request: Request) -> dict[str, Any]:
    """Every endpoint; secrets are never listed."""
    return {"items": [endpoint_json(request, e) for e in request.webhooks.all()]}


@operation(
    "Register a webhook endpoint",
    tags=("webhooks",),
    body=WebhookIn,
    responses={
        201: created(
            ENDPOINT_WITH_SECRET,
            links={"GetWebhook": ("getWebhook", {"endpoint_id": "$response.body#/id"})},
        )
    },
    operation_id="createWebhook",
)
@view_config(route_name="api.webhooks", request_method="POST", **ADMIN)
def create_webhook(request: Request) -> dict[str, Any]:
    """Register an endpoint: ``201`` with its secret, shown this once."""
    body = parse(WebhookIn, request)
    endpoint = request.webhooks.create(
        EndpointChanges(
            url=body.url,
            description=body.description,
            event_types=list(body.event_types),
            subtree=body.subtree,
            active=body.active,
        ),
        owner_id=request.identity.user_id,
    )
    result = endpoint_json(request, endpoint, with_secret=True)
    request.response.status_int = 201
    request.response.location = result["@id"]
    return result


@operation(
    "One webhook endpoint",
    tags=("webhooks",),
    responses={200: ok(ENDPOINT_SCHEMA)},
    errors=(403, 404),
    operation_id="getWebhook",
)
@view_config(route_name="api.webhook", request_method="GET", **ADMIN)
def show_webhook(request: Request) -> dict[str, Any]:
    """One endpoint (without its secret)."""
    return endpoint_json(request, request.webhooks.get(_endpoint_id(request)))


@operation(
    "Change a webhook endpoint",
    tags=("webhooks",),
    body=WebhookPatch,
    responses={200: ok(ENDPOINT_SCHEMA)},
    errors=(404,),
    operation_id="changeWebhook",
)
@view_config(route_name="api.webhook", request_method="PATCH", **ADMIN)
def change_webhook(request: Request) -> dict[str, Any]:
    """Change an endpoint; ``"subtree": null`` removes its subtree filter, ``"active": true``
    turns a disabled one back on."""
    raw = json_object(request)
    body = parse(WebhookPatch, request)
    endpoint = request.webhooks.update(
        _endpoint_id(request),
        EndpointChanges(
            url=body.url,
            description=body.description,
            event_types=None if body.event_types is None else list(body.event_types),
            subtree=body.subtree,
            clear_subtree="subtree" in raw and raw["subtree"] is None,
            active=body.active,
        ),
    )
    return endpoint_json(request, endpoint)


@operation(
    "Remove a webhook endpoint, its outbox and its log",
    tags=("webhooks",),
    responses={204: NO_CONTENT},
    errors=(404,),
    operation_id="deleteWebhook",
)
@view_config(route_name="api.webhook", request_method="DELETE", permission=Permission.MANAGE)
def delete_webhook(request: Request) -> Response:
    """Remove an endpoint, its outbox and its log: ``204``."""
    request.webhooks.delete(_endpoint_id(request))
    return HTTPNoContent()


@operation(
    "A new signing secret for an endpoint",
    tags=("webhooks",),
    responses={200: ok(ENDPOINT_WITH_SECRET)},
    errors=(404,),
    operation_id="rotateWebhookSecret",
)
@view_config(route_name="api.webhook.rotate", request_method="POST", **ADMIN)
def rotate_secret(request: Request) -> dict[str, Any]:
    """A new secret, shown once; for 24 hours deliveries are signed with both."""
    endpoint = request.webhooks.rotate_secret(_endpoint_id(request))
    return endpoint_json(request, endpoint, with_secret=True)


def message_json(
    request: Request, message: WebhookMessage, attempts: list[WebhookAttempt]
) -> dict[str, Any]:
    """A message of the delivery log with its attempts."""
    redeliver = (
        request.route_url("api.webhook.messages", endpoint_id=message.endpoint_id)
        + f"/{message.id}/@redeliver"
    )
    return DeliveryOut(
        id=message.id,
        webhook_id=message.msg_id,
        event_type=message.event_type,
        state=message.state,
        created=message.created,
        next_attempt_at=message.next_attempt_at if message.state == "pending" else None,
        attempts=[
            AttemptOut(
                at=a.at,
                status=a.status,
                latency_ms=a.latency_ms,
                response_excerpt=a.response_excerpt,
                error=a.error,
            )
            for a in attempts
        ],
        redeliver=redeliver,
    ).model_dump(mode="json")


@operation(
    "An endpoint's delivery log, newest first",
    tags=("webhooks",),
    params=(
        Param(
            "before",
            "The id of the message the page follows, from `next`.",
            {"type": "integer", "minimum": 1, "maximum": MAX_BIGINT},
        ),
        Param("limit", "Messages per page.", {"type": "integer", "minimum": 1, "maximum": 100}),
    ),
    responses={200: ok(DeliveryPage)},
    errors=(403, 404),
    operation_id="listWebhookMessages",
)
@view_config(route_name="api.webhook.messages", request_method="GET", **ADMIN)
def list_messages(request: Request) -> dict[str, Any]:
    """The delivery log, newest first: ``?before=<id>&limit=N`` (keyset)."""
    problems = []
    before = None
    if "before" in request.GET:
        before = whole_number(request.GET["before"], minimum=1)
        if before is None:
            problems.append(("before", "a message id"))
    limit = DEFAULT_LOG_PAGE
    if "limit" in request.GET:
        limit = whole_number(request.GET["limit"], minimum=1, maximum=MAX_LOG_PAGE)
        if limit is None:
            problems.append(("limit", f"a whole number from 1 to {MAX_LOG_PAGE}"))
    if problems:
        raise ValidationFailed(problems)
    endpoint_id = _endpoint_id(request)
    messages, attempts = request.webhooks.messages(endpoint_id, before, limit)
    next_url = None
    if len(messages) > limit:
        messages = messages[:limit]
        next_url = request.route_url(
            "api.webhook.messages",
            endpoint_id=endpoint_id,
            _query={"before": messages[-1].id, "limit": limit},
        )
    items = [message_json(request, m, attempts[m.id]) for m in messages]
    return DeliveryPage(items=items, next=next_url).model_dump(mode="json")


@operation(
    "Deliver a message again",
    tags=("webhooks",),
    responses={202: Reply("Queued for the worker.", DeliveryOut)},
    errors=(404,),
    operation_id="redeliverWebhookMessage",
)
@view_config(route_name="api.webhook.redeliver", request_method="POST", **ADMIN)
def redeliver(request: Request) -> dict[str, Any]:
    """Send a message again as soon as the worker runs: ``202``."""
    message = request.webhooks.redeliver(
        _endpoint_id(request), int(request.matchdict["message_id"])
    )
    request.response.status_int = 202
    return message_json(request, message, [])


def _other_methods(route_name: str) -> dict[str, Any]:
    return {
        "route_name": route_name,
        "request_method": not_(ROUTE_METHODS[route_name]),
        "require_csrf": False,
    }


@view_config(**_other_methods("api.webhooks"))
@view_config(**_other_methods("api.webhook"))
@view_config(**_other_methods("api.webhook.rotate"))
@view_config(**_other_methods("api.webhook.messages"))
@view_config(**_other_methods("api.webhook.redeliver"))
def webhooks_method_not_allowed(request: Request) -> NoReturn:
    """Say which methods this URL answers."""
    allowed = ROUTE_METHODS[request.matched_route.name]
    raise HTTPMethodNotAllowed(headers={"Allow": ", ".join(allowed)})
