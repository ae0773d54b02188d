"""The security policy: who the caller is, and what roles and permissions they hold here.

A node's roles come from its lineage as traversal loaded it (with its local
roles), so deciding a permission costs no query beyond loading the identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyramid.registry import Registry
from pyramid.request import Request, RequestLocalCache
from pyramid.security import Allowed, Denied

from charter.db.generation import GENERATION_ATTRIBUTE
from charter.security import grants
from charter.security.identity import Identity, identity_for_token, identity_for_user
from charter.security.identity_cache import identity_cache
from charter.security.principals import EVERYONE
from charter.security.roles import (
    NO_WORKFLOWS,
    OWNER,
    STATE_PERMISSIONS_KEY,
    Permission,
    Role,
    StatePermissions,
    permissions_of,
)
from charter.tree.models import Node
from charter.tree.visibility import (
    NO_RULES,
    VISIBILITY_RULES_KEY,
    Viewer,
    VisibilityRules,
)


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


@dataclass
class NodeRoles:
    """The roles the caller holds on one node, kept for the rest of the request.

    ``roles``: the node's own grants to the caller and, if it inherits, its
    parent's ``roles`` (``parent_roles``), as ``local_roles`` walks them; so
    a node's ancestors are computed once for it, its siblings and the
    breadcrumbs. Valid while the caller (``identity``), the grants
    (``generation``) and the lineage (each ``__parent__``, which traversal,
    moves and the trash set as plain attributes) are those it was computed from.
    """

    node: Node
    identity: Identity | None
    generation: int
    parent: Any
    parent_roles: NodeRoles | None
    roles: frozenset[str]
    # (workflow state, whether the caller owns the node) -> the permissions granted.
    permissions: dict[tuple[str | None, bool], frozenset[Permission]] = field(default_factory=dict)

    def holds_for(self, node: Node, identity: Identity | None, generation: int) -> bool:
        """Whether nothing these roles (and their ancestors') came from has changed since."""
        entry: NodeRoles | None = self
        while entry is not None:
            if (
                entry.identity is not identity
                or entry.generation != generation
                or node.__parent__ is not entry.parent
            ):
                return False
            node, entry = entry.parent, entry.parent_roles
        return True


def node_roles(
    cache: dict[int, NodeRoles], identity: Identity | None, node: Node, generation: int
) -> NodeRoles:
    """The caller's local roles on ``node`` (those ``local_roles`` finds), from ``cache`` or
    computed and kept there, the parent's first."""
    found = cache.get(id(node))
    if found is not None and found.node is node and found.holds_for(node, identity, generation):
        return found
    principals = identity.principals if identity else frozenset({EVERYONE})
    roles = {Role(grant.role).value for grant in node.local_roles if grant.principal in principals}
    parent = node.__parent__
    parent_roles = None
    if node.inherit_roles and isinstance(parent, Node):
        parent_roles = node_roles(cache, identity, parent, generation)
        roles |= parent_roles.roles
    # The entry holds ``node``: its id is not reused while the request holds the cache.
    found = cache[id(node)] = NodeRoles(
        node, identity, generation, parent, parent_roles, frozenset(roles)
    )
    return found


class CharterSecurityPolicy:
    """Sessions for people, bearer tokens for integrations; roles from the tree.

    A person's identity comes with their session record (charter.sessions),
    loaded together in one query; sessions and tokens are read from the
    primary database, never a replica, so that ending one counts at once.
    """

    def __init__(self) -> None:
        # Pyramid asks for the identity many times a request; it is loaded once.
        self._identity_cache = RequestLocalCache(self._load_identity)
        # The page asks about the same nodes many times (menus, actions, breadcrumbs):
        # id(node) -> NodeRoles, for the request.
        self._roles_cache: RequestLocalCache = RequestLocalCache(lambda request: {})

    def identity(self, request: Request) -> Identity | None:
        """The caller, or None for an anonymous (or wrongly authenticated) request."""
        return self._identity_cache.get_or_create(request)

    def _load_identity(self, request: Request) -> Identity | None:
        token = bearer_token(request)
        if token is not None:
            return identity_for_token(
                request.primary_dbsession,
                token,
                identity_cache(request.registry),
                # Set by traversal when it read the lineage on the primary database.
                request.__dict__.get(GENERATION_ATTRIBUTE),
            )
        return request.session.identity

    def authenticated_userid(self, request: Request) -> int | None:
        """The caller's account id."""
        identity = request.identity
        return None if identity is None else identity.user_id

    def permits(self, request: Request, context: Any, permission: str) -> Allowed | Denied:
        """Whether the caller's roles on ``context``, in its workflow state, include
        ``permission``; on a public site everyone may view what is in a public state."""
        identity = request.identity
        if identity is not None and identity.read_only and permission != Permission.VIEW:
            return Denied("a read-only token cannot %s", permission)
        if not isinstance(context, Node):
            if Permission(permission) in permissions_of(effective_roles(identity, context)):
                return Allowed("granted %s", permission)
            return Denied("no role granting %s", permission)
        table = state_permissions(request.registry)
        state = context.workflow_state
        if (
            permission == Permission.VIEW
            and request.registry.settings.get("charter.public_site")
            and table.is_public(context.type, state)
        ):
            return Allowed("%s is public", state)
        if Permission(permission) in self._permissions(request, identity, context, table):
            return Allowed("granted %s", permission)
        return Denied("no role granting %s in this state", permission)

    def _permissions(
        self,
        request: Request,
        identity: Identity | None,
        context: Node,
        table: StatePermissions,
    ) -> frozenset[Permission]:
        """Every permission the caller holds on ``context`` in its current state.

        Computed once a request for each node, caller, workflow state and
        owner, and again after any change to the grants (charter.security.grants).
        """
        cache = self._roles_cache.get_or_create(request)
        found = node_roles(cache, identity, context, grants.generation())
        owner = identity is not None and context.owner_id == identity.user_id
        state = context.workflow_state
        permissions = found.permissions.get((state, owner))
        if permissions is None:
            roles = set(found.roles)
            if identity is not None:
                roles.update(role.value for role in identity.global_roles)
            if owner:
                roles.add(OWNER)
            permissions = found.permissions[(state, owner)] = table.permissions(
                context.type, state, roles
            )
        return permissions

    def remember(self, request: Request, userid: int, **kw: Any) -> list[tuple[str, str]]:
        """Start a session for the active account ``userid`` under a new key, against fixation.

        The session's cookie is set on the response (charter.sessions).
        """
        identity = identity_for_user(request.primary_dbsession, userid)
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


def state_permissions(registry: Registry) -> StatePermissions:
    """What each role allows in each workflow state, as the application compiled it."""
    return registry.get(STATE_PERMISSIONS_KEY, NO_WORKFLOWS)


def visibility_rules(registry: Registry) -> VisibilityRules:
    """Which roles see each workflow state, for the SQL filter, as the application compiled it."""
    return registry.get(VISIBILITY_RULES_KEY, NO_RULES)


def viewer(request: Request) -> Viewer | None:
    """The caller as listings, search and lookups filter for them; None means unfiltered.

    A caller whose site-wide roles see every state of every workflow (an
    Administrator, a site-wide Manager) is not filtered at all.
    """
    identity = request.identity
    rules = visibility_rules(request.registry)
    public_site = bool(request.registry.settings.get("charter.public_site"))
    if identity is None:
        return Viewer(frozenset({EVERYONE}), rules=rules, public_site=public_site)
    global_roles = frozenset(role.value for role in identity.global_roles)
    if global_roles and rules.sees_everything(global_roles):
        return None
    return Viewer(
        identity.principals,
        global_roles=global_roles,
        user_id=identity.user_id,
        rules=rules,
        public_site=public_site,
    )
