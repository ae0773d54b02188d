"""Why a request was refused, so each interface can answer in its own way."""

from __future__ import annotations

from enum import Enum

from pyramid.request import Request

from charter.i18n import _
from charter.security.roles import Permission
from charter.tree.models import Node


class Denial(Enum):
    """The kinds of refusal: not logged in; not allowed to know it exists; not allowed to act."""

    UNAUTHENTICATED = "unauthenticated"
    HIDDEN = "hidden"
    READ_ONLY = "read-only"
    FORBIDDEN = "forbidden"


# Why a read-only token may not change anything (translatable: a page shows it in its
# language, the API in English).
READ_ONLY_DETAIL = _("This API token may only read; use a read-write token to change data.")
# Methods a read-only token may use.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def classify_denial(request: Request) -> Denial:
    """Classify a refused request.

    A node the caller may not view is HIDDEN: it answers like a missing one,
    so the names of private folders do not leak. A change refused because
    the caller's token may only read is READ_ONLY, whatever their roles.
    """
    identity = request.identity
    if identity is None:
        return Denial.UNAUTHENTICATED
    # Traversal itself may have failed, leaving no context.
    context = getattr(request, "context", None)
    if isinstance(context, Node) and not request.has_permission(Permission.VIEW, context):
        return Denial.HIDDEN
    if identity.read_only and request.method not in READ_METHODS:
        return Denial.READ_ONLY
    return Denial.FORBIDDEN


def is_anonymous_content_request(request: Request) -> bool:
    """True for a request for content by someone not logged in.

    Such a request is refused the same way whether or not the node exists,
    so that the anonymous cannot probe which paths there are.
    """
    if request.identity is not None:
        return False
    route = getattr(request, "matched_route", None)
    return route is None or route.name == "api.content"
