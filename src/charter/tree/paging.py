"""Reading a page request (``limit`` and ``after``) from query parameters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from charter.errors import ValidationFailed
from charter.i18n import _
from charter.tree.services import decode_cursor


@dataclass(frozen=True)
class PageRequest:
    """How many children to return and after which cursor."""

    limit: int
    after: str | None
    limit_given: bool = False

    def next_query(self, cursor: str) -> dict[str, str]:
        """Query parameters of the page after ``cursor``, keeping a limit the client chose."""
        query = {"after": cursor}
        if self.limit_given:
            query["limit"] = str(self.limit)
        return query

    @classmethod
    def from_params(cls, params: Mapping[str, str], settings: Mapping[str, Any]) -> PageRequest:
        """Validate ``limit`` (1 to the configured maximum) and ``after`` (a cursor)."""
        maximum = settings["charter.api.max_page_size"]
        text = params.get("limit")
        limit = settings["charter.api.default_page_size"]
        if text is not None:
            # Short before int(): Python refuses to convert thousands of digits.
            if (
                not (text.isascii() and text.isdigit() and len(text) <= 6)
                or not 1 <= int(text) <= maximum
            ):
                raise ValidationFailed(
                    [
                        (
                            "limit",
                            _("a whole number from 1 to ${maximum}", mapping={"maximum": maximum}),
                        )
                    ]
                )
            limit = int(text)
        after = params.get("after") or None
        if after is not None:
            decode_cursor(after)
        return cls(limit, after, limit_given=text is not None)
