"""Friendly HTML pages for errors outside the API."""

from __future__ import annotations

import logging
import traceback

from pyramid.exceptions import BadCSRFToken, URLDecodeError
from pyramid.httpexceptions import HTTPError, HTTPForbidden, HTTPFound, HTTPNotFound
from pyramid.renderers import render_to_response
from pyramid.request import Request
from pyramid.response import Response
from pyramid.view import exception_view_config

from charter.errors import (
    CharterError,
    Conflict,
    Forbidden,
    MalformedRequest,
    NotFound,
    PreconditionFailed,
    TooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)
from charter.history.redirects import moved_response
from charter.security.denials import (
    READ_ONLY_DETAIL,
    Denial,
    classify_denial,
    is_anonymous_content_request,
)
from charter.web.i18n import _, translate

log = logging.getLogger(__name__)

TEMPLATE = "charter:web/templates/error.jinja2"

# What a person is told for each kind of failure: status, heading, advice.
MESSAGES: dict[int, tuple[str, str]] = {
    400: (_("Something in the request was not right"), _("Check what you entered and try again.")),
    403: (_("You may not see this"), _("Ask the people who manage this area for access.")),
    404: (_("Page not found"), _("The address may be mistyped, or the item was moved or deleted.")),
    405: (_("Not allowed here"), _("This page cannot be used that way.")),
    409: (_("That clashes with something"), _("Someone may have changed this meanwhile.")),
    412: (_("Changed meanwhile"), _("Someone else changed this; reload it and try again.")),
    413: (_("Too large"), _("Nothing was kept; try a smaller file.")),
    414: (_("Address too long"), _("The address is longer than any page of this site.")),
    415: (_("Not a form this page reads"), _("Send the form from this site's own page.")),
    431: (
        _("Too many cookies"),
        _("Your browser sent more cookies than this site reads; clear its cookies and try again."),
    ),
    500: (
        _("Something went wrong on our side"),
        _("The error has been logged. Please try again later."),
    ),
}

DOMAIN_STATUS: dict[type[CharterError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Conflict: 409,
    PreconditionFailed: 412,
    ValidationFailed: 400,
    TooLarge: 413,
    MalformedRequest: 400,
    UnsupportedMediaType: 415,
}


def error_page(request: Request, status: int, detail: str = "", debug_text: str = "") -> Response:
    """Render the error page for ``status`` (with its headers left to the caller)."""
    heading, advice = MESSAGES.get(status, MESSAGES[400] if status < 500 else MESSAGES[500])
    response = render_to_response(
        TEMPLATE,
        {
            "status": status,
            "heading": request.localizer.translate(heading),
            "advice": request.localizer.translate(advice),
            "detail": detail,
            "debug_text": debug_text,
        },
        request=request,
    )
    response.status_int = status
    return response


@exception_view_config(HTTPError, api_request=False)
def http_error_page(exc: HTTPError, request: Request) -> Response:
    """Pyramid's own HTTP errors: unknown page, method not allowed..."""
    response = error_page(request, exc.code)
    for header in ("Allow", "Content-Range"):
        if header in exc.headers:
            response.headers[header] = exc.headers[header]
    return response


@exception_view_config(HTTPForbidden, api_request=False)
def forbidden_page(exc: HTTPForbidden, request: Request) -> Response:
    """To the login page when not logged in; 'not found' for what the caller may not see."""
    denial = classify_denial(request)
    if denial is Denial.UNAUTHENTICATED:
        return _to_login(request)
    if denial is Denial.READ_ONLY:
        return error_page(request, 403, translate(request, READ_ONLY_DETAIL))
    return error_page(request, 404 if denial is Denial.HIDDEN else 403)


@exception_view_config(HTTPNotFound, api_request=False)
def not_found_page(exc: HTTPNotFound, request: Request) -> Response:
    """A missing page, or a redirect from a path a node left; for the anonymous, content
    pages go to the login page whether or not they exist."""
    moved = moved_response(request)
    if moved is not None:
        return moved
    if is_anonymous_content_request(request):
        return _to_login(request)
    return error_page(request, 404)


def _to_login(request: Request) -> Response:
    return HTTPFound(request.route_url("login", _query={"came_from": request.url}))


@exception_view_config(BadCSRFToken, api_request=False)
def csrf_page(exc: BadCSRFToken, request: Request) -> Response:
    """A form sent without its CSRF token, or after the session ended."""
    return error_page(
        request,
        400,
        request.localizer.translate(
            _("The form has expired or did not come from this site; reload it and try again.")
        ),
    )


@exception_view_config(CharterError, api_request=False)
def domain_error_page(exc: CharterError, request: Request) -> Response:
    """A service refused the request."""
    # The nearest class that has a status: ChangedMeanwhile answers as the Conflict it is.
    status = next((DOMAIN_STATUS[cls] for cls in type(exc).__mro__ if cls in DOMAIN_STATUS), 400)
    return error_page(request, status, translate(request, exc.message))


@exception_view_config(URLDecodeError, api_request=False)
def undecodable_url_page(exc: URLDecodeError, request: Request) -> Response:
    """A path that is not valid percent-encoded UTF-8."""
    detail = request.localizer.translate(_("The address is not valid UTF-8."))
    return error_page(request, 400, detail)


@exception_view_config(Exception, api_request=False, retryable_error=False)
def unexpected_error_page(exc: Exception, request: Request) -> Response:
    """Anything else: logged; the traceback is shown only when charter.debug is on."""
    log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
    debug_text = ""
    if request.registry.settings["charter.debug"]:
        debug_text = "".join(traceback.format_exception(exc))
    return error_page(request, 500, debug_text=debug_text)
