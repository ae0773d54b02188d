"""Writing to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from charter.audit.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who acts, and from which address; ``user_id`` is None for the anonymous or the system."""

    user_id: int | None = None
    login: str | None = None
    address: str | None = None


SYSTEM = Actor(login="system")


class AuditLog:
    """Appends entries to the audit log in the caller's transaction."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession

    def record(self, action: str, actor: Actor, target: str = "", **details: Any) -> AuditEntry:
        """Add one entry; ``details`` must be JSON-serialisable."""
        entry = AuditEntry(
            actor_id=actor.user_id,
            actor_login=actor.login,
            address=actor.address,
            action=action,
            target=target,
            details=details,
        )
        self.dbsession.add(entry)
        return entry
