"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises."""

from __future__ import annotations

from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark plus tables and strikethrough. Raw HTML in the source is not
# interpreted: the renderer escapes it, so it reads as the text typed
# (docs/editing.md). nh3 removes whatever unsafe markup remains
# (javascript: links, event handlers).
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
# What a token adds to the HTML besides its text and attributes, at most.
TOKEN_MARKUP = 64
# A document's page shows its title as the one <h1>: the body's headings start one
# level below ("# Heading" is an <h2>; "######" stays an <h6>).
HEADING_SHIFT = 1
# A table column's alignment (":--", ":-:", "--:") as a class: the Content-Security-Policy
# refuses style attributes, which markdown-it would write.
ALIGNMENT_CLASSES = {
    "text-align:left": "text-start",
    "text-align:center": "text-center",
    "text-align:right": "text-end",
}
CELL_CLASSES = frozenset(ALIGNMENT_CLASSES.values())


class HtmlTooLarge(ValueError):
    """The HTML of a Markdown text would be larger than the limit asked for."""


def render_markdown(source: str, max_html: int | None = None) -> str:
    """Safe HTML for the Markdown ``source``.

    With ``max_html`` (characters), a source whose HTML would be larger is
    refused (HtmlTooLarge) before any HTML is made: a reference link used a
    thousand times repeats its URL a thousand times, so a few kilobytes of
    Markdown can ask for gigabytes.
    """
    tokens = _markdown.parse(source)
    if max_html is not None and _html_size_bound(tokens) > max_html:
        raise HtmlTooLarge(f"the HTML would be larger than {max_html} characters")
    _adjust(tokens)
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(
        html,
        link_rel="noopener noreferrer",
        allowed_classes={"th": set(CELL_CLASSES), "td": set(CELL_CLASSES)},
    )


def _adjust(tokens: list[Token]) -> None:
    """Headings one level down; table cells' alignment as a class instead of a style."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(int(token.tag[1]) + HEADING_SHIFT, 6)
            token.tag = f"h{level}"
        elif token.type in ("th_open", "td_open"):
            style = token.attrs.pop("style", None)
            if style in ALIGNMENT_CLASSES:
                token.attrs["class"] = ALIGNMENT_CLASSES[str(style)]


def _html_size_bound(tokens: Iterable[Token]) -> int:
    """An upper bound of the rendered size (escaping aside): text, attributes, markup."""
    size = 0
    pending = list(tokens)
    while pending:
        token = pending.pop()
        size += len(token.content) + TOKEN_MARKUP
        size += sum(len(str(value)) for value in token.attrs.values())
        if token.children:
            pending.extend(token.children)
    return size
