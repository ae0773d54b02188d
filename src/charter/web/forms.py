"""Helpers the HTML form views share: errors beside fields, and refusing a form."""

from __future__ import annotations

from collections.abc import Iterable

from pyramid.request import Request

from charter.web.i18n import translate_errors


def errors_by_field(request: Request, errors: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """A service's ``(field, message)`` pairs grouped by field, to show beside each input,
    each message in the request's language."""
    grouped: dict[str, list[str]] = {}
    for field, message in translate_errors(request, errors):
        grouped.setdefault(field, []).append(message)
    return grouped


def refuse_form(request: Request) -> None:
    """Answer 400 and keep nothing this request changed, so the form can be shown again."""
    request.response.status_int = 400
    # A service may have changed some rows before it refused; none of it is kept.
    request.tm.doom()
