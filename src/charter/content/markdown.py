"""Markdown to safe HTML: markdown-it-py renders, nh3 (ammonia) sanitises."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# CommonMark plus tables and strikethrough; raw HTML in the source is
# escaped by the renderer, and nh3 removes whatever unsafe markup remains
# (javascript: links, event handlers).
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


def render_markdown(source: str) -> str:
    """Safe HTML for the Markdown ``source``."""
    return nh3.clean(_markdown.render(source), link_rel="noopener noreferrer")
