"""Every word a template shows is marked for translation: a text node, a title, placeholder,
aria-label or alt, a button's value, or a string literal handed to a macro or filter is
either inside ``{% trans %}`` or passed through ``_()``/``gettext``/``ngettext``.

The check reads each template (the core's and the events add-on's) with Jinja2's own lexer:
the markup between its tags is put back together with every expression replaced by a
placeholder and every ``{% trans %}`` block removed, then parsed as HTML; whatever text is
left there is untranslated. Elements marked ``translate="no"`` (HTML's own attribute for
names, codes and examples) are skipped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_DIRS = [
    ROOT / "src" / "charter" / "web" / "templates",
    ROOT / "addons" / "charter-events" / "src" / "charter_events" / "templates",
]
TEMPLATES = sorted(path for folder in TEMPLATE_DIRS for path in folder.glob("*.jinja2"))
TEXT_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
LETTER = re.compile(r"[^\W\d_]")
# Outside markup, an expression stands for a value: "0" has no letters, so it never counts.
PLACEHOLDER = "0"
GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext"}
# Calls whose string arguments are names looked up, not shown (types.get('File')).
LOOKUPS = {"get", "route_url", "static_url"}
NOT_WORDS = GETTEXT_CALLS | LOOKUPS
COMPARISONS = {("operator", "=="), ("operator", "!="), ("name", "in"), ("name", "not")}
# String literals in expressions that are words for people: one with a space and a letter,
# or a capitalised word (ids, CSS classes, route and field names are lower case, no space).
WORDS = re.compile(r"(?=.*[^\W\d_])(?:.*\s|[A-Z][a-z])")
# Literals that read like words but are not shown: date patterns, HTML fragments, and CSS
# classes or id parts ("d-none d-sm-table-cell", "-help").
NOT_SHOWN = re.compile(r"^[%<]|^[a-z0-9_ -]*-[a-z0-9_ -]*$")
ENVIRONMENT = Environment(extensions=["jinja2.ext.i18n"])


class _TextFinder(HTMLParser):
    """Collects the text nodes and text attributes that contain letters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in {"script", "style"} or values.get("translate") == "no":
            self._skip.append(tag)
            return
        if self._skip:
            if tag not in {"br", "input", "img", "meta", "link", "hr", "wbr", "source"}:
                self._skip.append(tag)
            return
        for name, value in attrs:
            shown = name in TEXT_ATTRIBUTES or (
                name == "value" and tag == "input" and values.get("type") in {"submit", "button"}
            )
            if shown and value and LETTER.search(value):
                self.found.append(f'<{tag} {name}="{value}">')

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"} or dict(attrs).get("translate") == "no":
            return
        if not self._skip:
            self.handle_starttag(tag, attrs)
            if self._skip and self._skip[-1] == tag:
                self._skip.pop()

    def handle_endtag(self, tag: str) -> None:
        if self._skip and self._skip[-1] == tag:
            self._skip.pop()

    def handle_data(self, data: str) -> None:
        if not self._skip and LETTER.search(data):
            self.found.append(data.strip())


def skeleton_and_literals(source: str) -> tuple[str, list[str]]:
    """The template's markup with expressions as placeholders and trans blocks removed, and
    the string literals in its expressions that read as words and are not translated."""
    markup: list[str] = []
    literals: list[str] = []
    in_trans = 0
    in_set: list[str] | None = None  # the body of a {% set %} block being read
    tag: list[tuple[str, str]] | None = None  # the tokens of the tag being read
    calls: list[str | None] = []  # per open parenthesis, the name it calls
    for _lineno, kind, value in ENVIRONMENT.lex(source):
        if kind == "whitespace":
            continue
        if kind in {"block_begin", "variable_begin"}:
            tag, calls = [], []
        elif kind in {"block_end", "variable_end"}:
            if tag and tag[0] == ("name", "trans"):
                in_trans += 1
            elif tag and tag[0] == ("name", "endtrans"):
                in_trans -= 1
            elif tag and tag[0] == ("name", "set") and ("operator", "=") not in tag:
                in_set, markup = markup, []
            elif tag and tag[0] == ("name", "endset") and in_set is not None:
                # A block set as attributes (id="..." required) is read inside a tag.
                body = "".join(markup)
                markup = [*in_set, body if "<" in body or '="' not in body else f"<i {body}>"]
                in_set = None
            elif kind == "variable_end" and not in_trans:
                markup.append(PLACEHOLDER)
            tag = None
        elif tag is None:
            if kind == "data" and not in_trans:
                markup.append(value)
        else:
            if (kind, value) == ("operator", "("):
                calls.append(tag[-1][1] if tag and tag[-1][0] == "name" else None)
            elif (kind, value) == ("operator", ")") and calls:
                calls.pop()
            elif (
                kind == "string"
                and not in_trans
                and not (calls and calls[-1] in GETTEXT_CALLS | LOOKUPS)
            ):
                value = value[1:-1]
                compared = tag and tag[-1] in COMPARISONS
                if WORDS.match(value) and not NOT_SHOWN.match(value) and not compared:
                    literals.append(value)
            elif literals and tag and tag[-1][0] == "string" and (kind, value) in COMPARISONS:
                literals.pop()  # "words" in text, "Word" == name: compared, not shown
            tag.append((kind, value))
    return "".join(markup), literals


def untranslated(path: Path) -> list[str]:
    """What ``path`` shows that no translation covers."""
    markup, literals = skeleton_and_literals(path.read_text(encoding="utf-8"))
    finder = _TextFinder()
    finder.feed(markup)
    finder.close()
    return finder.found + [f"literal {value!r}" for value in literals]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_every_shown_string_is_marked_for_translation(path):
    assert untranslated(path) == []


def test_the_check_sees_text_attributes_and_literals(tmp_path):
    """The check itself: each kind of unmarked text is caught, the marked kinds pass."""
    template = tmp_path / "probe.jinja2"
    template.write_text(
        '<p>Hello {{ name }}</p><input type="submit" value="Save" title="{{ t }}">'
        '<img alt="A cat" src="x.png">{{ field("a", "Full name") }}'
        '<p>{% trans %}Fine{% endtrans %} {{ _("Fine too") }}</p>'
        '<code translate="no">charter.ini</code><span aria-label="{{ _(\'Ok\') }}">·</span>',
        encoding="utf-8",
    )

    assert untranslated(template) == [
        "Hello 0",
        '<input value="Save">',
        '<img alt="A cat">',
        "literal 'Full name'",
    ]


def test_the_templates_are_found():
    assert len(TEMPLATES) >= 40
    assert {path.name for path in TEMPLATES} >= {"layout.jinja2", "calendar.jinja2"}
