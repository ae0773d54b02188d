"""The fields of the core types, one pydantic model each (forms, JSON API, JSON Schema)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

MAX_TITLE_LENGTH = 500
MAX_DESCRIPTION_LENGTH = 5000
# Far below MySQL's LONGTEXT; a document of more text belongs in a file.
MAX_BODY_LENGTH = 5_000_000


class NodeFields(BaseModel):
    """What every node has: a title and a description."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(
        description="Shown everywhere",
        json_schema_extra={"minLength": 1, "maxLength": MAX_TITLE_LENGTH},
    )
    description: str = Field(default="", max_length=MAX_DESCRIPTION_LENGTH)

    @field_validator("title")
    @classmethod
    def _title_present_and_short(cls, title: str) -> str:
        # Checked here rather than with min/max_length so the message reads
        # well beside a form field.
        if not title:
            raise PydanticCustomError("title_required", "a title is required")
        if len(title) > MAX_TITLE_LENGTH:
            raise PydanticCustomError(
                "title_too_long", f"a title has at most {MAX_TITLE_LENGTH} characters"
            )
        return title


class FolderFields(NodeFields):
    """A folder's fields."""


class FileFields(NodeFields):
    """A file's editable fields; its bytes, name and type come from the upload."""


class DocumentFields(NodeFields):
    """A document's fields: its body is Markdown."""

    body: str = Field(default="", max_length=MAX_BODY_LENGTH, description="Markdown")
