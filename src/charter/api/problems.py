"""Errors under ``/api/`` (or asked for as JSON) as RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
from typing import Any

from pyramid.exceptions import BadCSRFToken, URLDecodeError
from pyramid.httpexceptions import HTTPError, HTTPForbidden, HTTPNotFound
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
from charter.i18n import english
from charter.security.denials import (
    READ_ONLY_DETAIL,
    Denial,
    classify_denial,
    is_anonymous_content_request,
)
from charter.security.policy import bearer_token

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

# status, title and problem type of each domain error, for every JSON interface
DOMAIN_PROBLEMS: dict[type[CharterError], tuple[int, str, str]] = {
    NotFound: (404, "Not Found", "about:blank"),
    Forbidden: (403, "Forbidden", "about:blank"),
    Conflict: (409, "Conflict", "urn:charter:problem:conflict"),
    PreconditionFailed: (412, "Precondition Failed", "urn:charter:problem:stale-version"),
    ValidationFailed: (400, "Invalid input", "urn:charter:problem:invalid-input"),
    TooLarge: (413, "Content Too Large", "urn:charter:problem:too-large"),
    MalformedRequest: (400, "Bad Request", "about:blank"),
    UnsupportedMediaType: (415, "Unsupported Media Type", "about:blank"),
}


class ApiRequestPredicate:
    """View predicate ``api_request``: does this request want JSON errors?

    True under ``/api/`` and when the client prefers JSON to HTML.
    """

    def __init__(self, value: bool, config: Any) -> None:
        self.value = value

    def text(self) -> str:
        return f"api_request = {self.value}"

    phash = text

    def __call__(self, context: Any, request: Request) -> bool:
        return wants_json_errors(request) == self.value


def wants_json_errors(request: Request) -> bool:
    """True when an error for ``request`` should be problem+json rather than a page."""
    # The raw WSGI path: decoding it could itself be the error being handled.
    path = request.environ.get("PATH_INFO", "")
    if path == "/api" or path.startswith("/api/"):
        return True
    offers = request.accept.acceptable_offers(["text/html", "application/json", PROBLEM_JSON])
    return bool(offers) and offers[0][0] != "text/html"


def problem_response(
    request: Request, status: int, title: str, detail: str, type_: str = "about:blank", **extra: Any
) -> Response:
    """A problem+json response."""
    body = {"type": type_, "title": title, "status": status, "detail": detail, **extra}
    response = Response(status=status, charset="utf-8", content_type=PROBLEM_JSON)
    response.json_body = body
    return response


@exception_view_config(HTTPError, api_request=True)
def http_error_problem(exc: HTTPError, request: Request) -> Response:
    """Pyramid's own HTTP errors (no such resource or view, method not allowed...)."""
    # Pyramid's own detail can name internal views and predicates; the
    # generic explanation of the status is what a client can act on.
    response = problem_response(request, exc.code, exc.title, exc.explanation or exc.title)
    for header in ("WWW-Authenticate", "Allow", "Location", "Content-Range"):
        if header in exc.headers:
            response.headers[header] = exc.headers[header]
    return response


@exception_view_config(HTTPForbidden, api_request=True)
def forbidden_problem(exc: HTTPForbidden, request: Request) -> Response:
    """401 without valid credentials, 404 for what the caller may not see, else 403."""
    denial = classify_denial(request)
    if denial is Denial.UNAUTHENTICATED:
        return _unauthorized(request)
    if denial is Denial.HIDDEN:
        return problem_response(request, 404, "Not Found", HTTPNotFound.explanation)
    if denial is Denial.READ_ONLY:
        return problem_response(request, 403, "Forbidden", english(READ_ONLY_DETAIL))
    return problem_response(request, 403, "Forbidden", "Your roles here do not allow this request.")


@exception_view_config(HTTPNotFound, api_request=True)
def not_found_problem(exc: HTTPNotFound, request: Request) -> Response:
    """404, or a redirect from a path a node left; for the anonymous, content answers 401
    whether or not it exists."""
    moved = moved_response(request)
    if moved is not None:
        return moved
    if is_anonymous_content_request(request):
        return _unauthorized(request)
    return problem_response(request, 404, exc.title, exc.explanation)


def _unauthorized(request: Request) -> Response:
    challenge = 'Bearer realm="Charter"'
    if bearer_token(request) is not None:
        challenge += ', error="invalid_token"'
        detail = "The API token is not valid: it may be wrong, expired or revoked."
    else:
        detail = "Log in, or send an API token as 'Authorization: Bearer <token>'."
    response = problem_response(request, 401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = challenge
    return response


@exception_view_config(BadCSRFToken, api_request=True)
def csrf_problem(exc: BadCSRFToken, request: Request) -> Response:
    """A cookie-authenticated change without its CSRF token (header X-CSRF-Token)."""
    return problem_response(
        request,
        400,
        "Bad Request",
        "Missing or wrong CSRF token: send the X-CSRF-Token header, or use an API token.",
    )


@exception_view_config(CharterError, api_request=True)
def domain_error_problem(exc: CharterError, request: Request) -> Response:
    """A service refused the request."""
    # The nearest class that has an entry: ChangedMeanwhile answers as the Conflict it is.
    status, title, type_ = next(
        (DOMAIN_PROBLEMS[cls] for cls in type(exc).__mro__ if cls in DOMAIN_PROBLEMS),
        (400, "Bad Request", "about:blank"),
    )
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [
            # RFC 6901: "" points at the whole document, "/title" at one field.
            {"pointer": f"/{field}" if field else "", "detail": message}
            for field, message in exc.errors
        ]
    if isinstance(exc, PreconditionFailed) and exc.current_version is not None:
        extra["current_version"] = exc.current_version
    return problem_response(request, status, title, exc.detail, type_, **extra)


@exception_view_config(URLDecodeError, api_request=True)
def undecodable_url_problem(exc: URLDecodeError, request: Request) -> Response:
    """A path that is not valid percent-encoded UTF-8."""
    return problem_response(request, 400, "Bad Request", "The URL path is not valid UTF-8.")


@exception_view_config(Exception, api_request=True, retryable_error=False)
def unexpected_error_problem(exc: Exception, request: Request) -> Response:
    """Anything else: logged with its traceback, answered without it."""
    log.error("unexpected error on %s %s", request.method, request.path, exc_info=exc)
    return problem_response(
        request, 500, "Internal Server Error", "An unexpected error occurred; it has been logged."
    )
