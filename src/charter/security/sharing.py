"""Sharing: local roles on nodes, inheritance, and site-wide roles."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from charter.accounts.models import Group, User
from charter.audit.service import SYSTEM, Actor, AuditLog
from charter.errors import ValidationFailed
from charter.i18n import _
from charter.input.numbers import whole_number
from charter.input.text import text_problem
from charter.security.models import GlobalRole
from charter.security.principals import (
    GROUP_PREFIX,
    SYSTEM_PRINCIPALS,
    USER_PREFIX,
    user_principal,
)
from charter.security.roles import LOCAL_ROLES, Role
from charter.tree.models import LocalRole, Node
from charter.tree.services import TreeService
from charter.tree.viewers import refresh_subtree


@dataclass(frozen=True)
class InheritedGrant:
    """A role that reaches a node from an ancestor."""

    principal: str
    role: str
    path: str


@dataclass
class Sharing:
    """How a node is shared: its own grants, what it inherits, and whether it inherits."""

    inherit: bool
    local: dict[str, list[str]] = field(default_factory=dict)
    inherited: list[InheritedGrant] = field(default_factory=list)


class SharingService:
    """Reads and changes who holds which role where."""

    def __init__(
        self,
        dbsession: Session,
        audit: AuditLog | None = None,
        notify: Callable[[object], None] | None = None,
    ) -> None:
        self.dbsession = dbsession
        self.audit = audit or AuditLog(dbsession)
        self.notify = notify or (lambda event: None)

    def sharing(self, node: Node) -> Sharing:
        """The grants on ``node`` and those it inherits, from the lineage traversal loaded."""
        result = Sharing(inherit=node.inherit_roles)
        for grant in node.local_roles:
            result.local.setdefault(grant.principal, []).append(grant.role)
        for roles in result.local.values():
            roles.sort()
        ancestor = node.__parent__ if node.inherit_roles else None
        while ancestor is not None:
            result.inherited.extend(
                InheritedGrant(g.principal, g.role, ancestor.path) for g in ancestor.local_roles
            )
            if not ancestor.inherit_roles:
                break
            ancestor = ancestor.__parent__
        return result

    def update(
        self,
        node: Node,
        entries: Mapping[str, Iterable[str]],
        inherit: bool | None = None,
        actor: Actor = SYSTEM,
    ) -> Sharing:
        """Set the listed principals' local roles on ``node`` (an empty list removes them).

        Principals not listed keep their roles. ``inherit`` turns inheritance
        of the ancestors' grants on or off. Who may view the subtree is
        recomputed in set-based SQL; the change is audited.
        """
        wanted = {principal: sorted(set(roles)) for principal, roles in entries.items()}
        self._validate(wanted)
        # Another request may have changed these grants since this one loaded
        # them: wait for it, then start from what it left.
        TreeService(self.dbsession).lock(node)
        self.dbsession.refresh(node, ["local_roles", "inherit_roles"])
        before = self.sharing(node)
        for principal, roles in wanted.items():
            current = [g for g in node.local_roles if g.principal == principal]
            for grant in current:
                if grant.role not in roles:
                    node.local_roles.remove(grant)
            held = {g.role for g in current}
            node.local_roles.extend(
                LocalRole(principal=principal, role=role) for role in roles if role not in held
            )
        if inherit is not None:
            node.inherit_roles = inherit
        after = self.sharing(node)
        if after.local != before.local or after.inherit != before.inherit:
            refresh_subtree(self.dbsession, node)
            self.audit.record(
                "sharing.changed",
                actor,
                node=node,
                uid=node.uid,
                before={"inherit": before.inherit, "local": before.local},
                after={"inherit": after.inherit, "local": after.local},
            )
            # Imported here: charter.content imports the security package.
            from charter.content.events import ObjectShared

            self.notify(ObjectShared(node))
        return after

    def global_roles(self) -> dict[str, list[str]]:
        """Every site-wide grant: principal -> roles."""
        grants: dict[str, list[str]] = {}
        for grant in self.dbsession.scalars(
            select(GlobalRole).order_by(GlobalRole.principal, GlobalRole.role)
        ):
            grants.setdefault(grant.principal, []).append(grant.role)
        return grants

    def set_global_roles(
        self, principal: str, roles: Iterable[str], actor: Actor = SYSTEM
    ) -> list[str]:
        """Make ``roles`` exactly the site-wide roles of ``principal``."""
        wanted = sorted(set(roles))
        self._validate({principal: wanted}, allowed=tuple(Role), allow_everyone=False)
        before = self.global_roles().get(principal, [])
        if before == wanted:
            return wanted
        if (
            actor.user_id is not None
            and principal == user_principal(actor.user_id)
            and Role.ADMINISTRATOR.value in before
            and Role.ADMINISTRATOR.value not in wanted
        ):
            # Another administrator can do it; nobody locks themselves out by a stray click.
            raise ValidationFailed(
                [("roles", _("you cannot take away your own Administrator role"))]
            )
        self.dbsession.execute(delete(GlobalRole).where(GlobalRole.principal == principal))
        self.dbsession.add_all(GlobalRole(principal=principal, role=role) for role in wanted)
        self.audit.record("global_roles.changed", actor, principal, before=before, after=wanted)
        return wanted

    def _validate(
        self,
        wanted: Mapping[str, list[str]],
        allowed: tuple[Role, ...] = LOCAL_ROLES,
        allow_everyone: bool = True,
    ) -> None:
        errors = []
        names = {role.value for role in allowed}
        user_ids: dict[int, str] = {}
        group_names: dict[str, str] = {}
        for index, (principal, roles) in enumerate(wanted.items()):
            pointer = f"entries/{index}"
            for role in roles:
                if role not in names:
                    errors.append(
                        (
                            f"{pointer}/roles",
                            _(
                                "'${role}' is not one of ${roles}",
                                mapping={"role": role, "roles": ", ".join(sorted(names))},
                            ),
                        )
                    )
            if principal in SYSTEM_PRINCIPALS:
                if principal == "system.Everyone" and not allow_everyone:
                    errors.append((f"{pointer}/principal", _("site roles cannot go to everyone")))
            elif (
                principal.startswith(USER_PREFIX)
                and (user_id := whole_number(principal[len(USER_PREFIX) :])) is not None
            ):
                user_ids[user_id] = pointer
            elif (
                principal.startswith(GROUP_PREFIX)
                and principal[len(GROUP_PREFIX) :]
                # A name the database cannot even take is no group's.
                and text_problem(principal, max_chars=len(GROUP_PREFIX) + 100) is None
            ):
                group_names[principal[len(GROUP_PREFIX) :]] = pointer
            else:
                errors.append(
                    (
                        f"{pointer}/principal",
                        _(
                            "${principal} is not a principal: use user:<id>, group:<name>, "
                            "system.Authenticated or system.Everyone",
                            mapping={"principal": repr(principal)},
                        ),
                    )
                )
        if user_ids:
            known = set(self.dbsession.scalars(select(User.id).where(User.id.in_(user_ids))))
            errors += [
                (f"{p}/principal", f"no account with id {i}")
                for i, p in user_ids.items()
                if i not in known
            ]
        if group_names:
            known_groups = set(
                self.dbsession.scalars(select(Group.name).where(Group.name.in_(group_names)))
            )
            errors += [
                (f"{p}/principal", f"no group named {n!r}")
                for n, p in group_names.items()
                if n not in known_groups
            ]
        if errors:
            raise ValidationFailed(errors)
