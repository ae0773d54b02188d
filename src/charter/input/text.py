"""Limits every stored string obeys: characters, UTF-8 bytes and the characters allowed.

A column's size is counted in characters by MySQL's VARCHAR and in bytes by
its TEXT types and its packet limit, so a long text is bounded both ways,
and before the database sees it. NUL cannot be stored in PostgreSQL text and
a lone surrogate cannot be encoded at all; neither is accepted anywhere.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from charter.i18n import Count, Size, _, english
from charter.input.messages import refusal

# C0 controls and DEL: a single-line value (a title, a name) holds none of them.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def text_problem(
    value: str,
    *,
    max_chars: int,
    max_bytes: int | None = None,
    single_line: bool = False,
) -> str | None:
    """Why ``value`` cannot be stored (in English), or None when it can."""
    problem = text_refusal(value, max_chars=max_chars, max_bytes=max_bytes, single_line=single_line)
    return None if problem is None else english(problem)


def text_refusal(
    value: str,
    *,
    max_chars: int,
    max_bytes: int | None = None,
    single_line: bool = False,
) -> str | None:
    """Why ``value`` cannot be stored, translatable (made with ``_``), or None when it can."""
    if len(value) > max_chars:
        return _("has at most ${count} characters", mapping={"count": Count(max_chars)})
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return _("holds a lone surrogate, which is not a character")
    if max_bytes is not None and size > max_bytes:
        return _(
            "has at most ${limit} in UTF-8 (this is ${size} bytes)",
            mapping={"limit": Size(max_bytes), "size": Count(size)},
        )
    if single_line:
        if _CONTROL_CHARACTERS.search(value):
            return _("must be one line, without tabs or control characters")
    elif "\x00" in value:
        return _("may not hold the NUL character")
    return None


def text_errors(field: str, value: str, **limits: Any) -> list[tuple[str, str]]:
    """``[(field, problem)]`` when ``value`` breaks ``limits`` (see :func:`text_refusal`)."""
    problem = text_refusal(value, **limits)
    return [] if problem is None else [(field, problem)]


def BoundedText(  # noqa: N802 - used as a type in schemas, like pydantic's constr
    max_chars: int, *, max_bytes: int | None = None, single_line: bool = False
) -> Any:
    """A pydantic string type with Charter's text limits, for content type schemas.

    ``Annotated[str, ...]``: its JSON Schema says ``maxLength``; a value over
    a limit fails validation with a message naming the limit.
    """

    def check(value: str) -> str:
        problem = text_refusal(
            value, max_chars=max_chars, max_bytes=max_bytes, single_line=single_line
        )
        if problem is not None:
            raise refusal("text_limit", problem)
        return value

    # The characters allowed, for clients and fuzzers (the OpenAPI document shows it).
    allowed = "^[^\\x00-\\x1f\\x7f]*$" if single_line else "^[^\\x00]*$"
    schema = {"maxLength": max_chars, "pattern": allowed}
    return Annotated[str, AfterValidator(check), Field(json_schema_extra=schema)]


def single_line_pattern(
    max_chars: int, *, blank: bool = True, whitespace: str | None = None
) -> str:
    """The JSON Schema pattern of a single-line text of at most ``max_chars`` characters once
    stripped of the ``whitespace`` around it (str.strip's by default; also empty when
    ``blank``)."""
    whitespace = WHITESPACE if whitespace is None else whitespace
    visible, line = f"[^{whitespace}\\x00-\\x1f\\x7f]", r"[^\x00-\x1f\x7f]"
    text = f"{visible}({line}{{0,{max_chars - 2}}}{visible})?"
    space = f"[{whitespace}]*"
    return f"^{space}({text})?{space}$" if blank else f"^{space}{text}{space}$"


# What str.strip() removes (str.isspace), spelt out: regular expression engines differ on \s.
WHITESPACE = (
    "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029"
    "\\u202f\\u205f\\u3000"
)
# What pydantic's str_strip_whitespace removes (Unicode White_Space: not \x1c-\x1f).
UNICODE_WHITESPACE = (
    "\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
_UNICODE_BLANK = re.compile(f"[{UNICODE_WHITESPACE}]*")


def is_blank(value: str) -> bool:
    """Whether ``value`` is empty once stripped as pydantic strips a title (Unicode
    White_Space only: a control character such as \\x1c is not blank but invalid)."""
    return _UNICODE_BLANK.fullmatch(value) is not None
