"""Reading a JSON request body: its type, charset, size, syntax and every string in it."""

from __future__ import annotations

import json
import math
from typing import Any

from pyramid.request import Request

from charter.blobs import format_size
from charter.errors import MalformedRequest, TooLarge, UnsupportedMediaType, ValidationFailed
from charter.i18n import _

# Deeper than any body Charter reads; a deeper one is an attack on the parsers.
MAX_DEPTH = 32
# Entries of one array or object: more than any list a client sends (names to
# order, grants, members), and below what one statement may bind (PostgreSQL: 65,535).
MAX_ITEMS = 10_000
UTF8_NAMES = frozenset({"utf-8", "utf8"})


class DuplicateKey(ValueError):
    """A JSON object names the same key twice (which value was meant is unknowable)."""


def is_json_type(content_type: str) -> bool:
    """Whether a Content-Type (without parameters) is JSON: application/json or ``+json``."""
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def check_charset(request: Request) -> None:
    """Refuse (415) a body whose declared charset is not UTF-8, the one charset JSON and
    Charter's forms are read in."""
    charset = request.headers.get("Content-Type", "").lower().partition("charset=")[2]
    charset = charset.split(";", 1)[0].strip().strip('"')
    if charset and charset not in UTF8_NAMES:
        raise UnsupportedMediaType(
            _(
                "The body must be UTF-8; charset ${charset} is not read here.",
                mapping={"charset": repr(charset[:40])},
            )
        )


def check_body_size(request: Request) -> None:
    """Refuse (413) a JSON or form body larger than ``charter.input.max_body_size``."""
    limit = request.registry.settings["charter.input.max_body_size"]
    if request.content_length is not None and request.content_length > limit:
        raise TooLarge(
            _(
                "the request body is larger than the limit of ${limit}",
                mapping={"limit": format_size(limit)},
            ),
            limit,
        )


def json_object(request: Request) -> dict[str, Any]:
    """The request's body, which must be a JSON object sent as ``application/json``.

    415 for another Content-Type or a charset other than UTF-8; 413 over the
    size limit; 400 for bytes that are not UTF-8, syntax errors, repeated
    keys, non-finite numbers, nesting deeper than ``MAX_DEPTH``, arrays or
    objects of more than ``MAX_ITEMS`` entries, and strings holding NUL or
    lone surrogates (named by their JSON Pointer).
    """
    if not is_json_type(request.content_type):
        raise UnsupportedMediaType(
            "Send the body as a JSON object with the header Content-Type: application/json."
        )
    check_charset(request)
    check_body_size(request)
    try:
        text = request.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedRequest("The request body is not valid UTF-8.") from None
    try:
        body = json.loads(
            text,
            object_pairs_hook=_object_without_repeats,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
        )
    except DuplicateKey as exc:
        raise MalformedRequest(f"The request body is not valid JSON: {exc}.") from None
    except RecursionError:
        raise MalformedRequest("The request body is nested too deeply.") from None
    except ValueError:
        raise MalformedRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise MalformedRequest("The request body must be a JSON object.")
    problems = string_problems(body)
    if problems:
        raise ValidationFailed(problems)
    return body


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for key, value in pairs:
        if key in body:
            raise DuplicateKey(f"the key {key[:100]!r} appears twice in one object")
        body[key] = value
    return body


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large a number")
    return value


def string_problems(body: Any) -> list[tuple[str, str]]:
    """``(pointer, problem)`` for each key or string in ``body`` that no database can store,
    for nesting deeper than ``MAX_DEPTH`` and for arrays or objects over ``MAX_ITEMS``.

    Walks without recursion, so a deep body costs no stack.
    """
    problems: list[tuple[str, str]] = []
    pending: list[tuple[str, Any, int]] = [("", body, 0)]
    while pending:
        pointer, value, depth = pending.pop()
        if depth > MAX_DEPTH:
            problems.append((pointer, f"nested deeper than {MAX_DEPTH} levels"))
            continue
        if isinstance(value, dict | list) and len(value) > MAX_ITEMS:
            problems.append((pointer, f"has more than {MAX_ITEMS:,} entries"))
            continue
        if isinstance(value, dict):
            for key, item in value.items():
                child = join_pointer(pointer, key)
                problem = _unstorable(key)
                if problem:
                    problems.append((child, f"the key {problem}"))
                pending.append((child, item, depth + 1))
        elif isinstance(value, list):
            pending.extend(
                (join_pointer(pointer, i), item, depth + 1) for i, item in enumerate(value)
            )
        elif isinstance(value, str):
            problem = _unstorable(value)
            if problem:
                problems.append((pointer, problem))
    return sorted(problems)


def _unstorable(text: str) -> str | None:
    if "\x00" in text:
        return "holds the NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate, which is not a character"
    return None


def join_pointer(pointer: str, segment: str | int) -> str:
    """``pointer`` extended by one RFC 6901 segment (pointers here lack the leading "/")."""
    if isinstance(segment, str):
        # A key that cannot be encoded is shown by its escape, so the problem itself can be.
        segment = segment.encode("utf-8", "backslashreplace").decode("utf-8")
        segment = segment.replace("~", "~0").replace("/", "~1")
    return f"{pointer}/{segment}" if pointer else str(segment)
