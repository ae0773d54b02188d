"""The core content types."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from charter.content.markdown import HtmlTooLarge, render_markdown
from charter.db.meta import LONG_TEXT, MYSQL_TABLE_OPTIONS
from charter.errors import ValidationFailed
from charter.i18n import Size, _
from charter.tree.models import Node

# With a body of at most 2 MiB, one row stays well inside MariaDB's 16 MiB packet.
MAX_BODY_HTML_BYTES = 8 * 1024 * 1024


class Folder(Node):
    """A node that holds other nodes in an order; it has no table of its own."""

    __mapper_args__ = {"polymorphic_identity": "Folder"}
    is_container: ClassVar[bool] = True


class Document(Node):
    """A page of text written in Markdown; the safe HTML is kept beside it."""

    __tablename__ = "documents"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)
    __mapper_args__ = {"polymorphic_identity": "Document"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(LONG_TEXT)
    body_html: Mapped[str] = mapped_column(LONG_TEXT)

    def content_fields(self) -> dict[str, Any]:
        """The Markdown source and its rendered HTML."""
        return {"body": self.body, "body_html": self.body_html}

    def apply_fields(self, fields: dict[str, Any]) -> None:
        """Set validated fields; the body's HTML is rendered along with it."""
        fields = dict(fields)
        if "body" in fields:
            self.set_body(fields.pop("body"))
        super().apply_fields(fields)

    def set_body(self, markdown: str) -> None:
        """Store ``markdown`` and the sanitised HTML rendered from it.

        ValidationFailed (on ``body``) when the HTML would be over
        ``MAX_BODY_HTML_BYTES``: escaping makes ``<`` four bytes and a
        reference link repeats its URL at every use, so a body within its
        own limit can still ask for far more HTML.
        """
        try:
            html = render_markdown(markdown, max_html=MAX_BODY_HTML_BYTES)
        except HtmlTooLarge:
            html = None
        if html is None or len(html.encode("utf-8")) > MAX_BODY_HTML_BYTES:
            raise ValidationFailed(
                [
                    (
                        "body",
                        _(
                            "renders to more than ${limit} of HTML; split it into several "
                            "documents",
                            mapping={"limit": Size(MAX_BODY_HTML_BYTES)},
                        ),
                    )
                ]
            )
        self.body = markdown
        self.body_html = html


class File(Node):
    """Uploaded bytes (kept in the blob store, by SHA-256) with their name and sniffed type."""

    __tablename__ = "files"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)
    __mapper_args__ = {"polymorphic_identity": "File"}

    id: Mapped[int] = mapped_column(ForeignKey("nodes.id", ondelete="CASCADE"), primary_key=True)
    blob_sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    mime_type: Mapped[str] = mapped_column(String(255))
    filename: Mapped[str] = mapped_column(String(255))

    def content_fields(self) -> dict[str, Any]:
        """What a client needs to know before downloading the bytes."""
        return {
            "filename": self.filename,
            "size": self.size,
            "mime_type": self.mime_type,
            "sha256": self.blob_sha256,
        }
