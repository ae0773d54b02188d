"""Comparing two revisions field by field: a line diff of long text, old and new of the rest.

The API sends a long text's difference as a unified diff; the web page shows
the same comparison as hunks of numbered lines, with the changed words of a
changed line marked.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from charter.content.registry import ContentType
    from charter.history.models import Revision

# A string field that may be longer than this many characters holds text
# written in lines (a body, a description): it is compared line by line.
LONG_TEXT_LENGTH = 1000
# Unchanged lines shown around each change.
CONTEXT_LINES = 3
# Changed words are marked in blocks of at most this many lines replaced one for
# one, each at most MAX_INLINE_LENGTH long; larger changes are marked whole
# lines (comparing characters costs the product of the lengths).
MAX_INLINE_LINES = 20
MAX_INLINE_LENGTH = 2000
# Lines of one field a page shows at most; the rest are counted, not shown.
MAX_SHOWN_LINES = 2000
# What a changed line is compared by: words, runs of spaces, single other characters.
_WORDS = re.compile(r"\w+|\s+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    """A piece of a changed line; ``changed`` marks what differs from its counterpart."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk: ``kind`` is ``context``, ``removed`` or ``added``."""

    kind: str
    old_number: int | None
    new_number: int | None
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Hunk:
    """A run of changed lines with their context, as ``@@ -a,b +c,d @@`` introduces it."""

    header: str
    lines: tuple[DiffLine, ...]


@dataclass(frozen=True)
class FieldChange:
    """One field of two revisions: ``kind`` is ``text`` (compared by lines) or ``value``."""

    name: str
    kind: str
    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        """Whether the two revisions differ in this field."""
        return self.old != self.new

    def unified(self, old_label: str, new_label: str) -> str:
        """The text's difference as a unified diff (empty when unchanged)."""
        return "\n".join(
            difflib.unified_diff(
                _lines(self.old), _lines(self.new), old_label, new_label, lineterm=""
            )
        )

    @functools.cached_property
    def hunks(self) -> tuple[Hunk, ...]:
        """The text's changed lines with their context, for a page: the first
        ``MAX_SHOWN_LINES`` of them (``hidden_lines`` counts the rest)."""
        shown: list[Hunk] = []
        budget = MAX_SHOWN_LINES
        for group in self._groups:
            if budget <= 0:
                break
            hunk = _hunk(self._old_lines, self._new_lines, group, budget)
            shown.append(hunk)
            budget -= len(hunk.lines)
        return tuple(shown)

    @property
    def hidden_lines(self) -> int:
        """How many lines of the diff ``hunks`` leaves out."""
        total = sum(_group_size(group) for group in self._groups)
        return total - sum(len(hunk.lines) for hunk in self.hunks)

    @functools.cached_property
    def _old_lines(self) -> list[str]:
        return _lines(self.old)

    @functools.cached_property
    def _new_lines(self) -> list[str]:
        return _lines(self.new)

    @functools.cached_property
    def _groups(self) -> list[list[tuple[str, int, int, int, int]]]:
        matcher = difflib.SequenceMatcher(None, self._old_lines, self._new_lines)
        return list(matcher.get_grouped_opcodes(CONTEXT_LINES))


@dataclass(frozen=True)
class Comparison:
    """Every field of revision ``old`` next to the same field of revision ``new``."""

    old: Revision
    new: Revision
    fields: tuple[FieldChange, ...]

    @property
    def changed(self) -> tuple[FieldChange, ...]:
        """The fields that differ."""
        return tuple(field for field in self.fields if field.changed)


def compare(content_type: ContentType, old: Revision, new: Revision) -> Comparison:
    """Compare the snapshots of ``old`` and ``new``, in the order of the type's schema, then
    the other keys (a file's blob; fields the schema no longer has) by name."""
    long_text = long_text_fields(content_type.schema)
    order = list(content_type.schema.model_fields)
    extra = sorted((old.fields.keys() | new.fields.keys()) - set(order))
    fields = tuple(
        FieldChange(
            name,
            "text" if name in long_text else "value",
            old.fields.get(name),
            new.fields.get(name),
        )
        for name in [*order, *extra]
    )
    return Comparison(old, new, fields)


@functools.cache
def long_text_fields(schema: type[BaseModel]) -> frozenset[str]:
    """The string fields of ``schema`` that may hold more than ``LONG_TEXT_LENGTH`` characters."""
    properties = schema.model_json_schema().get("properties", {})
    return frozenset(
        name
        for name, prop in properties.items()
        if prop.get("type") == "string"
        and "format" not in prop
        and prop.get("maxLength", LONG_TEXT_LENGTH + 1) > LONG_TEXT_LENGTH
        and _pattern_allows_long_text(prop.get("pattern"))
    )


def _pattern_allows_long_text(pattern: str | None) -> bool:
    """Whether a JSON Schema ``pattern`` lets a field hold text longer than
    ``LONG_TEXT_LENGTH`` in several lines: a pattern can bound a length without a maxLength
    (a title's, counted once stripped) or forbid line breaks. A pattern Python cannot read
    bounds nothing that is known."""
    if pattern is None:
        return True
    try:
        compiled = re.compile(pattern)
    except re.error:
        return True
    line = "x" * (LONG_TEXT_LENGTH // 2 + 1)
    return compiled.search(f"{line}\n{line}") is not None


def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    return str(value).splitlines()


def _group_size(group: list[tuple[str, int, int, int, int]]) -> int:
    """How many lines a hunk of these opcodes shows."""
    return sum(
        i2 - i1 if tag == "equal" else (i2 - i1) + (j2 - j1) for tag, i1, i2, j1, j2 in group
    )


def _hunk(
    old: list[str], new: list[str], group: list[tuple[str, int, int, int, int]], limit: int
) -> Hunk:
    """The hunk of these opcodes, cut after ``limit`` lines."""
    first, last = group[0], group[-1]
    header = f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@"
    lines: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in group:
        room = limit - len(lines)
        if room <= 0:
            break
        if tag == "equal":
            lines += [
                DiffLine("context", i + 1, j1 + (i - i1) + 1, (Segment(old[i]),))
                for i in range(i1, min(i2, i1 + room))
            ]
            continue
        removed = old[i1 : min(i2, i1 + room)]
        added = new[j1 : min(j2, j1 + room - len(removed))]
        marked_old, marked_new = _marked(removed, added)
        lines += [
            DiffLine("removed", i1 + k + 1, None, segments) for k, segments in enumerate(marked_old)
        ]
        lines += [
            DiffLine("added", None, j1 + k + 1, segments) for k, segments in enumerate(marked_new)
        ]
    return Hunk(header, tuple(lines))


def _range(start: int, stop: int) -> str:
    """A hunk's line range as unified diffs write it (1-based; an empty range names the line
    before it)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _marked(
    removed: list[str], added: list[str]
) -> tuple[list[tuple[Segment, ...]], list[tuple[Segment, ...]]]:
    """Each removed and added line as segments; lines replaced one for one get the words that
    changed marked, the others are marked whole."""
    if len(removed) != len(added) or len(removed) > MAX_INLINE_LINES:
        return [(Segment(line, True),) for line in removed], [
            (Segment(line, True),) for line in added
        ]
    old_marked, new_marked = [], []
    for before, after in zip(removed, added, strict=True):
        old_segments, new_segments = _word_changes(before, after)
        old_marked.append(old_segments)
        new_marked.append(new_segments)
    return old_marked, new_marked


def _word_changes(before: str, after: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    if len(before) > MAX_INLINE_LENGTH or len(after) > MAX_INLINE_LENGTH:
        return (Segment(before, True),), (Segment(after, True),)
    old_words, new_words = _WORDS.findall(before), _WORDS.findall(after)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    old_segments: list[Segment] = []
    new_segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            old_segments.append(Segment("".join(old_words[i1:i2]), tag != "equal"))
        if j2 > j1:
            new_segments.append(Segment("".join(new_words[j1:j2]), tag != "equal"))
    return tuple(old_segments), tuple(new_segments)
