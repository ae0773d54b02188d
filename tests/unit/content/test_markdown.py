"""Markdown becomes HTML that is safe to show: structure kept, scripts gone."""

import pytest
from bs4 import BeautifulSoup

from charter.content.markdown import render_markdown
from charter.content.models import Document

ATTACKS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    "Text <script>alert(1)</script> inline",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    "<iframe src=https://evil.example></iframe>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1)  )",
    "[click](&#106;avascript:alert(1))",
    "[click](java&#09;script:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '![x](x.png "a" onerror="alert(1)")',
    '[x](https://example.com "t" onclick="alert(1)")',
    "[ref][1]\n\n[1]: javascript:alert(1)",
    "| a |\n|---|\n| <script>alert(1)</script> |",
]


def assert_safe(html):
    """No script-capable element, event handler or script URL survives in ``html``."""
    assert "<script" not in html.lower()
    for tag in BeautifulSoup(html, "html.parser").find_all(True):
        assert tag.name not in {"script", "iframe", "object", "embed", "style", "svg", "form"}
        for attribute, value in tag.attrs.items():
            assert not attribute.lower().startswith("on"), (tag, attribute)
            if attribute in {"href", "src"}:
                # Browsers ignore whitespace and control characters in a scheme.
                scheme = "".join(c for c in value if c > " ").lower().split(":", 1)[0]
                assert scheme not in {"javascript", "vbscript", "data"}, (tag, value)


def test_headings_start_below_the_pages_own_h1():
    html = render_markdown("# Title\n\n## Section\n\n### Part\n\n###### Least")

    assert html == "<h2>Title</h2>\n<h3>Section</h3>\n<h4>Part</h4>\n<h6>Least</h6>\n"


def test_lists():
    html = render_markdown("- one\n- two\n\n1. first\n2. second")

    assert html == (
        "<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"
    )


def test_tables():
    soup = BeautifulSoup(
        render_markdown("| Distance | Travel by |\n| --- | --- |\n| under 500 km | train |"),
        "html.parser",
    )

    assert [th.get_text() for th in soup.select("table thead th")] == ["Distance", "Travel by"]
    assert [td.get_text() for td in soup.select("table tbody td")] == ["under 500 km", "train"]


def test_emphasis_code_and_strikethrough():
    html = render_markdown("**bold** *it* `code` ~~gone~~")

    assert html == "<p><strong>bold</strong> <em>it</em> <code>code</code> <s>gone</s></p>\n"


def test_links_are_kept_and_do_not_leak_the_opener():
    soup = BeautifulSoup(render_markdown("[Charter](https://example.com/a?b=1)"), "html.parser")
    link = soup.find("a")

    assert link["href"] == "https://example.com/a?b=1"
    assert link.get_text() == "Charter"
    assert set(link["rel"]) == {"noopener", "noreferrer"}


def test_relative_links_and_images_are_kept():
    soup = BeautifulSoup(render_markdown("[Policies](/policies) ![Logo](/logo.png)"), "html.parser")

    assert soup.find("a")["href"] == "/policies"
    assert soup.find("img")["src"] == "/logo.png"
    assert soup.find("img")["alt"] == "Logo"


def test_raw_html_is_shown_as_text():
    html = render_markdown("<b>not bold</b>")

    assert html == "<p>&lt;b&gt;not bold&lt;/b&gt;</p>\n"


@pytest.mark.parametrize("source", ATTACKS)
def test_nothing_unsafe_reaches_the_html(source):
    assert_safe(render_markdown(source))


@pytest.mark.parametrize("source", ATTACKS)
def test_a_document_stores_only_safe_html(source):
    document = Document(title="Attack")

    document.set_body(source)

    assert document.body == source
    assert_safe(document.body_html)


def test_a_document_keeps_its_source_and_the_rendered_html():
    document = Document(title="Notes")

    document.set_body("# Notes\n\n- a")

    assert document.body == "# Notes\n\n- a"
    assert document.body_html == "<h2>Notes</h2>\n<ul>\n<li>a</li>\n</ul>\n"
    assert document.content_fields() == {"body": document.body, "body_html": document.body_html}
