"""Structured logs: structlog over the standard library's logging, configured from the ini.

The ini's ``[formatter_*]`` sections choose the rendering: ``class =
charter.ops.logging.JSONFormatter`` writes one JSON object a line (production),
``charter.ops.logging.ConsoleFormatter`` readable, aligned lines (development).
Both handle every record, whether it comes from a structlog logger or from a
library using ``logging`` (SQLAlchemy, waitress, gunicorn), add the request's
bound context (its ``request_id``) and remove secrets before anything is
written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import Any

import structlog

REDACTED = "[redacted]"

# Keys whose values never reach a log line, compared case-insensitively as substrings.
SECRET_KEY = re.compile(
    r"passw|secret|token|authori[sz]ation|cookie|api[-_]?key|credential|session[-_]?id"
    r"|csrf",
    re.IGNORECASE,
)
# Secrets inside free text: credentials in URLs, Authorization values,
# key=value pairs (query strings, form bodies, ``repr``s of settings).
SECRET_TEXT = (
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{4,}"), r"\1 " + REDACTED),
    (re.compile(r"(?i)(\w+://[^\s:/@]*:)[^\s@/]+@"), r"\1" + REDACTED + "@"),
    (
        re.compile(
            r"(?i)\b([\w.-]*(?:passw|secret|token|api[-_]?key|session[-_]?id|csrf)[\w.-]*"
            r"[\"']?\s*[=:]\s*[\"']?)[^\s&,;\"'}]+"
        ),
        r"\1" + REDACTED,
    ),
    (re.compile(r"(?i)\b((?:set-)?cookie[\"']?\s*[=:]\s*[\"']?)[^\"'\n]+"), r"\1" + REDACTED),
)


# Every pattern above needs one of these words (or a URL's "://"): one search
# rules most texts out before the four substitutions run.
_MAYBE_SECRET = re.compile(
    r"bearer|basic|token|passw|secret|api[-_]?key|session[-_]?id|csrf|cookie|://",
    re.IGNORECASE,
)


def scrub_text(text: str) -> str:
    """``text`` with anything that looks like a credential replaced by ``[redacted]``."""
    if not _MAYBE_SECRET.search(text):
        return text
    for pattern, replacement in SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


@lru_cache(maxsize=4096)
def secret_key(key: str) -> bool:
    """Whether a field named ``key`` holds a secret (its value is never logged)."""
    return SECRET_KEY.search(key) is not None


def _scrub(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if depth > 4:
        return value
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and secret_key(key) else _scrub(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(item, depth + 1) for item in value]
    return value


# Fields Charter itself fills with values that cannot hold a secret.
_PLAIN_FIELDS = frozenset(
    {"timestamp", "level", "logger", "request_id", "method", "status", "duration_ms", "size"}
    | {"user_id", "client", "pid"}
)


def redact_secrets(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor removing passwords, tokens, cookies and Authorization values."""
    for key, value in list(event_dict.items()):
        if key in _PLAIN_FIELDS or key.startswith("_"):
            continue
        if secret_key(key):
            event_dict[key] = REDACTED
        elif isinstance(value, str | Mapping | list | tuple):
            event_dict[key] = _scrub(value)
    return event_dict


def _exception_text(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # Tracebacks show local values only as reprs in their message lines; scrub those too.
    exception = event_dict.get("exception")
    if isinstance(exception, str):
        event_dict["exception"] = scrub_text(exception)
    return event_dict


# Run on every record before its formatter renders it (structlog's and the stdlib's).
SHARED_PROCESSORS: tuple[Any, ...] = (
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
)


def configure_structlog() -> None:
    """Route structlog's loggers through ``logging`` (idempotent)."""
    if structlog.is_configured():
        return
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


class _Formatter(structlog.stdlib.ProcessorFormatter):
    """A ``logging.Formatter`` that ``fileConfig`` can build (``class =`` in the ini)."""

    def __init__(
        self,
        fmt: str | None = None,
        datefmt: str | None = None,
        style: str = "%",
        validate: bool = True,
        **kwargs: Any,
    ) -> None:
        configure_structlog()
        super().__init__(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *self.render_processors(),
            ],
            # ExtraAdder: the fields of `logger.info("...", extra={...})`, as the
            # access log writes them (cheaper than a structlog logger's chain).
            foreign_pre_chain=[*SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
        )

    def render_processors(self) -> list[Any]:
        raise NotImplementedError


class JSONFormatter(_Formatter):
    """One JSON object a line: ``timestamp``, ``level``, ``logger``, ``event`` and the rest."""

    def render_processors(self) -> list[Any]:
        return [
            structlog.processors.format_exc_info,
            _exception_text,
            redact_secrets,
            structlog.processors.EventRenamer("event"),
            structlog.processors.JSONRenderer(sort_keys=False),
        ]


class ConsoleFormatter(_Formatter):
    """Readable lines for a terminal: time, level, event, then ``key=value`` pairs."""

    def render_processors(self) -> list[Any]:
        return [
            redact_secrets,
            # Plain tracebacks: rich's would print every local variable, secrets included.
            structlog.dev.ConsoleRenderer(
                colors=False, sort_keys=False, exception_formatter=structlog.dev.plain_traceback
            ),
        ]


def get_logger(name: str) -> Any:
    """A structlog logger writing through the ``logging`` logger ``name``."""
    configure_structlog()
    return structlog.stdlib.get_logger(name)


def stdlib_logger(name: str) -> logging.Logger:
    """The ``logging`` logger under a structlog logger of the same name."""
    return logging.getLogger(name)
