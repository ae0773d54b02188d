"""Words that Charter's data brings to the pages: the workflow's states and transitions, the
content types and their fields, roles and permissions, the audit log's actions, the
principals everyone shares, the name of a device not recognised. The templates show them
through ``_(value)``; they are listed here, marked, so that Babel puts them into
charter.pot with the templates' words.

An add-on lists its own the same way (charter_events.names). ``shown_words`` reads them
from a running application's registries, so a test (the core's and each add-on's) fails
when one of them is in no catalogue template.
"""

from __future__ import annotations

from pyramid.registry import Registry

from charter.audit.actions import ACTIONS
from charter.content.registry import types_of
from charter.security.roles import Permission, Role
from charter.sessions.devices import UNKNOWN_DEVICE
from charter.web.editing import form_fields
from charter.web.i18n import _
from charter.web.menus import MENU_VIEWS_KEY
from charter.web.sharing import SYSTEM_NAMES

DATA_WORDS = (
    # The simple_publication workflow (charter.workflow.definitions).
    _("Simple publication"),
    _("Private"),
    _(
        "Seen by its owner and by those who contribute, edit, review or manage here; "
        "not by readers."
    ),
    _("Pending review"),
    _("Waiting for a reviewer; seen as a private item is."),
    _("Published"),
    _("Seen by everyone who may read here (and by every visitor on a public site)."),
    _("Submit for review"),
    _("Ask a reviewer to publish it."),
    _("Publish"),
    _("Make it visible to everyone who may read here."),
    _("Send back"),
    _("Return it to its author, saying why."),
    _("Retract"),
    _("Take it back: private again."),
    # Its states' names, as the search results and their facets show them.
    _("private"),
    _("pending"),
    _("published"),
    # The core's content types and their fields (charter.content).
    _("Folder"),
    _("Document"),
    _("File"),
    _("Title"),
    _("Shown everywhere"),
    _("Description"),
    _("Body"),
    _("Markdown"),
    # Roles and permissions (charter.security.roles).
    _("Reader"),
    _("Contributor"),
    _("Editor"),
    _("Reviewer"),
    _("Manager"),
    _("Administrator"),
    _("view"),
    _("add"),
    _("edit"),
    _("delete"),
    _("share"),
    _("review"),
    _("submit"),
    _("manage"),
    # The audit log's actions (charter.audit.actions).
    _("Added"),
    _("Edited"),
    _("Moved or renamed"),
    _("Copied"),
    _("Reordered"),
    _("Deleted (to the trash)"),
    _("Restored"),
    _("Deleted for good"),
    _("Legal hold set or lifted"),
    _("Legal hold on a trash entry"),
    _("Old versions pruned"),
    _("Workflow transition"),
    _("Sharing changed"),
    _("Site-wide roles changed"),
    _("Account created"),
    _("Account changed"),
    _("Password set"),
    _("Group created"),
    _("Group changed"),
    _("Group deleted"),
    _("API token created"),
    _("API token revoked"),
    _("Logged in"),
    _("Login failed"),
    _("Login refused"),
    _("Logged out"),
    _("Session ended"),
    _("Sessions ended"),
    _("Audit log pruned"),
    _("Audit log exported"),
    # The principals every site has (charter.web.sharing), a device not recognised
    # (charter.sessions.devices).
    _("Everyone logged in"),
    _("Everyone (also anonymous)"),
    _("Unknown device"),
)


def shown_words(registry: Registry) -> set[str]:
    """Every word of data the pages of the application configured in ``registry`` show
    through ``_(value)``: its types and their fields, its workflows, roles, permissions,
    menu views, audit actions, the built-in principals and the unknown device."""
    types = types_of(registry)
    words = {UNKNOWN_DEVICE, *SYSTEM_NAMES.values(), *Role, *Permission, *ACTIONS.values()}
    for content_type in types:
        words.add(content_type.title)
        for field in form_fields(content_type):
            words.update(word for word in (field.label, field.help) if word)
    for workflow in types.workflows:
        words.add(workflow.title)
        for state in workflow.states:
            words.update(word for word in (state.name, state.title, state.description) if word)
        for transition in workflow.transitions:
            words.update(word for word in (transition.title, transition.description) if word)
    words.update(entry.title for entry in registry.get(MENU_VIEWS_KEY, []))
    return {str(word) for word in words}
