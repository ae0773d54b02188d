"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises."""

from __future__ import annotations

from collections.abc import Iterable

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# CommonMark plus tables and strikethrough; raw HTML in the source is
# escaped by the renderer, and nh3 removes whatever unsafe markup remains
# (javascript: links, event handlers).
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
# What a token adds to the HTML besides its text and attributes, at most.
TOKEN_MARKUP = 64


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
    html = _markdown.renderer.render(tokens, _markdown.options, {})
    return nh3.clean(html, link_rel="noopener noreferrer")


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
