"""The security policy: who the caller is, and what roles and permissions they hold here.

A node's roles come from its lineage as traversal loaded it (with its local
roles), so deciding a permission costs no query beyond loading the identity.
"""

from __future__ import annotations

from typing import Any

from pyramid.request import Request, RequestLocalCache
from pyramid.security import Allowed, Denied

from charter.security.identity import Identity, identity_for_token, identity_for_user
from charter.security.principals import EVERYONE
from charter.security.roles import Permission, Role, permissions_of
from charter.tree.models import Node


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer ...`` header, if the request has one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def local_roles(context: Any, principals: frozenset[str]) -> set[Role]:
    """Roles ``principals`` hold on ``context`` through local grants on it and its ancestors.

    Walks the lineage traversal loaded (``__parent__``), stopping after a
    node that does not inherit roles from above.
    """
    roles: set[Role] = set()
    node = context
    while isinstance(node, Node):
        roles |= {Role(grant.role) for grant in node.local_roles if grant.principal in principals}
        if not node.inherit_roles:
            break
        node = node.__parent__
    return roles


def effective_roles(identity: Identity | None, context: Any) -> set[Role]:
    """Every role the caller holds on ``context``: global ones plus local ones."""
    principals = identity.principals if identity else frozenset({EVERYONE})
    roles = set(identity.global_roles) if identity else set()
    return roles | local_roles(context, principals)


class CharterSecurityPolicy:
    """Sessions for people, bearer tokens for integrations; roles from the tree.

    A person's identity comes with their session record (charter.sessions),
    loaded together in one query.
    """

    def __init__(self) -> None:
        # Pyramid asks for the identity many times a request; it is loaded once.
        self._identity_cache = RequestLocalCache(self._load_identity)

    def identity(self, request: Request) -> Identity | None:
        """The caller, or None for an anonymous (or wrongly authenticated) request."""
        return self._identity_cache.get_or_create(request)

    def _load_identity(self, request: Request) -> Identity | None:
        token = bearer_token(request)
        if token is not None:
            return identity_for_token(request.dbsession, token)
        return request.session.identity

    def authenticated_userid(self, request: Request) -> int | None:
        """The caller's account id."""
        identity = request.identity
        return None if identity is None else identity.user_id

    def permits(self, request: Request, context: Any, permission: str) -> Allowed | Denied:
        """Whether the caller's roles on ``context`` include ``permission``."""
        identity = request.identity
        if identity is not None and identity.read_only and permission != Permission.VIEW:
            return Denied("a read-only token cannot %s", permission)
        if Permission(permission) in permissions_of(effective_roles(identity, context)):
            return Allowed("granted %s", permission)
        return Denied("no role granting %s", permission)

    def remember(self, request: Request, userid: int, **kw: Any) -> list[tuple[str, str]]:
        """Start a session for the active account ``userid`` under a new key, against fixation.

        The session's cookie is set on the response (charter.sessions).
        """
        identity = identity_for_user(request.dbsession, userid)
        self._identity_cache.set(request, identity)
        if identity is None:
            request.session.invalidate()
        else:
            request.session.start(identity)
        return []

    def forget(self, request: Request, **kw: Any) -> list[tuple[str, str]]:
        """End the session: its record goes, and the cookie with it."""
        self._identity_cache.set(request, None)
        request.session.invalidate()
        return []


def viewer_principals(request: Request) -> frozenset[str] | None:
    """Principals whose view grants filter listings for this caller; None means unfiltered.

    Every role includes ``view``, so a caller with any global role sees everything.
    """
    identity = request.identity
    if identity is None:
        return frozenset({EVERYONE})
    if identity.global_roles:
        return None
    return identity.principals
