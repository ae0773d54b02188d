"""The trash: deleted subtrees kept restorable until purged (by hand or after retention)."""

from __future__ import annotations

from pyramid.config import Configurator
from pyramid.request import Request

from charter.content.registry import types_of
from charter.security.permits import caller_permits
from charter.security.roles import Permission, permissions_of
from charter.trash.services import TrashAccess, TrashService

__all__ = ["TrashAccess", "TrashService", "includeme", "trash_access", "trash_service"]


def trash_access(request: Request) -> TrashAccess:
    """What this request's caller may see and do in the trash."""
    identity = request.identity
    if identity is None:
        return TrashAccess(user_id=None, principals=frozenset(), may_change=False, may_hold=False)
    global_permissions = permissions_of(identity.global_roles)
    return TrashAccess(
        user_id=identity.user_id,
        # A global role granting delete reaches every folder: its holder sees every entry.
        principals=None if Permission.DELETE in global_permissions else identity.principals,
        may_change=not identity.read_only,
        may_hold=Permission.MANAGE in global_permissions and not identity.read_only,
    )


def trash_service(request: Request) -> TrashService:
    """The trash as this request's caller sees it, with their permissions."""

    return TrashService(
        request.dbsession,
        types=types_of(request.registry),
        actor=request.actor,
        permits=caller_permits(request),
        notify=request.registry.notify,
        audit=request.audit,
        access=trash_access(request),
    )


def includeme(config: Configurator) -> None:
    """Expose ``request.trash``."""
    config.add_request_method(trash_service, "trash", reify=True)
