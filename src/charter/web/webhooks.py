"""The admin pages of webhook endpoints: register, turn on and off, rotate the secret, read the
delivery log and redeliver (the same service as ``/api/v1/webhooks``)."""

from __future__ import annotations

from typing import Any

from pyramid.config import Configurator
from pyramid.httpexceptions import HTTPSeeOther
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import view_config

from charter.changes.webhooks import EVENT_TYPES, EndpointChanges
from charter.errors import ValidationFailed
from charter.input.numbers import whole_number
from charter.security.roles import Permission
from charter.web.forms import errors_by_field, refuse_form
from charter.web.i18n import _, flash

LIST_TEMPLATE = "charter:web/templates/admin_webhooks.jinja2"
ONE_TEMPLATE = "charter:web/templates/admin_webhook.jinja2"
ADMIN = {"permission": Permission.MANAGE}
LOG_PAGE = 20
ACTIONS = ("enable", "disable", "rotate", "delete", "redeliver")


def add_routes(config: Configurator) -> None:
    """Declare the webhook admin routes."""
    config.add_route("admin.webhooks", "/admin/webhooks")
    config.add_route("admin.webhook", "/admin/webhooks/{endpoint_id:[0-9]{1,18}}")


def _list_page(request: Request, **extra: Any) -> dict[str, Any]:
    endpoints = request.webhooks.all()
    page: dict[str, Any] = {
        "endpoints": endpoints,
        "disabled": [e for e in endpoints if not e.active and e.disabled_reason],
        "event_types": EVENT_TYPES,
        "form": {"url": "", "description": "", "subtree": "", "event_types": []},
        "errors": {},
        "secret": None,
    }
    page.update(extra)
    return page


@view_config(route_name="admin.webhooks", request_method="GET", renderer=LIST_TEMPLATE, **ADMIN)
def webhooks_page(request: Request) -> dict[str, Any]:
    """Every endpoint, those disabled by failures first in a warning, and the form to add one."""
    return _list_page(request)


@view_config(route_name="admin.webhooks", request_method="POST", renderer=LIST_TEMPLATE, **ADMIN)
def create_webhook(request: Request) -> dict[str, Any]:
    """Register an endpoint and show its secret, this once."""
    form = {
        "url": request.POST.get("url", "").strip(),
        "description": request.POST.get("description", "").strip(),
        "subtree": request.POST.get("subtree", "").strip(),
        "event_types": [t for t in request.POST.getall("event_types") if t],
    }
    try:
        endpoint = request.webhooks.create(
            EndpointChanges(
                url=form["url"],
                description=form["description"],
                event_types=form["event_types"],
                subtree=form["subtree"] or None,
            ),
            owner_id=request.identity.user_id,
        )
    except ValidationFailed as failure:
        refuse_form(request)
        errors = errors_by_field(
            request, [(field.split("/", 1)[0], message) for field, message in failure.messages]
        )
        return _list_page(request, form=form, errors=errors)
    return _list_page(request, secret=(endpoint, endpoint.secret))


def _endpoint_page(request: Request, endpoint_id: int, **extra: Any) -> dict[str, Any]:
    before = whole_number(request.GET.get("before", ""), minimum=1)
    messages, attempts = request.webhooks.messages(endpoint_id, before, LOG_PAGE)
    page: dict[str, Any] = {
        "endpoint": request.webhooks.get(endpoint_id),
        "messages": messages[:LOG_PAGE],
        "attempts": attempts,
        "older": messages[LOG_PAGE - 1].id if len(messages) > LOG_PAGE else None,
        "secret": None,
    }
    page.update(extra)
    return page


@view_config(route_name="admin.webhook", request_method="GET", renderer=ONE_TEMPLATE, **ADMIN)
def webhook_page(request: Request) -> dict[str, Any]:
    """One endpoint with its delivery log, newest first."""
    return _endpoint_page(request, int(request.matchdict["endpoint_id"]))


@view_config(route_name="admin.webhook", request_method="POST", renderer=ONE_TEMPLATE, **ADMIN)
def change_webhook(request: Request) -> dict[str, Any] | Response:
    """Turn it on or off, rotate its secret (shown once), delete it or redeliver a message."""
    endpoint_id = int(request.matchdict["endpoint_id"])
    action = request.POST.get("action", "")
    here = request.route_url("admin.webhook", endpoint_id=endpoint_id)
    if action not in ACTIONS:
        refuse_form(request)
        flash(request, _("Unknown action."), "error")
        return _endpoint_page(request, endpoint_id)
    if action == "delete":
        request.webhooks.delete(endpoint_id)
        flash(request, _("The endpoint was deleted."))
        return HTTPSeeOther(request.route_url("admin.webhooks"))
    if action == "rotate":
        endpoint = request.webhooks.rotate_secret(endpoint_id)
        return _endpoint_page(request, endpoint_id, secret=endpoint.secret)
    if action == "redeliver":
        message_id = whole_number(request.POST.get("message", ""), minimum=1)
        if message_id is None:
            refuse_form(request)
            flash(request, _("No such message."), "error")
            return _endpoint_page(request, endpoint_id)
        request.webhooks.redeliver(endpoint_id, message_id)
        flash(request, _("The message will be sent again."))
        return HTTPSeeOther(here)
    request.webhooks.update(endpoint_id, EndpointChanges(active=action == "enable"))
    if action == "enable":
        flash(request, _("The endpoint was turned on."))
    else:
        flash(request, _("The endpoint was turned off."))
    return HTTPSeeOther(here)
