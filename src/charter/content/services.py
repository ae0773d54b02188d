"""Creating the core content types."""

from __future__ import annotations

from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.content.models import Document, Folder
from charter.errors import ValidationFailed
from charter.tree.models import Node
from charter.tree.services import TreeService

MAX_TITLE_LENGTH = 500


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ValidationFailed([("title", "a title is required")])
    if len(title) > MAX_TITLE_LENGTH:
        raise ValidationFailed([("title", f"a title has at most {MAX_TITLE_LENGTH} characters")])
    return title


class ContentService:
    """Adds folders and documents to the tree."""

    def __init__(self, dbsession: Session) -> None:
        self.dbsession = dbsession
        self.tree = TreeService(dbsession)

    def create_root(self, title: str, by: User | None = None) -> Folder:
        """Create the root folder of an empty site."""
        root = Folder(title=_check_title(title), description="")
        _stamp(root, by)
        return self.tree.create_root(root)  # type: ignore[return-value]

    def add_folder(
        self, parent: Node, name: str, title: str, description: str = "", by: User | None = None
    ) -> Folder:
        """Add a folder called ``name`` inside ``parent``."""
        folder = Folder(title=_check_title(title), description=description)
        _stamp(folder, by)
        return self.tree.add(parent, folder, name)  # type: ignore[return-value]

    def add_document(
        self,
        parent: Node,
        name: str,
        title: str,
        body: str,
        description: str = "",
        by: User | None = None,
    ) -> Document:
        """Add a Markdown document called ``name`` inside ``parent``."""
        document = Document(title=_check_title(title), description=description)
        document.set_body(body)
        _stamp(document, by)
        return self.tree.add(parent, document, name)  # type: ignore[return-value]


def _stamp(node: Node, by: User | None) -> None:
    if by is not None:
        node.owner_id = node.created_by_id = node.modified_by_id = by.id
