"""Snippets: a short passage of a hit's own text with the matched words marked, as safe HTML.

Made in Python from the hit's readable text (never from another node's), so
every engine gives the same snippet, and escaped with MarkupSafe: only the
``<mark>`` elements added here are markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from charter.search.text import fold

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
SNIPPET_CHARS = 240


def _matches(word: str, exact: frozenset[str], prefixes: Iterable[str]) -> bool:
    folded = fold(word)
    if folded in exact:
        return True
    return any(folded.startswith(prefix) for prefix in prefixes)


def snippet(
    text: str, exact: frozenset[str], prefixes: tuple[str, ...], size: int = SNIPPET_CHARS
) -> Markup:
    """About ``size`` characters of ``text`` around the densest run of matched words.

    Falls back to the start of the text when no word matches (the match was
    in the title or name).
    """
    text = " ".join(text.split())
    if not text:
        return Markup("")
    if text.isascii():
        hits = [m.span() for m in _ascii_pattern(exact, prefixes).finditer(text.lower())]
    else:
        hits = [m.span() for m in _WORD.finditer(text) if _matches(m.group(), exact, prefixes)]
    if not hits:
        end = _cut_after(text, size)
        return escape(text[:end]) + (Markup("…") if end < len(text) else Markup(""))
    # The window of ``size`` characters holding the most hits.
    best_start, best_count = hits[0][0], 0
    right = 0
    for left, (start, _end) in enumerate(hits):
        while right < len(hits) and hits[right][1] - start <= size:
            right += 1
        if right - left > best_count:
            best_start, best_count = start, right - left
    begin = max(0, best_start - size // 4)
    if begin:
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < best_start else begin
    end = _cut_after(text, begin + size)
    parts: list[Markup] = [Markup("…")] if begin else []
    position = begin
    for start, stop in hits:
        if start < begin or stop > end:
            continue
        parts.append(escape(text[position:start]))
        parts.append(Markup("<mark>") + escape(text[start:stop]) + Markup("</mark>"))
        position = stop
    parts.append(escape(text[position:end]))
    if end < len(text):
        parts.append(Markup("…"))
    return Markup("").join(parts)


def _ascii_pattern(exact: frozenset[str], prefixes: tuple[str, ...]) -> re.Pattern[str]:
    """The matched words of lower-case ASCII text, found by the regex engine in one pass.

    The same words as ``_matches`` (whose Python call per word made the snippets of a
    page of long documents take longer than the search's SQL).
    """
    words = [re.escape(word) for word in sorted(exact)]
    words += [re.escape(prefix) + "[a-z0-9]*" for prefix in prefixes]
    if not words:
        return re.compile("(?!)")
    return re.compile("(?<![a-z0-9])(?:" + "|".join(words) + ")(?![a-z0-9])")


def _cut_after(text: str, position: int) -> int:
    """An index at or a little after ``position`` that does not split a word."""
    if position >= len(text):
        return len(text)
    space = text.find(" ", position)
    return len(text) if space == -1 or space - position > 20 else space
