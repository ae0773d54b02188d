"""Who may view which node, decided in SQL: the one filter listings, search and lookups use.

``node_viewers`` holds the roles each principal holds on each node (from the
local grants, charter.tree.viewers). Which roles may view a node depends on
its workflow state; that table (``VisibilityRules``) is compiled from the
registered workflows when the application starts and written into the query
itself, beside the owner and the site's public states. Changing a workflow's
definition therefore changes the next query, never a row per node.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, false, or_, true

from charter.tree.models import Node, NodeViewer


@dataclass(frozen=True)
class StateVisibility:
    """Who sees nodes of ``types`` in ``state``: holders of ``roles`` (None: of any role),
    the owner when ``owner``, and everyone on a public site when ``public``."""

    types: frozenset[str]
    state: str
    roles: frozenset[str] | None
    owner: bool = True
    public: bool = False


@dataclass(frozen=True)
class VisibilityRules:
    """The state -> roles-that-see table of every registered workflow.

    A node whose type has no workflow, or whose state is None, is seen by
    anyone holding any role on it (as before workflows). A node in a state
    its type's workflow does not define is seen by no role: only by the
    owner and by callers whom no filter applies to.
    """

    states: tuple[StateVisibility, ...] = ()
    workflow_types: frozenset[str] = field(default_factory=frozenset)

    def sees_everything(self, roles: Iterable[str]) -> bool:
        """Whether holding ``roles`` everywhere (site-wide) shows every node in every state."""
        held = set(roles)
        return bool(held) and all(rule.roles is None or held & rule.roles for rule in self.states)


NO_RULES = VisibilityRules()
# Where the application keeps its VisibilityRules (compiled from the workflows).
VISIBILITY_RULES_KEY = "charter.tree.visibility_rules"


@dataclass(frozen=True)
class Viewer:
    """A caller as the visibility filter sees them: their principals, site-wide roles,
    account, the site's rules, and whether the site is public."""

    principals: frozenset[str]
    global_roles: frozenset[str] = frozenset()
    user_id: int | None = None
    rules: VisibilityRules = NO_RULES
    public_site: bool = False


def among(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """SQL: ``column IN (...)`` with one plain parameter per value (sorted).

    The filter is built once and run many times: a literal list would be an
    expanding parameter that SQLAlchemy splices into the SQL on every execution.
    """
    return column.in_([bindparam(None, value, type_=column.type) for value in sorted(values)])


def not_among(column: Any, values: Iterable[str]) -> ColumnElement[bool]:
    """SQL: ``column NOT IN (...)``, as :func:`_among`."""
    return column.not_in([bindparam(None, value, type_=column.type) for value in sorted(values)])


def _in_states(node: Any, rules: Iterable[StateVisibility]) -> ColumnElement[bool]:
    """SQL: ``node`` is in one of the (types, state) pairs of ``rules``."""
    by_types: dict[frozenset[str], set[str]] = {}
    for rule in rules:
        by_types.setdefault(rule.types, set()).add(rule.state)
    clauses = [
        and_(among(node.type, types), among(node.workflow_state, states))
        for types, states in sorted(by_types.items(), key=lambda item: sorted(item[0]))
    ]
    return or_(*clauses) if clauses else false()


# How many (viewer, entity) filters visible_condition keeps: a few per active account.
CONDITION_CACHE_SIZE = 1024


@functools.lru_cache(maxsize=CONDITION_CACHE_SIZE)
def visible_condition(viewer: Viewer, node: Any = Node) -> ColumnElement[bool]:
    """SQL: ``viewer`` may view ``node`` (the Node entity or an alias of it).

    Composing the filter costs more than the rest of a folder page's query, so
    each is made once per (viewer, entity): a pure function of them (principals,
    site-wide roles, account, the workflows' rules, whether the site is public),
    holding no data read from the database, so nothing in it can go stale.
    """
    rules = viewer.rules
    # Roles held on the node through grants: which of them see depends on its state.
    without_workflow: list[ColumnElement[bool]] = [true()]
    if rules.workflow_types:
        without_workflow = [
            node.workflow_state.is_(None),
            not_among(node.type, rules.workflow_types),
        ]
    by_roles: dict[frozenset[str] | None, list[StateVisibility]] = {}
    for rule in rules.states:
        by_roles.setdefault(rule.roles, []).append(rule)
    role_clauses: list[ColumnElement[bool]] = [*without_workflow]
    for roles, states in sorted(by_roles.items(), key=lambda item: sorted(item[0] or ())):
        if roles is None:
            role_clauses.append(_in_states(node, states))
        elif roles:
            role_clauses.append(and_(_in_states(node, states), among(NodeViewer.role, roles)))
    granted = exists().where(
        NodeViewer.node_id == node.id,
        among(NodeViewer.principal, viewer.principals),
        or_(*role_clauses),
    )
    alternatives: list[ColumnElement[bool]] = [granted]
    # Roles held site-wide: the states they see, on any node.
    if viewer.global_roles:
        held = viewer.global_roles
        seen = [rule for rule in rules.states if rule.roles is None or held & rule.roles]
        alternatives.append(or_(*without_workflow, _in_states(node, seen)))
    if viewer.user_id is not None:
        owned = [rule for rule in rules.states if rule.owner]
        if owned:
            alternatives.append(and_(node.owner_id == viewer.user_id, _in_states(node, owned)))
    if viewer.public_site:
        public = [rule for rule in rules.states if rule.public]
        if public:
            alternatives.append(_in_states(node, public))
    return or_(*alternatives)


def filter_visible(
    query: Select, viewer: Viewer | frozenset[str] | None, node: Any = Node
) -> Select:
    """``query`` over nodes, keeping only those ``viewer`` may view (every node for None).

    The one visibility filter: listings, search, lookups by uid and
    add-ons' queries use it, so all of them agree with the security policy.
    ``node`` is the entity (or alias) the query selects nodes as.
    """
    if viewer is None:
        return query
    if not isinstance(viewer, Viewer):
        # A bare set of principals (as before workflows): any role they hold shows a node.
        viewer = Viewer(frozenset(viewer))
    return query.where(visible_condition(viewer, node))
