"""The action codes the audit log records, each with the label people read.

Charter's services record these; an add-on (or the workflow) registers its
own with :func:`register_action` so the audit page can name and filter them.
An entry whose code is not registered still shows, under its code.
"""

from __future__ import annotations

ACTIONS: dict[str, str] = {
    "content.added": "Added",
    "content.modified": "Edited",
    "content.moved": "Moved or renamed",
    "content.copied": "Copied",
    "content.reordered": "Reordered",
    "content.trashed": "Deleted (to the trash)",
    "content.restored": "Restored",
    "content.purged": "Deleted for good",
    "content.legal_hold": "Legal hold set or lifted",
    "trash.legal_hold": "Legal hold on a trash entry",
    "revisions.pruned": "Old versions pruned",
    "workflow.transition": "Workflow transition",
    "sharing.changed": "Sharing changed",
    "global_roles.changed": "Site-wide roles changed",
    "user.created": "Account created",
    "user.updated": "Account changed",
    "user.password_set": "Password set",
    "group.created": "Group created",
    "group.updated": "Group changed",
    "group.deleted": "Group deleted",
    "token.created": "API token created",
    "token.revoked": "API token revoked",
    "login.succeeded": "Logged in",
    "login.failed": "Login failed",
    "login.refused": "Login refused",
    "logout": "Logged out",
    "session.ended": "Session ended",
    "sessions.ended_all": "Sessions ended",
    "audit.pruned": "Audit log pruned",
    "audit.exported": "Audit log exported",
}


def register_action(code: str, label: str) -> None:
    """Name an action code (``domain.verb``) for the audit page's filter and listing."""
    ACTIONS[code] = label


def action_label(code: str) -> str:
    """The label of ``code``, or the code itself when nobody registered one."""
    return ACTIONS.get(code, code)
