"""The API reference (/api/v1/docs): Swagger UI renders the OpenAPI document under the
site's CSP, from the site's own files (no CDN: it works offline)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

RENDER_MS = 60_000


def test_the_reference_renders_every_tag_without_a_csp_violation(page: Page, live_server: str):
    problems: list[str] = []
    outside: list[str] = []
    page.on(
        "console",
        lambda message: (
            message.type == "error"
            and "Failed to load resource" not in message.text  # reported with its URL below
            and problems.append(message.text)
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "request",
        lambda request: request.url.startswith(live_server) or outside.append(request.url),
    )
    page.on(
        "response",
        lambda response: (
            response.status >= 400
            and not response.url.endswith("/favicon.ico")  # browsers ask; the site has none
            and problems.append(f"{response.status} {response.url}")
        ),
    )
    page.goto("/api/v1/docs", timeout=RENDER_MS)
    # Swagger UI is a large script that builds the page from the document: give it time.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("API", timeout=RENDER_MS)
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    for tag in ("content", "history", "people", "trash"):
        expect(page.locator(f"#operations-tag-{tag}")).to_be_visible()
    # One operation opens with its parameters and responses.
    page.locator("#operations-people-createUser .opblock-summary").click()
    expect(page.locator("#operations-people-createUser .responses-table")).to_be_visible()
    assert problems == [], "console errors (a CSP violation shows here)"
    assert outside == [], "requests to other hosts"
