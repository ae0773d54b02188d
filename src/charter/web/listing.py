"""Listing a folder's children by pages: in the folder's own order (keyset cursors) or sorted
by title, type or modified (numbered pages), with the position "51-100 of 1,204", and what
the table shows of each child beyond its node (author, a file's size and type).

Sorting by title is what people mean by it: case-insensitive, accents aside, and natural
("Item 2" before "Item 10"). No database orders text that way (collations differ between
SQLite, MariaDB and PostgreSQL, and none of them orders digits as numbers), so a sorted
view reads the sort key and id of every visible child in one narrow query, orders them
here, and then loads only the page shown. That is bounded by ``MAX_SORTED_CHILDREN``;
a larger folder is listed sorted over its first that many children and says so.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from charter.accounts.models import User
from charter.content.models import File
from charter.errors import ValidationFailed
from charter.i18n import _
from charter.tree.models import Node
from charter.tree.services import decode_cursor
from charter.tree.visibility import Viewer, filter_visible

# The most children a sorted view orders (one narrow query of ids and keys).
MAX_SORTED_CHILDREN = 20_000
# Page numbers a pager shows around the current one.
PAGER_SPREAD = 2
MAX_PAGE_NUMBER = 1_000_000
_DIGITS = re.compile(r"([0-9]+)")  # ASCII digits: others are text


def natural_key(text: str) -> tuple[Any, ...]:
    """A key ordering ``text`` case-insensitively, accents aside, with runs of digits as
    numbers: "item 2" < "Item 10" < "Über".

    The parts alternate text and number (``re.split`` with a group), so any two keys
    compare text with text and numbers with numbers.
    """
    folded = "".join(
        c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
    ).casefold()
    parts = _DIGITS.split(folded)
    return tuple(int(part) if index % 2 else part for index, part in enumerate(parts))


@dataclass(frozen=True)
class Pager:
    """Where a page lies in a listing: "first-last of total", and the pages to link to."""

    first: int  # 1-based position of the first item shown (0 when none)
    last: int
    total: int
    number: int | None = None  # the page's number (sorted views), None for cursor paging
    page_count: int | None = None

    def numbers(self) -> list[int | None]:
        """Page numbers to link: the first, the last and those near the current one; None
        stands for a gap ("…")."""
        if self.number is None or not self.page_count or self.page_count < 2:
            return []
        wanted = {1, self.page_count} | set(
            range(max(1, self.number - PAGER_SPREAD), self.number + PAGER_SPREAD + 1)
        )
        shown: list[int | None] = []
        for number in sorted(n for n in wanted if n <= self.page_count):
            if shown and shown[-1] is not None and number > shown[-1] + 1:
                shown.append(None)
            shown.append(number)
        return shown


def page_number(text: str | None) -> int:
    """``?page=``: a whole number from 1 (1 when absent)."""
    if text is None or text == "":
        return 1
    if not (text.isascii() and text.isdigit() and len(text) <= 7) or not (
        1 <= int(text) <= MAX_PAGE_NUMBER
    ):
        raise ValidationFailed(
            [
                (
                    "page",
                    _("a whole number from 1 to ${maximum}", mapping={"maximum": MAX_PAGE_NUMBER}),
                )
            ]
        )
    return int(text)


def _sort_key(column: str, title: str, type_name: str, modified: dt.datetime) -> Any:
    if column == "title":
        return natural_key(title)
    if column == "type":
        return type_name.casefold()
    return modified


def sorted_page(
    dbsession: Session,
    folder: Node,
    column: str,
    descending: bool,
    number: int,
    size: int,
    viewers: Viewer | None = None,
) -> tuple[list[Node], Pager, bool]:
    """Page ``number`` (``size`` a page) of ``folder``'s visible children sorted by
    ``column``; its pager; and whether the folder had more children than are sorted."""
    query = filter_visible(
        select(Node.id, Node.title, Node.type, Node.modified).where(Node.parent_id == folder.id),
        viewers,
    )
    rows = list(dbsession.execute(query.order_by(Node.id).limit(MAX_SORTED_CHILDREN + 1)))
    capped = len(rows) > MAX_SORTED_CHILDREN
    rows = rows[:MAX_SORTED_CHILDREN]
    # Ties keep the order of creation (id), whichever way the column goes.
    rows.sort(key=lambda row: row.id)
    rows.sort(
        key=lambda row: _sort_key(column, row.title, row.type, row.modified), reverse=descending
    )
    total = len(rows)
    page_count = max(1, -(-total // size))
    number = min(number, page_count)
    ids = [row.id for row in rows[(number - 1) * size : number * size]]
    children = _load(dbsession, ids, folder)
    first = (number - 1) * size + 1 if ids else 0
    pager = Pager(first, first + len(ids) - 1 if ids else 0, total, number, page_count)
    return children, pager, capped


def _load(dbsession: Session, ids: Sequence[int], folder: Node) -> list[Node]:
    if not ids:
        return []
    loaded = {node.id: node for node in dbsession.scalars(select(Node).where(Node.id.in_(ids)))}
    children = [loaded[node_id] for node_id in ids if node_id in loaded]
    for child in children:
        child.__parent__ = folder
    return children


def cursor_pager(
    dbsession: Session,
    folder: Node,
    after: str | None,
    shown: int,
    viewers: Viewer | None = None,
) -> Pager:
    """The position of a page of the folder's own order that starts after the cursor
    ``after`` and shows ``shown`` children: two counts along the (parent, position) index."""
    visible = filter_visible(
        select(func.count()).select_from(Node).where(Node.parent_id == folder.id), viewers
    )
    total = dbsession.scalar(visible) or 0
    before = 0
    if after is not None:
        position, node_id = decode_cursor(after)
        before = (
            dbsession.scalar(
                visible.where(
                    or_(
                        Node.position < position,
                        and_(Node.position == position, Node.id <= node_id),
                    )
                )
            )
            or 0
        )
    first = before + 1 if shown else 0
    return Pager(first, before + shown, total)


@dataclass(frozen=True)
class ChildDetails:
    """What the contents table shows of a child beyond its node's own columns."""

    author: str  # the owner's full name, else their login; "" when nobody owns it
    size: int | None = None  # bytes, for files
    mime_type: str | None = None  # for files


def child_details(dbsession: Session, children: Sequence[Node]) -> dict[int, ChildDetails]:
    """Each shown child's author and, for files, size and type, in one query for the page:
    reading a File's own columns through the child would cost a query per file."""
    if not children:
        return {}
    files = File.__table__
    rows = dbsession.execute(
        select(Node.id, User.full_name, User.login, files.c.size, files.c.mime_type)
        .select_from(Node)
        .outerjoin(User, User.id == Node.owner_id)
        .outerjoin(files, files.c.id == Node.id)
        .where(Node.id.in_([child.id for child in children]))
    )
    return {
        row.id: ChildDetails(row.full_name or row.login or "", row.size, row.mime_type)
        for row in rows
    }
