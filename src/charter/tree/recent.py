"""What changed lately across the whole tree, for one viewer: the dashboard's "Recent items".

One bounded query: the live nodes the viewer may view (the listings' own SQL
filter, charter.tree.visibility), newest change first, with the name of who
made that change joined in, so a list of ten costs one statement.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.tree.models import Node
from charter.tree.paths import ROOT_PATH, descendants_range
from charter.tree.visibility import Viewer, filter_visible

# The most a dashboard list shows; a list is a glance, the tree and search hold the rest.
MAX_ITEMS = 50


@dataclass(frozen=True)
class ChangedItem:
    """A node and the display name of whoever changed it last (None: nobody on record)."""

    node: Node
    changed_by: str | None


def live(node: type[Node] = Node) -> ColumnElement[bool]:
    """SQL: ``node`` is in the tree, not in the trash (trashed paths sort after the root's
    range)."""
    return node.path < descendants_range(ROOT_PATH)[1]


def with_changer(query: Select) -> Select:
    """``query`` over nodes, also selecting the name of the account that changed each last."""
    name = func.coalesce(func.nullif(User.full_name, ""), User.login)
    return query.add_columns(name).outerjoin(User, User.id == Node.modified_by_id)


def changed_items(session: Session, query: Select) -> list[ChangedItem]:
    """Run ``query`` (built by :func:`with_changer`) into ChangedItems."""
    return [ChangedItem(node, changed_by) for node, changed_by in session.execute(query)]


def recently_changed(session: Session, viewer: Viewer | None, limit: int = 10) -> list[ChangedItem]:
    """Up to ``limit`` live nodes ``viewer`` may view (None: any), most recently changed first."""
    query = filter_visible(select(Node).where(live()), viewer)
    query = query.order_by(Node.modified.desc(), Node.id.desc()).limit(min(limit, MAX_ITEMS))
    return changed_items(session, with_changer(query))
