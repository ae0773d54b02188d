"""The Markdown editor's live preview: the sanitised HTML a save would store.

The editor (static/editor.js) posts the text it holds; the answer comes from
the renderer a save uses (charter.content.markdown), so the preview shows
exactly what the page will, and the browser inserts HTML sanitised here, never
HTML it made itself. The form's CSRF token comes along like any form's; the
input tween has already refused undecodable or oversized bodies.
"""

from __future__ import annotations

from typing import Any

from pyramid.httpexceptions import HTTPForbidden
from pyramid.request import Request
from pyramid.view import view_config

from charter.content.markdown import HtmlTooLarge, render_markdown
from charter.content.models import MAX_BODY_HTML_BYTES
from charter.content.schemas import MAX_BODY_BYTES, MAX_BODY_LENGTH
from charter.errors import MalformedRequest, TooLarge
from charter.input.text import text_refusal
from charter.security.roles import Permission
from charter.tree.models import Node
from charter.web.i18n import _

# The form field holding the Markdown to preview.
TEXT_FIELD = "text"


@view_config(
    context=Node,
    name="markdown-preview",
    request_method="POST",
    permission=Permission.VIEW,
    renderer="json",
)
def markdown_preview(context: Node, request: Request) -> dict[str, Any]:
    """``{"html": ...}`` for the posted ``text``, for whoever may edit or add here.

    A text too long to save is refused with 413 (TooLarge), as the save would
    refuse it; other text no save could store (NUL) with 400. Refusals are the
    site's error page: the editor only reads their status.
    """
    if not (
        request.has_permission(Permission.EDIT, context)
        or request.has_permission(Permission.ADD, context)
    ):
        raise HTTPForbidden()
    text = request.POST.get(TEXT_FIELD, "")
    problem = text_refusal(text, max_chars=MAX_BODY_LENGTH, max_bytes=MAX_BODY_BYTES)
    if problem is not None:
        size = len(text.encode("utf-8", "surrogatepass"))
        if len(text) > MAX_BODY_LENGTH or size > MAX_BODY_BYTES:
            raise TooLarge(_("the text ${problem}", mapping={"problem": problem}), MAX_BODY_BYTES)
        raise MalformedRequest(_("the text ${problem}", mapping={"problem": problem}))
    try:
        html = render_markdown(text, max_html=MAX_BODY_HTML_BYTES)
    except HtmlTooLarge:
        raise TooLarge(
            _("the text renders to more HTML than a page may hold"), MAX_BODY_HTML_BYTES
        ) from None
    return {"html": html}
