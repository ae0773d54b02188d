"""A person's logged-in sessions: listing them, and ending one, all, or all but the current one.

Every interface ends sessions through here (the web UI, the API, the
account service on a new password or a deactivation, ``charter-user``), so
each end is audited the same way and reaches the configured store.
"""

from __future__ import annotations

from collections.abc import Callable

from transaction.interfaces import ITransactionManager, NoTransaction

from charter.accounts.models import User
from charter.audit.service import SYSTEM, Actor, AuditLog
from charter.errors import NotFound
from charter.i18n import _
from charter.security.principals import user_principal
from charter.sessions.session import CharterSession
from charter.sessions.store import SessionRecord, SessionStore

# Why sessions ended, as the audit log records it.
BY_OWNER = "ended by their owner"
BY_ADMINISTRATOR = "ended by an administrator"
PASSWORD_CHANGED = "password changed"  # noqa: S105 - a reason, not a password
DEACTIVATED = "account deactivated"


class SessionService:
    """The sessions of accounts, in ``store``.

    ``current`` is the session of the request at hand, when it has one: it
    is the session that "all but the current one" keeps. Without a
    ``transaction_manager`` (a script, a test) sessions end at once.
    """

    def __init__(
        self,
        store: SessionStore,
        audit: AuditLog,
        transaction_manager: ITransactionManager | None = None,
        current: CharterSession | None = None,
    ) -> None:
        self.store = store
        self.audit = audit
        self.transaction_manager = transaction_manager
        self.current = current

    def current_id(self, user: User) -> int | None:
        """The id of the request's own session when it is one of ``user``'s."""
        record = None if self.current is None else self.current.record
        if record is None or record.user_id != user.id:
            return None
        return record.id

    def list(self, user: User) -> list[SessionRecord]:
        """``user``'s unexpired sessions, most recently seen first."""
        return self.store.list_for_user(user.id)

    def get(self, user: User, session_id: int) -> SessionRecord:
        """One of ``user``'s sessions; NotFound for anyone else's, or one that has ended."""
        for record in self.list(user):
            if record.id == session_id:
                return record
        raise NotFound(_("no session ${id}", mapping={"id": session_id}))

    def end(self, user: User, session_id: int, actor: Actor, reason: str = BY_OWNER) -> None:
        """End one of ``user``'s sessions; ending the current one logs this request out."""
        record = self.get(user, session_id)
        if session_id == self.current_id(user):
            self.current.invalidate()
        else:
            self._when_ending(lambda: self.store.end(record))
        self.audit.record(
            "session.ended", actor, user_principal(user.id), session_id=session_id, reason=reason
        )

    def end_all(
        self, user: User, actor: Actor = SYSTEM, reason: str = BY_OWNER, keep_current: bool = False
    ) -> int:
        """End ``user``'s sessions (but the current one, with ``keep_current``); returns how many.

        The current session, when kept, gets a new key: a copy of its cookie
        made before stops working too.
        """
        current_id = self.current_id(user)
        keep = current_id if keep_current else None
        count = sum(1 for record in self.list(user) if record.id != keep)
        self._when_ending(lambda: self.store.end_for_user(user.id, keep))
        if keep is not None:
            self.current.rekey()
        elif current_id is not None:
            self.current.invalidate()
        self.audit.record(
            "sessions.ended_all",
            actor,
            user_principal(user.id),
            reason=reason,
            count=count,
            kept_current=keep is not None,
        )
        return count

    def purge_expired(self) -> int:
        """Remove every expired session record now; returns how many."""
        return self.store.purge_expired()

    def _when_ending(self, action: Callable[[], None]) -> None:
        if self.transaction_manager is not None:
            try:
                transaction = self.transaction_manager.get()
            except NoTransaction:
                pass
            else:
                self.store.defer_end(transaction, action)
                return
        action()
