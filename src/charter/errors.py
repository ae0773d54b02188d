"""Domain errors raised by services; each interface maps them to its own form.

A service words its refusal with ``charter.i18n._`` (values in ``${name}`` placeholders):
``message`` keeps it translatable for the web pages, ``detail`` is the same in English with
the values filled in, for the API, the logs and the audit log.
"""

from __future__ import annotations

from charter.i18n import english


class CharterError(Exception):
    """Base class of the errors a service raises on purpose."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.detail = english(message)
        super().__init__(self.detail)


class NotFound(CharterError):
    """The thing asked for does not exist (or may not be seen)."""


class Forbidden(CharterError):
    """The caller may not do this."""


class Conflict(CharterError):
    """The request clashes with the current state (a taken name, a cycle)."""


class ChangedMeanwhile(Conflict):
    """Another transaction changed what this one loaded (moved or deleted a folder...).

    Marked retryable (charter.db.retry): the whole request runs again on the
    current state, and only if every attempt meets this is it a 409.
    """


class PreconditionFailed(CharterError):
    """The caller edited a version that is no longer current."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


class MalformedRequest(CharterError):
    """The request cannot be read: bad encoding, a malformed header or body (a 400)."""


class UnsupportedMediaType(CharterError):
    """The request body's type or charset is not one this endpoint reads (a 415)."""


class TooLarge(CharterError):
    """An upload is bigger than the configured limit (``limit`` bytes); nothing was kept."""

    def __init__(self, message: str, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class ValidationFailed(CharterError):
    """Input is invalid: ``messages`` lists the ``(field, message)`` pairs as the service
    wrote them (translatable, for the web pages), ``errors`` the same pairs in English with
    their values filled in (for the API, the logs and the CLI)."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.messages = list(errors)
        self.errors = [(field, english(message)) for field, message in self.messages]
        super().__init__("; ".join(f"{field}: {message}" for field, message in self.errors))
