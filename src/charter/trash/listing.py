"""What a trash listing asks for: filters, a page size and a cursor, read from query parameters."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from charter.content.fields import moment_filter, storable_utc
from charter.errors import ValidationFailed
from charter.i18n import _
from charter.input.numbers import whole_number
from charter.tree.names import MAX_DEPTH, MAX_NAME_LENGTH
from charter.tree.paths import ROOT_PATH

# The longest path a node can have: every level a name of the longest kind.
MAX_PATH_LENGTH = MAX_DEPTH * (MAX_NAME_LENGTH + 1)
MAX_TYPE_LENGTH = 64
MAX_LOGIN_LENGTH = 100
MAX_ID = 2**63 - 1
# Query parameters a listing reads; paging links keep the filters.
FILTER_PARAMS = ("type", "deleted_by", "since", "until", "path")


@dataclass(frozen=True)
class TrashQuery:
    """Which trash entries to list (every filter optional), how many, and after which one."""

    limit: int
    after: tuple[dt.datetime, int] | None = None
    type: str | None = None
    deleted_by: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    path: str | None = None
    limit_given: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, str], settings: Mapping[str, Any]) -> TrashQuery:
        """Read ``type``, ``deleted_by``, ``since``, ``until``, ``path``, ``limit`` and ``after``;
        ValidationFailed naming each parameter that is wrong."""
        problems: list[tuple[str, str]] = []

        def text(name: str, maximum: int) -> str | None:
            value = (params.get(name) or "").strip()
            if len(value) > maximum:
                problems.append(
                    (name, _("at most ${count} characters", mapping={"count": maximum}))
                )
                return None
            return value or None

        maximum = settings["charter.api.max_page_size"]
        limit = settings["charter.api.default_page_size"]
        limit_text = params.get("limit")
        if limit_text is not None:
            parsed = whole_number(limit_text, minimum=1, maximum=maximum)
            if parsed is None:
                problems.append(
                    (
                        "limit",
                        _("a whole number from 1 to ${maximum}", mapping={"maximum": maximum}),
                    )
                )
            else:
                limit = parsed
        after = None
        if params.get("after"):
            try:
                after = decode_cursor(params["after"])
            except ValidationFailed as failure:
                problems.extend(failure.messages)
        since = moment_filter(params.get("since"), "since", end_of_day=False, problems=problems)
        until = moment_filter(params.get("until"), "until", end_of_day=True, problems=problems)
        path = text("path", MAX_PATH_LENGTH)
        if path is not None:
            path = "/" + path.strip("/") if path.strip("/") else ROOT_PATH
        query = cls(
            limit=limit,
            after=after,
            type=text("type", MAX_TYPE_LENGTH),
            deleted_by=text("deleted_by", MAX_LOGIN_LENGTH),
            since=since,
            until=until,
            path=path,
            limit_given=limit_text is not None,
        )
        if problems:
            raise ValidationFailed(problems)
        return query

    def filters(self) -> dict[str, str]:
        """The filters as query parameters (for paging links and the filter form)."""
        shown = {
            "type": self.type,
            "deleted_by": self.deleted_by,
            "since": _shown_moment(self.since),
            "until": _shown_moment(self.until),
            "path": self.path,
        }
        return {name: value for name, value in shown.items() if value}

    def next_query(self, cursor: str) -> dict[str, str]:
        """Query parameters of the page after ``cursor``, keeping the filters and a chosen limit."""
        query = {**self.filters(), "after": cursor}
        if self.limit_given:
            query["limit"] = str(self.limit)
        return query

    def first_page(self) -> TrashQuery:
        """The same query from its first page."""
        return replace(self, after=None)


def _shown_moment(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def encode_cursor(deleted_at: dt.datetime, entry_id: int) -> str:
    """An opaque cursor that starts the next page after the entry (``deleted_at``, ``entry_id``)."""
    micros = (deleted_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
    raw = json.dumps([micros, entry_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The (deleted_at, id) a cursor stands for; ValidationFailed when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        micros, entry_id = json.loads(raw)
        if isinstance(micros, int) and isinstance(entry_id, int) and 0 < entry_id <= MAX_ID:
            moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)
            return storable_utc(moment), entry_id
    except (binascii.Error, ValueError, TypeError, RecursionError, OverflowError):
        pass
    raise ValidationFailed([("after", _("not a cursor this server handed out"))])
