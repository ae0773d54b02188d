"""The fields of the core types, one pydantic model each (forms, JSON API, JSON Schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from charter.i18n import _
from charter.input.messages import refusal
from charter.input.text import (
    UNICODE_WHITESPACE,
    BoundedText,
    single_line_pattern,
    text_refusal,
)

MAX_TITLE_LENGTH = 500
MAX_DESCRIPTION_LENGTH = 5000
# A document of more text belongs in a file: rendering costs up to ~30 µs a
# character of dense markup, so a save stays under 15 s. The body and its
# HTML (which escaping can make several times larger, see Document.set_body)
# are written in one statement, which MariaDB's default 16 MiB packet holds.
MAX_BODY_LENGTH = 500_000
MAX_BODY_BYTES = 2 * 1024 * 1024


class NodeFields(BaseModel):
    """What every node has: a title and a description."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(
        description="Shown everywhere",
        # One line of 1 to 500 characters once stripped (the validator below), as a pattern:
        # a maxLength would count the whitespace that stripping removes.
        json_schema_extra={
            "pattern": single_line_pattern(
                MAX_TITLE_LENGTH, blank=False, whitespace=UNICODE_WHITESPACE
            )
        },
    )
    description: BoundedText(MAX_DESCRIPTION_LENGTH) = ""  # type: ignore[valid-type]

    @field_validator("title")
    @classmethod
    def _title_present_and_short(cls, title: str) -> str:
        # Checked here rather than with min/max_length so the message reads
        # well beside a form field.
        if not title:
            raise refusal("title_required", _("a title is required"))
        problem = text_refusal(title, max_chars=MAX_TITLE_LENGTH, single_line=True)
        if problem is not None:
            raise refusal("title_limit", _("a title ${problem}", mapping={"problem": problem}))
        return title


class FolderFields(NodeFields):
    """A folder's fields."""


class FileFields(NodeFields):
    """A file's editable fields; its bytes, name and type come from the upload."""


class DocumentFields(NodeFields):
    """A document's fields: its body is Markdown."""

    body: BoundedText(MAX_BODY_LENGTH, max_bytes=MAX_BODY_BYTES) = Field(  # type: ignore[valid-type]
        default="", description="Markdown"
    )
