"""What a node's name (its URL segment) may be."""

from __future__ import annotations

import re

from anyascii import anyascii

from charter.errors import ValidationFailed
from charter.i18n import _, english

MAX_NAME_LENGTH = 100
# Levels below the root; also bounds a path's length and the lineage query.
MAX_DEPTH = 64
NAME_CHARACTERS = re.compile(r"^[A-Za-z0-9._~-]+$")
# First path segments that URL dispatch serves before traversal; a node of
# that name in the root folder could never be reached.
RESERVED_ROOT_NAMES = frozenset(
    {
        "account",
        "admin",
        "api",
        "dav",
        "favicon.ico",
        "healthz",
        "login",
        "logout",
        "metrics",
        "readyz",
        "static",
        "trash",
    }
)


def name_problem(name: str, *, in_root: bool = False) -> str | None:
    """Why ``name`` cannot name a node (in English), or None when it can."""
    problem = name_refusal(name, in_root=in_root)
    return None if problem is None else english(problem)


def name_refusal(name: str, *, in_root: bool = False) -> str | None:
    """Why ``name`` cannot name a node, translatable (made with ``_``), or None when it can."""
    if not name:
        return _("a name cannot be empty")
    if len(name) > MAX_NAME_LENGTH:
        return _("a name has at most ${count} characters", mapping={"count": MAX_NAME_LENGTH})
    if name[0] in "@_":
        return _("names starting with '@' or '_' are reserved for views")
    if name in {".", ".."}:
        return _("'.' and '..' are not names")
    if not NAME_CHARACTERS.match(name):
        bad = sorted({c for c in name if not NAME_CHARACTERS.match(c)})
        shown = " ".join(repr(c) for c in bad)
        return _(
            "a name may hold only letters, digits, '.', '_', '~' and '-', not ${characters}",
            mapping={"characters": shown},
        )
    if in_root and name in RESERVED_ROOT_NAMES:
        return _("${name} is reserved at the top of the site", mapping={"name": repr(name)})
    return None


def check_name(name: str, *, in_root: bool = False) -> None:
    """Raise ValidationFailed naming the ``name`` field when ``name`` is not valid."""
    problem = name_refusal(name, in_root=in_root)
    if problem:
        raise ValidationFailed([("name", problem)])


def suggest_name(title: str) -> str:
    """A valid name derived from a title or file name.

    "Annual Report 2026" -> "annual-report-2026"; "Q3 Figures.xlsx" ->
    "q3-figures.xlsx" (dots stay, so a file keeps its extension).

    Letters outside ASCII are transliterated (anyascii, one spelling for every
    language) rather than dropped, since names are ASCII so that addresses stay
    readable wherever they are pasted: "Über Ünïcödé" -> "uber-unicode",
    "Straße" -> "strasse", "日本語" -> "ribenyu", "Добрый день" -> "dobryy-den".
    """
    slug = re.sub(r"[^a-z0-9.]+", "-", anyascii(title).lower())
    slug = re.sub(r"-*\.-*", ".", slug).strip("-.")[:MAX_NAME_LENGTH].strip("-.")
    return slug or "item"
