"""A person's work lists: their drafts, and the items waiting for their review.

Both are decided in SQL from the compiled workflow definitions, beside the
listings' visibility filter (charter.tree.visibility), never by loading nodes
and asking the security policy one by one:

- a draft is a node the person owns that is in its workflow's initial state
  (``private`` in the simple publication workflow);
- an item waits for someone's review when it is in a state a transition needing
  the ``review`` permission leaves (``pending``), and that person holds, on the
  node or site-wide, a role that has ``review`` in that state, as the security
  policy would compute it (charter.security.roles.StatePermissions).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from charter.security.roles import OWNER, Permission
from charter.tree.models import Node, NodeViewer
from charter.tree.recent import MAX_ITEMS, ChangedItem, changed_items, live, with_changer
from charter.tree.visibility import Viewer, filter_visible
from charter.workflow.definitions import WorkflowRegistry


@dataclass(frozen=True)
class ReviewState:
    """Nodes of ``types`` in ``state`` wait for a review by holders of ``roles`` (and by
    their owner when ``owner``)."""

    types: frozenset[str]
    state: str
    roles: frozenset[str]
    owner: bool


def draft_states(workflows: WorkflowRegistry) -> list[tuple[frozenset[str], str]]:
    """(types, state) pairs of drafts: each workflow's initial state, for the types following
    it."""
    pairs = []
    for workflow in workflows:
        types = workflows.types_of(workflow)
        if types:
            pairs.append((types, workflow.initial))
    return pairs


def review_states(workflows: WorkflowRegistry) -> list[ReviewState]:
    """Every state a reviewing transition leaves, with the roles that hold ``review`` there."""
    found = []
    for workflow in workflows:
        types = workflows.types_of(workflow)
        if not types:
            continue
        leaving = {
            state
            for transition in workflow.transitions
            if transition.permission == Permission.REVIEW
            for state in transition.from_states
        }
        for state in workflow.states:
            if state.name not in leaving:
                continue
            holders = {
                role
                for role, allowed in state.permissions().items()
                if Permission.REVIEW in allowed
            }
            found.append(
                ReviewState(types, state.name, frozenset(holders - {OWNER}), OWNER in holders)
            )
    return found


def _in_state(types: frozenset[str], state: str) -> ColumnElement[bool]:
    return and_(Node.type.in_(sorted(types)), Node.workflow_state == state)


def may_review_condition(reviewer: Viewer, states: list[ReviewState]) -> ColumnElement[bool]:
    """SQL: the node is in one of ``states`` and ``reviewer`` holds a role reviewing it there."""
    clauses = []
    for rule in states:
        holds: list[ColumnElement[bool]] = []
        if reviewer.global_roles & rule.roles:
            holds.append(true())
        elif rule.roles:
            holds.append(
                exists().where(
                    NodeViewer.node_id == Node.id,
                    NodeViewer.principal.in_(sorted(reviewer.principals)),
                    NodeViewer.role.in_(sorted(rule.roles)),
                )
            )
        if rule.owner and reviewer.user_id is not None:
            holds.append(Node.owner_id == reviewer.user_id)
        if holds:
            clauses.append(and_(_in_state(rule.types, rule.state), or_(*holds)))
    return or_(*clauses) if clauses else false()


class Worklists:
    """The drafts and the review queue of one person, each one bounded query."""

    def __init__(self, session: Session, workflows: WorkflowRegistry) -> None:
        self.session = session
        self.workflows = workflows

    def drafts(self, viewer: Viewer | None, user_id: int, limit: int = 10) -> list[ChangedItem]:
        """Up to ``limit`` live nodes owned by ``user_id`` in a draft state, newest change
        first, that ``viewer`` may view."""
        pairs = draft_states(self.workflows)
        in_draft = or_(*(_in_state(types, state) for types, state in pairs)) if pairs else false()
        query = select(Node).where(live(), Node.owner_id == user_id, in_draft)
        return self._run(filter_visible(query, viewer), limit)

    def waiting_for_review(
        self, viewer: Viewer | None, reviewer: Viewer, limit: int = 10
    ) -> list[ChangedItem]:
        """Up to ``limit`` live nodes ``reviewer`` may review and ``viewer`` (the same person
        as the listings filter them; None: unfiltered) may view, longest waiting first."""
        condition = may_review_condition(reviewer, review_states(self.workflows))
        query = filter_visible(select(Node).where(live(), condition), viewer)
        query = query.order_by(Node.modified, Node.id).limit(min(limit, MAX_ITEMS))
        return changed_items(self.session, with_changer(query))

    def _run(self, query: Select, limit: int) -> list[ChangedItem]:
        query = query.order_by(Node.modified.desc(), Node.id.desc()).limit(min(limit, MAX_ITEMS))
        return changed_items(self.session, with_changer(query))
