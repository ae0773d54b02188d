"""Revisions: every change of a node's content kept as an immutable snapshot, read back, pruned.

The editing service (charter.content.services) records them; the history
views read them through :class:`RevisionService`. A snapshot holds the
type's schema fields in JSON mode and, for a file, the blob it refers to
(by hash, never a copy of the bytes) with its size, type and name.

A node from a site older than revisions has none: its history shows its
current state as version 1, and its first change records that state as
revision 1 before the change itself (so it is never lost).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, defer

from charter.audit.service import Actor, mark_written
from charter.db.meta import utcnow
from charter.errors import NotFound, ValidationFailed
from charter.history.diff import Comparison, compare
from charter.history.models import MAX_COMMENT_LENGTH, Revision
from charter.i18n import _
from charter.input.numbers import whole_number
from charter.input.text import text_refusal
from charter.tree.models import Node

if TYPE_CHECKING:
    from charter.content.registry import ContentType, TypeRegistry

# What a node that has no revisions yet (made before they were kept) shows as its version 1.
BASELINE_COMMENT = "As it was before its history was kept"
# The keys a file's snapshot adds to its schema fields: the keys of the file's JSON.
BLOB_KEYS = ("filename", "size", "mime_type", "sha256")
# Revision numbers fit the INTEGER column on every database.
MAX_NUMBER = 2**31 - 1
# Revisions deleted per statement when pruning.
PRUNE_BATCH = 500


# An edit's revision, read and written by Core statements built once on the table.
_revisions = Revision.__table__
_LAST_NUMBER = select(func.max(_revisions.c.number)).where(
    _revisions.c.node_id == bindparam("node_id")
)
_INSERT_REVISION = insert(_revisions)


@dataclass(frozen=True)
class FileBlob:
    """The bytes a file refers to, as a revision keeps them: hash, size, sniffed type, name."""

    sha256: str
    size: int
    mime_type: str
    filename: str

    def columns(self) -> dict[str, Any]:
        """The File columns that hold this blob."""
        return {
            "blob_sha256": self.sha256,
            "size": self.size,
            "mime_type": self.mime_type,
            "filename": self.filename,
        }


@dataclass(frozen=True)
class Baseline:
    """A node's state before a change, kept as revision 1 if it turns out to have none."""

    fields: dict[str, Any]
    modified: dt.datetime
    author_id: int | None


@dataclass(frozen=True)
class HistoryPageRequest:
    """How many revisions to list, and below which number (newest first)."""

    limit: int
    after: int | None = None
    limit_given: bool = False

    def next_query(self, cursor: int) -> dict[str, str]:
        """Query parameters of the page after ``cursor``, keeping a limit the client chose."""
        query = {"after": str(cursor)}
        if self.limit_given:
            query["limit"] = str(self.limit)
        return query

    @classmethod
    def from_params(
        cls, params: Mapping[str, str], settings: Mapping[str, Any]
    ) -> HistoryPageRequest:
        """Validate ``limit`` (1 to the configured maximum) and ``after`` (a revision number)."""
        maximum = settings["charter.api.max_page_size"]
        limit = settings["charter.api.default_page_size"]
        text = params.get("limit")
        if text is not None:
            limit = whole_number(text, minimum=1, maximum=maximum)
            if limit is None:
                raise ValidationFailed(
                    [
                        (
                            "limit",
                            _("a whole number from 1 to ${maximum}", mapping={"maximum": maximum}),
                        )
                    ]
                )
        after = None
        if params.get("after"):
            after = whole_number(params["after"], minimum=1, maximum=MAX_NUMBER)
            if after is None:
                raise ValidationFailed([("after", _("the number of a version, as `next` gave it"))])
        return cls(limit, after, limit_given=text is not None)


@dataclass(frozen=True)
class HistoryPage:
    """Revisions newest first; ``next_cursor`` starts the following page (None on the last)."""

    items: list[Revision]
    next_cursor: int | None
    # The node's current state is the first item of the first page.
    first_page: bool

    def is_current(self, revision: Revision) -> bool:
        """Whether ``revision`` holds the node's current content."""
        return self.first_page and bool(self.items) and revision is self.items[0]


@dataclass(frozen=True)
class PruneReport:
    """What pruning removed (or would remove, on a dry run)."""

    revisions: int
    nodes: int


def no_version(node: Node, number: int) -> str:
    """The refusal of a version ``node`` does not have (translatable)."""
    return _("${path} has no version ${number}", mapping={"path": node.path, "number": number})


def check_comment(comment: str) -> str:
    """``comment`` stripped, refused (ValidationFailed on ``@comment``) when it cannot be stored."""
    if not isinstance(comment, str):
        raise ValidationFailed([("@comment", _("must be a string"))])
    comment = comment.strip()
    problem = text_refusal(comment, max_chars=MAX_COMMENT_LENGTH, single_line=True)
    if problem is not None:
        raise ValidationFailed(
            [("@comment", _("a comment ${problem}", mapping={"problem": problem}))]
        )
    return comment


class RevisionService:
    """Records, reads and prunes the revisions of nodes within one database session."""

    def __init__(self, dbsession: Session, types: TypeRegistry) -> None:
        self.dbsession = dbsession
        self.types = types

    # -- recording ---------------------------------------------------------

    def snapshot(self, node: Node) -> dict[str, Any]:
        """``node``'s content as a revision keeps it: its schema fields in JSON mode (not
        validated again: old data stays as it was) and a file's blob."""
        content_type = self.types.of(node)
        schema = content_type.schema
        values = {name: getattr(node, name) for name in schema.model_fields}
        fields = schema.model_construct(**values).model_dump(mode="json", warnings=False)
        if content_type.upload:
            fields.update(
                filename=node.filename,
                size=node.size,
                mime_type=node.mime_type,
                sha256=node.blob_sha256,
            )
        return fields

    def baseline(self, node: Node) -> Baseline:
        """``node`` as it is before a change (no query): what :meth:`record` keeps as revision 1
        of a node that has none."""
        return Baseline(self.snapshot(node), node.modified, node.modified_by_id)

    def record_first(self, node: Node, actor: Actor, comment: str = "") -> Revision:
        """Revision 1 of a node just created (or copied); no query until the next flush."""
        revision = self._revision(node, 1, self.snapshot(node), actor.user_id, actor.login)
        revision.comment = comment
        return revision

    def record(self, node: Node, actor: Actor, comment: str, before: Baseline) -> Revision:
        """The next revision of ``node``, which changed from ``before``, written at once.

        The caller has claimed the node's row (charter.content.services), so
        no other transaction numbers a revision of it meanwhile; the unique
        (node, number) key backs that up. A node that has no revision yet gets
        ``before`` as revision 1 first. Core statements on the session's
        connection (no ORM object to flush); the revision returned is not in
        the session.
        """
        connection = self.dbsession.connection()
        last = connection.execute(_LAST_NUMBER, {"node_id": node.id}).scalar()
        rows = []
        if last is None:
            rows.append(
                {"node_id": node.id}
                | self._values(node, 1, before.fields, before.author_id, None)
                | {"created": before.modified, "comment": BASELINE_COMMENT}
            )
            last = 1
        values = {"node_id": node.id}
        values |= self._values(node, last + 1, self.snapshot(node), actor.user_id, actor.login)
        values |= {"created": utcnow(), "comment": comment}
        rows.append(values)
        connection.execute(_INSERT_REVISION, rows)
        mark_written(self.dbsession)
        return Revision(node=node, **values)

    def _values(
        self,
        node: Node,
        number: int,
        fields: dict[str, Any],
        author_id: int | None,
        author_login: str | None,
    ) -> dict[str, Any]:
        """The columns of a revision of ``node`` but its node and time (``_revision``'s too)."""
        return {
            "number": number,
            "author_id": author_id,
            "author_login": author_login,
            "fields": fields,
            "blob_sha256": fields.get("sha256") if self.types.of(node).upload else None,
        }

    def _revision(
        self,
        node: Node,
        number: int,
        fields: dict[str, Any],
        author_id: int | None,
        author_login: str | None,
    ) -> Revision:
        values = self._values(node, number, fields, author_id, author_login)
        revision = Revision(node=node, **values)
        self.dbsession.add(revision)
        return revision

    # -- reading -----------------------------------------------------------

    def page(self, node: Node, page: HistoryPageRequest) -> HistoryPage:
        """A page of ``node``'s revisions, newest first, in one indexed query.

        The snapshots are left unloaded (a document's can be large), except
        for a file, whose snapshot is small and says what each version holds.
        """
        query = select(Revision).where(Revision.node_id == node.id)
        if not self.types.of(node).upload:
            query = query.options(defer(Revision.fields))
        if page.after is not None:
            query = query.where(Revision.number < page.after)
        rows = list(
            self.dbsession.scalars(query.order_by(Revision.number.desc()).limit(page.limit + 1))
        )
        if not rows and page.after is None:
            return HistoryPage([self._unrecorded(node)], None, first_page=True)
        if len(rows) > page.limit:
            return HistoryPage(rows[: page.limit], rows[page.limit - 1].number, page.after is None)
        return HistoryPage(rows, None, first_page=page.after is None)

    def get(self, node: Node, number: int) -> Revision:
        """Revision ``number`` of ``node``; NotFound when it has none of that number."""
        found = self.dbsession.scalar(
            select(Revision).where(Revision.node_id == node.id, Revision.number == number)
        )
        if found is not None:
            return found
        # Revision 1 is never pruned: without it the node has no revisions at all.
        if number == 1:
            return self._unrecorded(node)
        raise NotFound(no_version(node, number))

    def current_number(self, node: Node) -> int:
        """The number of ``node``'s newest revision, which holds its current content."""
        last = self.dbsession.scalar(
            select(func.max(Revision.number)).where(Revision.node_id == node.id)
        )
        return 1 if last is None else last

    def pair(self, node: Node, first: int, second: int) -> tuple[Revision, Revision]:
        """Revisions ``first`` and ``second`` of ``node`` (in one query); NotFound names a
        missing one."""
        rows = {
            revision.number: revision
            for revision in self.dbsession.scalars(
                select(Revision).where(
                    Revision.node_id == node.id, Revision.number.in_({first, second})
                )
            )
        }
        if not rows and 1 in (first, second):
            # Revision 1 is never pruned: without it the node has no revisions at all.
            rows[1] = self._unrecorded(node)
        for number in (first, second):
            if number not in rows:
                raise NotFound(no_version(node, number))
        return rows[first], rows[second]

    def compare(self, node: Node, first: int, second: int) -> Comparison:
        """Every field of revision ``first`` of ``node`` beside the same in ``second``."""
        old, new = self.pair(node, first, second)
        return compare(self.types.of(node), old, new)

    def restorable(self, node: Node, number: int) -> tuple[dict[str, Any], FileBlob | None]:
        """The fields (those the type's schema still has) and the blob of revision ``number``."""
        revision = self.get(node, number)
        content_type = self.types.of(node)
        fields = {
            name: value
            for name, value in revision.fields.items()
            if name in content_type.schema.model_fields
        }
        return fields, blob_of(content_type, revision)

    def _unrecorded(self, node: Node) -> Revision:
        """The current state of a node that has no revisions, as its (unsaved) version 1."""
        fields = self.snapshot(node)
        return Revision(
            node_id=node.id,
            number=1,
            created=node.modified,
            author_id=node.modified_by_id,
            author_login=None,
            comment=BASELINE_COMMENT,
            fields=fields,
            blob_sha256=fields.get("sha256") if self.types.of(node).upload else None,
        )

    # -- retention ---------------------------------------------------------

    def prune(self, keep: int, dry_run: bool = False) -> PruneReport:
        """Delete every node's revisions older than its newest ``keep``, except its first.

        One query ranks the revisions of every node (window functions); the
        doomed ones go by id, ``PRUNE_BATCH`` per statement.
        """
        if keep < 1:
            raise ValueError("keep at least the current revision")
        ranked = select(
            Revision.id,
            Revision.node_id,
            Revision.number,
            func.row_number()
            .over(partition_by=Revision.node_id, order_by=Revision.number.desc())
            .label("newer"),
            func.min(Revision.number).over(partition_by=Revision.node_id).label("first"),
        ).subquery()
        doomed = self.dbsession.execute(
            select(ranked.c.id, ranked.c.node_id).where(
                ranked.c.newer > keep, ranked.c.number > ranked.c.first
            )
        ).all()
        if not dry_run:
            ids = [row.id for row in doomed]
            for start in range(0, len(ids), PRUNE_BATCH):
                self.dbsession.execute(
                    delete(Revision)
                    .where(Revision.id.in_(ids[start : start + PRUNE_BATCH]))
                    .execution_options(synchronize_session=False)
                )
        return PruneReport(len(doomed), len({row.node_id for row in doomed}))


def blob_of(content_type: ContentType, revision: Revision) -> FileBlob | None:
    """The blob a file's revision refers to; None for other types."""
    if not content_type.upload:
        return None
    fields = revision.fields
    return FileBlob(fields["sha256"], fields["size"], fields["mime_type"], fields["filename"])
