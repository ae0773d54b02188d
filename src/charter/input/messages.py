"""Pydantic's validation errors in Charter's own words, translatable: each error type a
schema can raise has a message here whose English is pydantic's, so the API reads as it
always did and a German page shows German beside the field.

Charter's own validators raise :func:`refusal`, which carries their translatable message
through pydantic unchanged.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails, PydanticCustomError

from charter.i18n import _, english

# The context key under which a refusal carries its message through pydantic.
_MESSAGE = "charter_message"


def refusal(error_type: str, message: str) -> PydanticCustomError:
    """A pydantic error of ``error_type`` whose message is ``message`` (made with ``_``):
    pydantic's own text is its English, :func:`validation_message` gives it back whole."""
    return PydanticCustomError(error_type, english(message), {_MESSAGE: message})


def _counted(one: str, many: str, key: str) -> Any:
    """A message that reads ``one`` when the context's ``key`` is 1, else ``many``."""

    def build(ctx: dict[str, Any]) -> str:
        count = ctx.get(key)
        return _(one if count == 1 else many, mapping={key: count})

    return build


def _plain(message: str, *keys: str) -> Any:
    def build(ctx: dict[str, Any]) -> str:
        return _(message, mapping={key: ctx.get(key) for key in keys}) if keys else _(message)

    return build


# Pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/), each
# with the message that says it, its ``ctx`` values in the placeholders.
_MESSAGES: dict[str, Any] = {
    "missing": _plain(_("Field required")),
    "extra_forbidden": _plain(_("Extra inputs are not permitted")),
    "string_type": _plain(_("Input should be a valid string")),
    "string_too_short": _counted(
        _("String should have at least ${min_length} character"),
        _("String should have at least ${min_length} characters"),
        "min_length",
    ),
    "string_too_long": _counted(
        _("String should have at most ${max_length} character"),
        _("String should have at most ${max_length} characters"),
        "max_length",
    ),
    "string_pattern_mismatch": _plain(_("String should match pattern '${pattern}'"), "pattern"),
    "int_type": _plain(_("Input should be a valid integer")),
    "int_parsing": _plain(
        _("Input should be a valid integer, unable to parse string as an integer")
    ),
    "int_from_float": _plain(
        _("Input should be a valid integer, got a number with a fractional part")
    ),
    "float_type": _plain(_("Input should be a valid number")),
    "float_parsing": _plain(
        _("Input should be a valid number, unable to parse string as a number")
    ),
    "bool_type": _plain(_("Input should be a valid boolean")),
    "bool_parsing": _plain(_("Input should be a valid boolean, unable to interpret input")),
    "greater_than": _plain(_("Input should be greater than ${gt}"), "gt"),
    "greater_than_equal": _plain(_("Input should be greater than or equal to ${ge}"), "ge"),
    "less_than": _plain(_("Input should be less than ${lt}"), "lt"),
    "less_than_equal": _plain(_("Input should be less than or equal to ${le}"), "le"),
    "datetime_type": _plain(_("Input should be a valid datetime")),
    "datetime_parsing": _plain(_("Input should be a valid datetime, ${error}"), "error"),
    "datetime_from_date_parsing": _plain(
        _("Input should be a valid datetime or date, ${error}"), "error"
    ),
    "timezone_aware": _plain(_("Input should have timezone info")),
    "date_type": _plain(_("Input should be a valid date")),
    "date_parsing": _plain(
        _("Input should be a valid date in the format YYYY-MM-DD, ${error}"), "error"
    ),
    "date_from_datetime_parsing": _plain(
        _("Input should be a valid date or datetime, ${error}"), "error"
    ),
    "literal_error": _plain(_("Input should be ${expected}"), "expected"),
    "enum": _plain(_("Input should be ${expected}"), "expected"),
    "list_type": _plain(_("Input should be a valid list")),
    "dict_type": _plain(_("Input should be a valid dictionary")),
    "too_short": _plain(
        _("List should have at least ${min_length} items after validation, not ${actual_length}"),
        "min_length",
        "actual_length",
    ),
    "too_long": _plain(
        _("List should have at most ${max_length} items after validation, not ${actual_length}"),
        "max_length",
        "actual_length",
    ),
}


def validation_message(error: ErrorDetails) -> str:
    """The translatable message of one of pydantic's errors: a Charter validator's own, or
    the one this module gives its type; pydantic's English text for a type it does not
    know."""
    ctx = error.get("ctx") or {}
    own = ctx.get(_MESSAGE)
    if own is not None:
        return own
    build = _MESSAGES.get(error["type"])
    if build is None:
        return error["msg"]
    message = build(ctx)
    # Pydantic's own text stays the English: a type whose wording this module does not match
    # (a newer pydantic, a context it words otherwise) keeps what pydantic said.
    return message if english(message) == error["msg"] else error["msg"]
