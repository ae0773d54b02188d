"""Workflows as plain data: states, transitions, the registry, and what they compile to.

A workflow is declared once (``config.add_workflow``) and assigned to
content types (``workflow=`` on ``config.add_content_type``). At start-up the
registered workflows compile into two tables: what each role may do in each
state (charter.security.roles.StatePermissions, read by the security
policy) and which roles see each state (charter.tree.visibility.
VisibilityRules, written into every listing's SQL). Nothing is stored per
node but its state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from charter.errors import Conflict
from charter.security.roles import (
    OWNER,
    STATE_ROLES,
    Permission,
    Role,
    StatePermissions,
    role_permissions,
)
from charter.tree.visibility import StateVisibility, VisibilityRules

# Names of workflows, states and transitions: what a URL segment and a column hold.
MAX_NAME = 64


@dataclass(frozen=True)
class State:
    """A state: its name, title, and how it changes what roles may do.

    ``revoke`` and ``grant`` map a role (a Role's name or ``"Owner"``) to the
    permissions it loses or gains in this state. ``public``: on a site with
    ``charter.public_site`` on, everyone may view a node in this state.
    """

    name: str
    title: str
    revoke: Mapping[str, Iterable[str]] = field(default_factory=dict)
    grant: Mapping[str, Iterable[str]] = field(default_factory=dict)
    public: bool = False
    description: str = ""

    def permissions(self) -> dict[str, frozenset[Permission]]:
        """What each role may do in this state."""
        table: dict[str, frozenset[Permission]] = {}
        for role in STATE_ROLES:
            allowed = set(role_permissions(role))
            allowed -= {Permission(p) for p in self.revoke.get(role, ())}
            allowed |= {Permission(p) for p in self.grant.get(role, ())}
            table[role] = frozenset(allowed)
        return table


@dataclass(frozen=True)
class Transition:
    """A step from any of ``from_states`` to ``to``, for callers holding ``permission``
    on the node; ``comment_required``: refused without a comment."""

    name: str
    title: str
    from_states: tuple[str, ...]
    to: str
    permission: str
    comment_required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Workflow:
    """States, the state new nodes start in, and the transitions between states."""

    name: str
    title: str
    initial: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    # The state the root folder of a new site starts in (None: ``initial``): its home page
    # must be seen by those the site is for.
    root_state: str | None = None

    def state(self, name: str | None) -> State | None:
        """The state called ``name``, or None."""
        return next((state for state in self.states if state.name == name), None)

    def transition(self, name: str) -> Transition | None:
        """The transition called ``name``, or None."""
        return next((t for t in self.transitions if t.name == name), None)

    def from_state(self, state: str | None) -> list[Transition]:
        """The transitions that leave ``state``, in their declared order."""
        return [t for t in self.transitions if state in t.from_states]

    def check(self) -> None:
        """Refuse (Conflict) a definition that contradicts itself."""
        problems: list[str] = []
        names = [state.name for state in self.states]
        for name in [self.name, *names, *(t.name for t in self.transitions)]:
            if not name or len(name) > MAX_NAME or not name.replace("_", "").isalnum():
                problems.append(f"{name!r} is not a name (letters, digits, _; up to {MAX_NAME})")
        if len(set(names)) != len(names):
            problems.append("two states share a name")
        if len({t.name for t in self.transitions}) != len(self.transitions):
            problems.append("two transitions share a name")
        if self.initial not in names:
            problems.append(f"the initial state {self.initial!r} is not one of its states")
        if self.root_state is not None and self.root_state not in names:
            problems.append(f"the root's state {self.root_state!r} is not one of its states")
        for state in self.states:
            for role in [*state.revoke, *state.grant]:
                if role not in STATE_ROLES:
                    problems.append(f"state {state.name!r} names no role: {role!r}")
                if role == Role.ADMINISTRATOR:
                    problems.append(f"state {state.name!r}: the Administrator's role is fixed")
            for permissions in [*state.revoke.values(), *state.grant.values()]:
                problems += [
                    f"state {state.name!r} names no permission: {p!r}"
                    for p in permissions
                    if p not in set(Permission)
                ]
        for transition in self.transitions:
            for state in [*transition.from_states, transition.to]:
                if state not in names:
                    problems.append(f"transition {transition.name!r} names no state: {state!r}")
            if transition.permission not in set(Permission):
                problems.append(
                    f"transition {transition.name!r} names no permission: {transition.permission!r}"
                )
        if problems:
            raise Conflict(f"workflow {self.name!r}: " + "; ".join(problems))


class WorkflowRegistry:
    """The registered workflows and which type follows which."""

    def __init__(self) -> None:
        self._workflows: dict[str, Workflow] = {}
        self._by_type: dict[str, str] = {}

    def add(self, workflow: Workflow) -> None:
        """Register ``workflow``; a second of the same name is a configuration error."""
        workflow.check()
        if workflow.name in self._workflows:
            raise Conflict(f"workflow {workflow.name!r} is registered twice")
        self._workflows[workflow.name] = workflow

    def assign(self, type_name: str, workflow_name: str | None) -> None:
        """Make nodes of ``type_name`` follow ``workflow_name`` (None: no workflow)."""
        if workflow_name is None:
            self._by_type.pop(type_name, None)
        else:
            self._by_type[type_name] = workflow_name

    def get(self, name: str) -> Workflow | None:
        """The workflow called ``name``, or None."""
        return self._workflows.get(name)

    def __iter__(self):
        return iter(sorted(self._workflows.values(), key=lambda w: w.name))

    def for_type(self, type_name: str) -> Workflow | None:
        """The workflow nodes of ``type_name`` follow, or None."""
        name = self._by_type.get(type_name)
        return None if name is None else self._workflows.get(name)

    def initial_state(self, type_name: str) -> str | None:
        """The state a new node of ``type_name`` starts in (None: it has no workflow)."""
        workflow = self.for_type(type_name)
        return None if workflow is None else workflow.initial

    def root_state(self, type_name: str) -> str | None:
        """The state a new site's root of ``type_name`` starts in (None: no workflow)."""
        workflow = self.for_type(type_name)
        if workflow is None:
            return None
        return workflow.root_state or workflow.initial

    def check(self) -> None:
        """Refuse (Conflict) a type assigned a workflow that was never registered."""
        for type_name, name in sorted(self._by_type.items()):
            if name not in self._workflows:
                raise Conflict(f"content type {type_name!r} follows no such workflow: {name!r}")

    def types_of(self, workflow: Workflow) -> frozenset[str]:
        """The types that follow ``workflow``."""
        return frozenset(t for t, name in self._by_type.items() if name == workflow.name)

    def compile(self) -> tuple[StatePermissions, VisibilityRules]:
        """The permission table of the security policy and the visibility table of the SQL
        filter, from the current definitions (done once, at start-up)."""
        self.check()
        by_state: dict[tuple[str, str], dict[str, frozenset[Permission]]] = {}
        public: set[tuple[str, str]] = set()
        rules: list[StateVisibility] = []
        workflow_types: set[str] = set()
        every_role = frozenset(role.value for role in Role)
        for workflow in self:
            types = self.types_of(workflow)
            if not types:
                continue
            workflow_types |= types
            for state in workflow.states:
                table = state.permissions()
                for type_name in types:
                    by_state[(type_name, state.name)] = table
                    if state.public:
                        public.add((type_name, state.name))
                seeing = frozenset(
                    role for role, allowed in table.items() if Permission.VIEW in allowed
                )
                roles_seeing = seeing & every_role
                rules.append(
                    StateVisibility(
                        types=types,
                        state=state.name,
                        roles=None if roles_seeing == every_role else roles_seeing,
                        owner=OWNER in seeing,
                        public=state.public,
                    )
                )
        frozen_types = frozenset(workflow_types)
        return (
            StatePermissions(by_state, frozen_types, frozenset(public)),
            VisibilityRules(tuple(rules), frozen_types),
        )


SIMPLE_PUBLICATION = Workflow(
    name="simple_publication",
    title="Simple publication",
    initial="private",
    root_state="published",
    states=(
        State(
            "private",
            "Private",
            revoke={Role.READER.value: [Permission.VIEW.value]},
            description="Seen by its owner and by those who contribute, edit, review or manage "
            "here; not by readers.",
        ),
        State(
            "pending",
            "Pending review",
            revoke={Role.READER.value: [Permission.VIEW.value]},
            description="Waiting for a reviewer; seen as a private item is.",
        ),
        State(
            "published",
            "Published",
            public=True,
            description="Seen by everyone who may read here (and by every visitor on a public "
            "site).",
        ),
    ),
    transitions=(
        Transition(
            "submit",
            "Submit for review",
            ("private",),
            "pending",
            Permission.SUBMIT.value,
            description="Ask a reviewer to publish it.",
        ),
        Transition(
            "publish",
            "Publish",
            ("pending",),
            "published",
            Permission.REVIEW.value,
            description="Make it visible to everyone who may read here.",
        ),
        Transition(
            "reject",
            "Send back",
            ("pending",),
            "private",
            Permission.REVIEW.value,
            comment_required=True,
            description="Return it to its author, saying why.",
        ),
        Transition(
            "retract",
            "Retract",
            ("pending", "published"),
            "private",
            Permission.SUBMIT.value,
            description="Take it back: private again.",
        ),
    ),
)
