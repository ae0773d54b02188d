"""The normalised search text: one tokenisation that every database indexes alike.

Each database's full-text engine splits and filters words its own way.
MariaDB/MySQL's InnoDB ``FULLTEXT`` drops words shorter than three
characters and its stopwords ("it", "the"), which SQLite FTS5 and
PostgreSQL keep. So Charter never hands an engine raw text: it hands it
*terms*, made here in Python, that every engine reads as the same words.

A term is a run of ASCII letters and digits, case-folded, with accents
stripped (``Café`` and ``cafe`` are one term). Terms an engine would drop
are encoded into longer ones that none drops:

* a term of one or two characters, or one of InnoDB's stopwords, becomes
  ``zq`` + its length + itself (``it`` → ``zq2it``, ``q3`` → ``zq2q3``,
  ``the`` → ``zq3the``);
* a term that starts with ``zq`` itself becomes ``zq0`` + itself, so no real
  word can be mistaken for an encoded one;
* a term is cut at ``MAX_TERM_LENGTH`` characters (InnoDB ignores longer words).

Queries are encoded by the same functions, so a search for ``IT`` looks for
``zq2it`` on every database.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# InnoDB ignores words longer than innodb_ft_max_token_size (84 by default).
MAX_TERM_LENGTH = 60
MARKER = "zq"
# InnoDB's default stopword list (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD),
# the same on MariaDB and MySQL.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "an",
        "are",
        "as",
        "at",
        "be",
        "by",
        "com",
        "de",
        "en",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "la",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "who",
        "will",
        "with",
        "und",
        "www",
    ]
)
SHORT = 3

# Letters and digits of any script; everything else separates words.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Characters that NFKD does not split into a base letter and a mark.
_FOLD = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "\u0131": "i",  # dotless i
    }
)


def fold(text: str) -> str:
    """``text`` case-folded with accents removed: ``Café`` → ``cafe``."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_FOLD)


def words(text: str) -> Iterator[str]:
    """The folded words of ``text`` that are made of ASCII letters and digits.

    A word in another script (after folding) is kept only by its ASCII parts:
    the engines would each split it differently.
    """
    for match in _WORD.finditer(fold(text)):
        word = match.group()
        if word.isascii():
            yield word[:MAX_TERM_LENGTH]
        else:
            for part in re.findall(r"[a-z0-9]+", word):
                yield part[:MAX_TERM_LENGTH]


def encode(word: str) -> str:
    """The term an engine indexes for the folded ``word`` (see the module's docstring)."""
    if word.startswith(MARKER):
        return f"{MARKER}0{word}"
    if len(word) < SHORT or word in STOPWORDS:
        return f"{MARKER}{len(word)}{word}"
    return word


_ASCII_WORD = re.compile(r"[a-z0-9]+")


def terms(text: str) -> list[str]:
    """The encoded terms of ``text``, in order."""
    folded = fold(text)
    if not folded.isascii():
        return [encode(word) for word in words(text)]
    # The same result as above, in fewer Python steps (most text is ASCII).
    return [
        word
        if len(word) >= SHORT and word not in STOPWORDS and not word.startswith(MARKER)
        else encode(word)
        for word in (w[:MAX_TERM_LENGTH] for w in _ASCII_WORD.findall(folded))
    ]


def search_terms(text: str, max_chars: int) -> str:
    """The space-separated terms of ``text`` as stored in the index (at most ``max_chars``)."""
    joined = " ".join(terms(text))
    if len(joined) <= max_chars:
        return joined
    return joined[: max_chars + 1].rsplit(" ", 1)[0]


def prefix_alternatives(prefix: str) -> tuple[list[str], list[str]]:
    """What a prefix search for the folded ``prefix`` (two characters or more) looks for.

    Returns ``(prefixes, exact)``: indexed terms starting with one of
    ``prefixes`` match, and so do the terms in ``exact`` (the encoded short
    words and stopwords that start with ``prefix``).
    """
    if prefix.startswith(MARKER):
        return [f"{MARKER}0{prefix}"], []
    exact = {encode(word) for word in STOPWORDS if word.startswith(prefix)}
    if len(prefix) < SHORT:
        exact.add(encode(prefix))
    return [prefix], sorted(exact)
