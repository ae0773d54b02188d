"""The query language, parsed once into a small tree that each backend compiles.

Syntax (docs/search.md)::

    budget report          both words (in any order, anywhere)
    "quarterly budget"     the exact phrase
    -draft  -"old plan"    without this word or phrase
    budg*                  words starting with "budg" (two characters at least)
    invoice OR receipt     either; OR binds tighter than the space between words

Words are folded like the indexed text (charter.search.text): case and
accents do not matter. A word that folds into several (``Q3-report``,
``v1.2``) is looked for as a phrase of them. Anything else is a
``QuerySyntaxError`` (a ValidationFailed on ``q``, so a 400), never a
database error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from charter.errors import ValidationFailed
from charter.i18n import _
from charter.search.text import encode, prefix_alternatives, words

MAX_QUERY_LENGTH = 500
MAX_ATOMS = 16
MIN_PREFIX = 2


class QuerySyntaxError(ValidationFailed):
    """A search query that cannot be read; the message says what to change."""

    def __init__(self, message: str) -> None:
        super().__init__([("q", message)])


@dataclass(frozen=True)
class Phrase:
    """Encoded terms that must follow each other (one term: a plain word)."""

    terms: tuple[str, ...]


@dataclass(frozen=True)
class Prefix:
    """Terms starting with one of ``prefixes``, or equal to one of ``exact``."""

    prefixes: tuple[str, ...]
    exact: tuple[str, ...]
    # The folded prefix, for highlighting.
    folded: str


Atom = Phrase | Prefix


@dataclass(frozen=True)
class Query:
    """All of ``required`` (each an OR of atoms) and none of ``excluded``."""

    required: tuple[tuple[Atom, ...], ...]
    excluded: tuple[Atom, ...]
    text: str

    def highlight_words(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """Folded words and prefixes of the query's positive atoms, to mark in snippets."""
        exact: set[str] = set()
        prefixes: list[str] = []
        for group in self.required:
            for atom in group:
                if isinstance(atom, Prefix):
                    prefixes.append(atom.folded)
                else:
                    exact.update(_decode(term) for term in atom.terms)
        return frozenset(exact), tuple(prefixes)


def _decode(term: str) -> str:
    if term.startswith("zq0"):
        return term[3:]
    if term.startswith("zq") and len(term) > 2 and term[2].isdigit():
        return term[3:]
    return term


# A token: an optional minus, then a quoted phrase (maybe unterminated) or a run of non-spaces.
_TOKEN = re.compile(r'\s*(-?)(?:"([^"]*)("?)|([^\s"]+))')


def parse(text: str) -> Query:
    """The query ``text`` as a tree; QuerySyntaxError says what is wrong with it."""
    if not isinstance(text, str) or not text.strip():
        raise QuerySyntaxError(_("type a word to search for"))
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            _("a search is at most ${count} characters", mapping={"count": MAX_QUERY_LENGTH})
        )
    clauses: list[tuple[bool, Atom]] = []  # (negated, atom), "OR" as a marker below
    items: list[object] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None:  # pragma: no cover - the pattern matches any non-space
            raise QuerySyntaxError(_("this search cannot be read"))
        position = match.end()
        minus, phrase, closing, bare = match.groups()
        if phrase is not None:
            if not closing:
                raise QuerySyntaxError(_('a phrase is missing its closing quote (")'))
            atom = _phrase(phrase, quoted=True)
            items.append((bool(minus), atom))
        elif bare == "OR" and not minus:
            items.append("OR")
        else:
            if minus and not bare:
                raise QuerySyntaxError(_("a minus must be followed by the word to leave out"))
            items.append((bool(minus), _word(bare)))
    groups: list[list[Atom]] = []
    excluded: list[Atom] = []
    pending_or = False
    previous_negated = False
    for index, item in enumerate(items):
        if item == "OR":
            if index == 0 or index == len(items) - 1 or items[index - 1] == "OR":
                raise QuerySyntaxError(_("OR must stand between two words or phrases"))
            if previous_negated or (isinstance(items[index + 1], tuple) and items[index + 1][0]):
                raise QuerySyntaxError(_("OR cannot join a word left out with a minus"))
            pending_or = True
            continue
        negated, atom = item  # type: ignore[misc]
        previous_negated = negated
        if negated:
            excluded.append(atom)
        elif pending_or:
            groups[-1].append(atom)
        else:
            groups.append([atom])
        pending_or = False
        clauses.append((negated, atom))
    if len(clauses) > MAX_ATOMS:
        raise QuerySyntaxError(
            _("a search holds at most ${count} words and phrases", mapping={"count": MAX_ATOMS})
        )
    if not groups:
        raise QuerySyntaxError(_("say what to search for, not only what to leave out"))
    return Query(tuple(tuple(group) for group in groups), tuple(excluded), text)


def _phrase(text: str, *, quoted: bool) -> Phrase:
    terms = tuple(encode(word) for word in words(text))
    if not terms:
        if quoted:
            raise QuerySyntaxError(_("this phrase holds no letters or digits to search for"))
        raise QuerySyntaxError(
            _("${word} holds no letters or digits to search for", mapping={"word": repr(text)})
        )
    return Phrase(terms)


def _word(text: str) -> Atom:
    if "*" not in text:
        return _phrase(text, quoted=False)
    if text.count("*") > 1 or not text.endswith("*"):
        raise QuerySyntaxError(_("* may only end a word, as in budg*"))
    stem = text[:-1]
    folded = list(words(stem))
    if len(folded) != 1 or len(folded[0]) < MIN_PREFIX:
        if len(folded) > 1:
            raise QuerySyntaxError(
                _(
                    "${word}: a prefix search is one word followed by *",
                    mapping={"word": repr(text)},
                )
            )
        raise QuerySyntaxError(
            _(
                "${word}: give at least ${count} letters or digits before the *",
                mapping={"word": repr(text), "count": MIN_PREFIX},
            )
        )
    prefixes, exact = prefix_alternatives(folded[0])
    return Prefix(tuple(prefixes), tuple(exact), folded[0])
