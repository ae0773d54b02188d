"""The site the throughput benchmarks and the profiler read: what each request asks for.

A migrated database shared as ``charter-init`` shares it, with an ordinary
reader's API token, a Markdown document at depth 6 (the issue's measure) and a sibling to edit,
a folder of 1,000 documents, and ``/edits`` whose documents an Editor's token changes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from benchlib import charter_engine, fresh_database, open_to_readers
from sqlalchemy import select
from sqlalchemy.engine import URL
from sqlalchemy.orm import Session

from charter.accounts.services import AccountService, TokenService
from charter.content.services import ContentService
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.tree.models import Node
from charter.workflow.services import WorkflowService

PUBLISHED = "published"

DOCUMENT_TRAIL = ("guides", "handbook", "operations", "servers", "linux")
DOCUMENT_NAME = "install"
DOCUMENT_PATH = "/" + "/".join((*DOCUMENT_TRAIL, DOCUMENT_NAME))
# Its sibling, which the PATCH benchmark changes (the reads' ETag stays put).
EDITED_PATH = "/" + "/".join((*DOCUMENT_TRAIL, "upgrade"))
BIG_FOLDER_PATH = "/big"
BIG_FOLDER_CHILDREN = 1000
# Documents the PATCH benchmark changes, one per client, so that clients never collide.
EDITS_FOLDER_PATH = "/edits"
EDITS_DOCUMENTS = 32
API_PREFIX = "/api/v1/content"

DOCUMENT_BODY = """\
## Before you start

You need a database server and Python **3.11** or newer. Ask the operations
team for an account on the staging database; the [handbook](/guides/handbook)
lists who to ask.

1. Create a virtual environment.
2. Install Charter with its PostgreSQL or MySQL extra.
3. Run `charter-init production.ini` once.

| Setting | Typical value |
| ------- | ------------- |
| charter.db.pool_size | 10 |
| retry.attempts | 3 |

> Keep `charter.debug` off in production.
"""


def edit_name(number: int) -> str:
    """The name of the ``number``-th document of the PATCH benchmark."""
    return f"doc-{number:02d}"


@dataclass(frozen=True)
class Site:
    """What was seeded: the reader's token and the ids the requests need."""

    token: str
    editor_token: str
    document_id: int
    # The document's version (its ETag) once seeded: publishing it moved it on.
    document_version: int = 1

    @property
    def headers(self) -> dict[str, str]:
        """The reader's request headers."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def editor_headers(self) -> dict[str, str]:
        """The request headers of an Editor of the document's folder (read-write token)."""
        return {"Authorization": f"Bearer {self.editor_token}"}


def seed_site(url: URL, big_folder: bool = True) -> Site:
    """Create ``url``'s database afresh and fill it (see the module's docstring)."""
    fresh_database(url)
    engine = charter_engine(url)
    try:
        with Session(engine) as session, session.begin():
            content = ContentService(session)
            root = content.create_root("Charter benchmark")
            token = open_to_readers(session, root)
            folder = root
            for name in DOCUMENT_TRAIL:
                folder = content.add_folder(folder, name, name.title(), f"The {name} folder.")
            document = content.add_document(
                folder, DOCUMENT_NAME, "Installing Charter", DOCUMENT_BODY, "For operators."
            )
            content.add_document(
                folder, EDITED_PATH.rsplit("/", 1)[1], "Upgrading Charter", DOCUMENT_BODY, ""
            )
            if big_folder:
                big = content.add_folder(root, BIG_FOLDER_PATH[1:], "A big folder")
                for number in range(BIG_FOLDER_CHILDREN):
                    content.add_document(
                        big, f"item-{number:04d}", f"Item {number}", "Some *text*.", ""
                    )
            # As a site in use: everything published, so that readers see it.
            workflow = WorkflowService(session, content.types)
            for node in session.scalars(select(Node).where(Node.workflow_state.is_not(None))):
                if node.workflow_state != PUBLISHED:
                    workflow.advance(node, PUBLISHED)
            editor = AccountService(session).create_user(
                "bench-editor", "bench-editor@example.com", secrets.token_urlsafe(16), "Editor"
            )
            edits = content.add_folder(root, EDITS_FOLDER_PATH[1:], "Edited by the benchmark")
            for number in range(EDITS_DOCUMENTS):
                content.add_document(edits, edit_name(number), f"Edit {number}", "Text.", "")
            for place in (folder, edits):
                SharingService(session).update(place, {user_principal(editor.id): ["Editor"]})
            _, editor_token = TokenService(session).create(editor, "benchmarks", "read-write")
            session.flush()
            site = Site(token, editor_token, document.id, document.version)
    finally:
        engine.dispose()
    return site
