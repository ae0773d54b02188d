"""Taking workflow transitions, one node or many, and reading a node's workflow history.

A transition is one compare-and-set UPDATE of the node's state and version,
one INSERT into the workflow history and one audit entry, in the caller's
transaction, and an event. Nothing else is written: who may see the node in
its new state is decided by the listing queries (charter.tree.visibility).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import false, insert, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from charter.audit.service import SYSTEM, Actor, AuditLog
from charter.content.registry import TypeRegistry
from charter.db.meta import utcnow
from charter.errors import (
    ChangedMeanwhile,
    CharterError,
    Conflict,
    PreconditionFailed,
    ValidationFailed,
)
from charter.i18n import Count, _, english
from charter.input.text import text_problem, text_refusal
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.tree.paths import ROOT_PATH, descendants_range, hash_path, lineage_paths
from charter.workflow.definitions import State, Transition, Workflow
from charter.workflow.events import StateChanged
from charter.workflow.models import MAX_COMMENT_LENGTH, WorkflowStep

Permits = Callable[[Node, str], bool]
Notify = Callable[[object], None]

# What a uid looks like (charter.tree.models.new_uid), and the longest path looked up.
UID = re.compile(r"[0-9a-f]{32}")
MAX_PATH_LENGTH = 10_000
# How many items one bulk request may name.
MAX_BULK_ITEMS = 1000
# How many steps of a node's history are shown at most (newest first).
MAX_HISTORY = 500


class TransitionRefused(CharterError):
    """A transition was refused and nothing changed; ``reason`` says why in a word a
    program can test, ``status`` is the HTTP status that fits."""

    def __init__(self, message: str, reason: str, status: int) -> None:
        super().__init__(message)
        self.reason = reason
        self.status = status


# The reasons a transition is refused (the ``reason`` of the problem+json).
NO_WORKFLOW = "no-workflow"
UNKNOWN_TRANSITION = "unknown-transition"
NOT_FROM_THIS_STATE = "not-available-in-state"
NOT_PERMITTED = "not-permitted"
COMMENT_REQUIRED = "comment-required"
STALE_VERSION = "stale-version"
NOT_FOUND = "not-found"
DUPLICATE = "duplicate"
INVALID = "invalid-input"


@dataclass(frozen=True)
class TransitionResult:
    """A transition taken: the node, its history row, and whether the caller still sees it."""

    node: Node
    step: WorkflowStep
    visible: bool


@dataclass(frozen=True)
class WorkflowInfo:
    """A node's workflow, its state, and the transitions the caller may take from it."""

    workflow: Workflow
    state: State | None
    allowed: list[Transition]


@dataclass
class BulkOutcome:
    """What became of one item of a bulk request."""

    item: Any
    status: int
    node: Node | None = None
    from_state: str | None = None
    to_state: str | None = None
    visible: bool | None = None
    reason: str | None = None
    # Why it was refused (translatable; ``detail`` reads it in English).
    message: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def detail(self) -> str | None:
        """Why it was refused, in English with its values filled in (the API's word)."""
        return None if self.message is None else english(self.message)

    @property
    def done(self) -> bool:
        """Whether the transition was taken for this item."""
        return self.status == 200


def _allow_everything(node: Node, permission: str) -> bool:
    return True


def _notify_nobody(event: object) -> None:
    return None


def check_transition_comment(comment: Any) -> str:
    """``comment`` stripped; ValidationFailed on ``comment`` when it is not one a step keeps."""
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise ValidationFailed([("comment", _("must be a string"))])
    comment = comment.strip()
    problem = text_refusal(comment, max_chars=MAX_COMMENT_LENGTH)
    if problem is not None:
        raise ValidationFailed(
            [("comment", _("a comment ${problem}", mapping={"problem": problem}))]
        )
    return comment


class WorkflowService:
    """Reads and moves nodes' workflow states on behalf of ``actor``.

    ``permits`` answers whether the actor holds a permission on a node (the
    request's security policy; everything for the CLI and tests).
    """

    def __init__(
        self,
        dbsession: Session,
        types: TypeRegistry,
        actor: Actor = SYSTEM,
        permits: Permits = _allow_everything,
        notify: Notify = _notify_nobody,
        audit: AuditLog | None = None,
    ) -> None:
        self.dbsession = dbsession
        self.types = types
        self.actor = actor
        self.permits = permits
        self.notify = notify
        self.audit = audit or AuditLog(dbsession)

    def info(self, node: Node) -> WorkflowInfo | None:
        """``node``'s workflow, state and the transitions the caller may take; None when the
        node follows no workflow."""
        workflow = self.types.workflow_of(node)
        if workflow is None or node.workflow_state is None:
            return None
        allowed = [
            transition
            for transition in workflow.from_state(node.workflow_state)
            if self.permits(node, transition.permission)
        ]
        return WorkflowInfo(workflow, workflow.state(node.workflow_state), allowed)

    def state_title(self, node: Node) -> str | None:
        """The title of ``node``'s state (None: no workflow)."""
        workflow = self.types.workflow_of(node)
        state = None if workflow is None else workflow.state(node.workflow_state)
        return None if state is None else state.title

    def check(self, node: Node, name: str, comment: Any = "") -> tuple[Workflow, Transition, str]:
        """The workflow, transition and clean comment if the caller may take ``name`` from
        ``node``'s state now; TransitionRefused (or ValidationFailed) saying why not."""
        workflow = self.types.workflow_of(node)
        if workflow is None or node.workflow_state is None:
            raise TransitionRefused(
                _("${path} follows no workflow", mapping={"path": node.path}), NO_WORKFLOW, 409
            )
        transition = workflow.transition(name) if isinstance(name, str) else None
        if transition is None:
            shown = str(name)[:64].encode("utf-8", "backslashreplace").decode()
            raise TransitionRefused(
                _(
                    "the workflow ${workflow} has no transition ${transition}",
                    mapping={"workflow": repr(workflow.title), "transition": repr(shown)},
                ),
                UNKNOWN_TRANSITION,
                404,
            )
        if node.workflow_state not in transition.from_states:
            state = workflow.state(node.workflow_state)
            raise TransitionRefused(
                _(
                    "${transition} cannot be taken from the state ${state} of ${path}",
                    mapping={
                        "transition": repr(transition.title),
                        "title": _(transition.title),
                        "state": _(state.title) if state else repr(node.workflow_state),
                        "path": node.path,
                    },
                ),
                NOT_FROM_THIS_STATE,
                409,
            )
        if not self.permits(node, transition.permission):
            raise TransitionRefused(
                _(
                    "you may not ${action} ${path}: that needs the ${permission} permission here",
                    mapping={
                        "action": transition.title.lower(),
                        "title": _(transition.title),
                        "path": node.path,
                        "permission": _(transition.permission),
                    },
                ),
                NOT_PERMITTED,
                403,
            )
        comment = check_transition_comment(comment)
        if transition.comment_required and not comment:
            raise TransitionRefused(
                _(
                    "${transition} needs a comment saying why",
                    mapping={"transition": repr(transition.title), "title": _(transition.title)},
                ),
                COMMENT_REQUIRED,
                400,
            )
        return workflow, transition, comment

    def transition(
        self,
        node: Node,
        name: str,
        expected_version: int | None = None,
        comment: Any = "",
    ) -> TransitionResult:
        """Take the transition ``name`` on ``node``: its state and version move on in one
        compare-and-set, a history row and an audit entry are written, StateChanged fires.

        With ``expected_version``, a node changed meanwhile is refused
        (PreconditionFailed, nothing changed).
        """
        version = node.version if expected_version is None else expected_version
        # A client that read an older version is told so first: what it saw is gone.
        if node.version != version:
            raise _stale(node, node.version)
        workflow, transition, comment = self.check(node, name, comment)
        from_state = node.workflow_state
        result = self.dbsession.execute(
            update(Node)
            .where(Node.id == node.id, Node.version == version, Node.workflow_state == from_state)
            .values(workflow_state=transition.to, version=version + 1)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            if expected_version is None:
                raise ChangedMeanwhile(
                    _("${path} was changed meanwhile", mapping={"path": node.path})
                )
            current = self.dbsession.scalar(select(Node.version).where(Node.id == node.id))
            raise _stale(node, current)
        set_committed_value(node, "workflow_state", transition.to)
        set_committed_value(node, "version", version + 1)
        step = self._record(node, workflow, transition, from_state, comment)
        # The history row and the audit entry are in the database before subscribers look.
        self.dbsession.flush()
        self.notify(StateChanged(node, step, self.actor))
        return TransitionResult(node, step, self.permits(node, Permission.VIEW))

    def advance(self, node: Node, state: str, comment: str = "") -> list[TransitionResult]:
        """Take the fewest transitions that lead ``node`` to ``state`` (each checked and
        recorded as if taken one by one); Conflict when none lead there."""
        workflow = self.types.workflow_of(node)
        if workflow is None or node.workflow_state is None:
            raise TransitionRefused(
                _("${path} follows no workflow", mapping={"path": node.path}), NO_WORKFLOW, 409
            )
        paths: dict[str, list[Transition]] = {node.workflow_state: []}
        frontier = [node.workflow_state]
        while frontier and state not in paths:
            reached = []
            for current in frontier:
                for transition in workflow.from_state(current):
                    if transition.to not in paths:
                        paths[transition.to] = [*paths[current], transition]
                        reached.append(transition.to)
            frontier = reached
        if state not in paths:
            raise Conflict(
                _(
                    "no transitions of ${workflow} lead ${path} to ${state}",
                    mapping={
                        "workflow": repr(workflow.title),
                        "path": node.path,
                        "state": repr(state),
                    },
                )
            )
        return [self.transition(node, t.name, comment=comment) for t in paths[state]]

    def _record(
        self,
        node: Node,
        workflow: Workflow,
        transition: Transition,
        from_state: str | None,
        comment: str,
    ) -> WorkflowStep:
        """Add the history row of a transition and its audit entry to the session."""
        step = _step(self.actor, node, workflow, transition, from_state, comment)
        self.dbsession.add(step)
        self.audit.record(**self._audit_entry(node, transition, from_state, comment))
        return step

    def _audit_entry(
        self, node: Node, transition: Transition, from_state: str | None, comment: str
    ) -> dict[str, Any]:
        """The arguments of a transition's audit entry."""
        return {
            "action": "workflow.transition",
            "actor": self.actor,
            "node": node,
            "uid": node.uid,
            "title": node.title,
            "transition": transition.name,
            "from_state": from_state,
            "to_state": transition.to,
            "comment": comment,
        }

    def bulk(self, items: Sequence[Any], name: str, comment: Any = "") -> list[BulkOutcome]:
        """Take ``name`` on every item (a uid or a path), each judged on its own: one outcome
        per item, in order. The items and their lineages load in two queries, the rows to
        change are locked in one, and each state they leave is one UPDATE."""
        if not isinstance(items, list) or not items:
            raise ValidationFailed([("items", _("a list of paths or uids, at least one"))])
        if len(items) > MAX_BULK_ITEMS:
            raise ValidationFailed(
                [
                    (
                        "items",
                        _(
                            "at most ${count} items a request",
                            mapping={"count": Count(MAX_BULK_ITEMS)},
                        ),
                    )
                ]
            )
        if not isinstance(name, str):
            raise ValidationFailed([("transition", _("the name of a transition, a string"))])
        comment = check_transition_comment(comment)
        nodes = self._load(items)
        outcomes: list[BulkOutcome] = []
        accepted: list[tuple[BulkOutcome, Workflow, Transition]] = []
        seen: set[int] = set()
        for item in items:
            node = nodes.get(item) if isinstance(item, str) else None
            if node is None or not self.permits(node, Permission.VIEW):
                outcomes.append(
                    BulkOutcome(item, 404, reason=NOT_FOUND, message=_("no such item (or hidden)"))
                )
                continue
            outcome = BulkOutcome(item, 200, node=node, from_state=node.workflow_state)
            outcomes.append(outcome)
            if node.id in seen:
                outcome.status, outcome.reason = 409, DUPLICATE
                outcome.message = _("named more than once in this request")
                continue
            seen.add(node.id)
            try:
                workflow, transition, _comment = self.check(node, name, comment)
            except TransitionRefused as refusal:
                outcome.status, outcome.reason, outcome.message = (
                    refusal.status,
                    refusal.reason,
                    refusal.message,
                )
                continue
            accepted.append((outcome, workflow, transition))
        self._apply(accepted, comment)
        return outcomes

    def _load(self, items: Sequence[Any]) -> dict[str, Node]:
        """The live nodes the items name (by uid or path), with their lineages and grants:
        two queries, whatever the number of items."""
        uids = {item for item in items if isinstance(item, str) and UID.fullmatch(item)}
        paths = {
            item
            for item in items
            if isinstance(item, str)
            and item.startswith("/")
            and text_problem(item, max_chars=MAX_PATH_LENGTH) is None
        }
        if not uids and not paths:
            return {}
        live = Node.path < descendants_range(ROOT_PATH)[1]
        query = (
            select(Node)
            .options(joinedload(Node.local_roles))
            .where(
                live,
                or_(
                    Node.uid.in_(sorted(uids)) if uids else false(),
                    Node.path_hash.in_(sorted(hash_path(p) for p in paths)) if paths else false(),
                ),
            )
        )
        found = list(self.dbsession.scalars(query).unique())
        by_path = {node.path: node for node in found}
        wanted = set()
        for node in found:
            segments = [segment for segment in node.path.split("/") if segment]
            wanted.update(lineage_paths(segments)[:-1])
        wanted -= set(by_path)
        if wanted:
            ancestors = self.dbsession.scalars(
                select(Node)
                .options(joinedload(Node.local_roles))
                .where(Node.path_hash.in_(sorted(hash_path(p) for p in wanted)))
            ).unique()
            by_path.update((node.path, node) for node in ancestors)
        for node in by_path.values():
            if node.parent_id is not None:
                parent_path = node.path.rsplit("/", 1)[0] or ROOT_PATH
                node.__parent__ = by_path.get(parent_path)
        result: dict[str, Node] = {}
        for node in found:
            result[node.uid] = node
            result[node.path] = node
        return {item: result[item] for item in uids | paths if item in result}

    def _apply(
        self, accepted: list[tuple[BulkOutcome, Workflow, Transition]], comment: str
    ) -> None:
        """Lock the accepted rows, drop those changed meanwhile, then one UPDATE per
        (from, to) pair of states."""
        if not accepted:
            return
        ids = [outcome.node.id for outcome, _workflow, _transition in accepted]
        current = {
            row.id: (row.version, row.workflow_state)
            for row in self.dbsession.execute(
                select(Node.id, Node.version, Node.workflow_state)
                .where(Node.id.in_(ids))
                .with_for_update()
            )
        }
        groups: dict[tuple[str, str], list[tuple[BulkOutcome, Workflow, Transition]]] = {}
        for outcome, workflow, transition in accepted:
            node = outcome.node
            if current.get(node.id) != (node.version, node.workflow_state):
                outcome.status, outcome.reason = 409, STALE_VERSION
                outcome.message = _(
                    "${path} was changed meanwhile; nothing was done to it",
                    mapping={"path": node.path},
                )
                continue
            groups.setdefault((node.workflow_state, transition.to), []).append(
                (outcome, workflow, transition)
            )
        for (from_state, to_state), members in groups.items():
            self.dbsession.execute(
                update(Node)
                .where(
                    Node.id.in_([outcome.node.id for outcome, _, _ in members]),
                    Node.workflow_state == from_state,
                )
                .values(workflow_state=to_state, version=Node.version + 1)
                .execution_options(synchronize_session=False)
            )
        steps = []
        entries = []
        now = utcnow()
        for members in groups.values():
            for outcome, workflow, transition in members:
                node = outcome.node
                set_committed_value(node, "workflow_state", transition.to)
                set_committed_value(node, "version", node.version + 1)
                outcome.to_state = transition.to
                step = _step(self.actor, node, workflow, transition, outcome.from_state, comment)
                step.at = now  # what subscribers of StateChanged read
                steps.append((node, step))
                entries.append(
                    self.audit.entry_values(
                        **self._audit_entry(node, transition, outcome.from_state, comment)
                    )
                )
        if steps:
            # One INSERT of many rows per table (the ORM would send one per row to learn
            # their ids): the statements of a bulk do not grow with its items.
            self.dbsession.execute(
                insert(WorkflowStep),
                [_step_values(step) for _outcome, step in steps],
            )
            self.audit.record_many(entries)
        self.dbsession.flush()
        for outcome, _workflow, _transition in accepted:
            if outcome.done:
                outcome.visible = self.permits(outcome.node, Permission.VIEW)
        for node, step in steps:
            self.notify(StateChanged(node, step, self.actor))

    def history(self, node: Node, limit: int = MAX_HISTORY) -> list[WorkflowStep]:
        """``node``'s workflow steps, newest first (at most ``limit``): one indexed query."""
        return list(
            self.dbsession.scalars(
                select(WorkflowStep)
                .where(WorkflowStep.node_id == node.id)
                .order_by(WorkflowStep.id.desc())
                .limit(limit)
            )
        )


def _step(
    actor: Actor,
    node: Node,
    workflow: Workflow,
    transition: Transition,
    from_state: str | None,
    comment: str,
) -> WorkflowStep:
    """The history row of a transition ``actor`` takes on ``node``."""
    return WorkflowStep(
        node_id=node.id,
        actor_id=actor.user_id,
        actor_login=actor.login,
        workflow=workflow.name,
        transition=transition.name,
        from_state=from_state,
        to_state=transition.to,
        comment=comment,
    )


def _step_values(step: WorkflowStep) -> dict[str, Any]:
    """The column values of a history row not yet in the session (its id is the database's)."""
    columns = sa_inspect(WorkflowStep).column_attrs
    return {column.key: getattr(step, column.key) for column in columns if column.key != "id"}


def _stale(node: Node, current_version: int | None) -> PreconditionFailed:
    if current_version is None:
        return PreconditionFailed(_("${path} was deleted meanwhile", mapping={"path": node.path}))
    return PreconditionFailed(
        _(
            "${path} was changed meanwhile: it is at version ${version}",
            mapping={"path": node.path, "version": current_version},
        ),
        current_version=current_version,
    )
