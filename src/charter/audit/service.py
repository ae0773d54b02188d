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


# The sizes of the columns (charter.audit.models).
MAX_TARGET_LENGTH = 255
MAX_LOGIN_LENGTH = 100
MAX_ADDRESS_LENGTH = 64


def _clip(text: str | None, length: int) -> str | None:
    return text if text is None or len(text) <= length else text[: length - 1] + "…"


class AuditLog:
    """Appends entries to the audit log in the caller's transaction."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession

    def record(self, action: str, actor: Actor, target: str = "", **details: Any) -> AuditEntry:
        """Add one entry; ``details`` must be JSON-serialisable.

        A target longer than its column (a deep path) is shortened with an
        ellipsis and kept whole in ``details["target"]``.
        """
        if len(target) > MAX_TARGET_LENGTH:
            details = {**details, "target": target}
            target = target[: MAX_TARGET_LENGTH - 1] + "…"
        entry = AuditEntry(
            actor_id=actor.user_id,
            actor_login=_clip(actor.login, MAX_LOGIN_LENGTH),
            address=_clip(actor.address, MAX_ADDRESS_LENGTH),
            action=action,
            target=target,
            details=details,
        )
        self.dbsession.add(entry)
        return entry
