"""Uploading in a real browser through charter.js: files dropped on the drop zone are sent
with a progress bar that reaches its end, then the folder shows them; a refusal (413 too
large, 403 no longer allowed) is shown in the page's error area; without JavaScript the
plain form still works. Screenshots of the upload page with CHARTER_SCREENSHOTS."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from charter import make_configurator
from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.plugin import TEST_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("CHARTER_SCREENSHOTS", "")
# The app of these tests accepts files of up to 4 MiB; the "large" file is 3 MiB.
LIMIT = 4 * 1024 * 1024
LARGE = 3 * 1024 * 1024


@pytest.fixture
def charter_app(charter_settings, charter_engine, tmp_path):
    """The application with a 4 MiB limit per file (so a refusal for size is quick)."""
    settings = {
        **charter_settings,
        "charter.blobs.max_upload_size": str(LIMIT),
        "charter.blobs.path": str(tmp_path / "blobs"),
    }
    config = make_configurator(settings, environ={})
    yield config.make_wsgi_app()
    config.registry["charter.db.engine"].dispose()


@pytest.fixture
def eddie(site_root, content, make_user, dbsession):
    """Eddie (Editor on the site) and an empty /docs."""
    user = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(user.id): ["Editor"]})
    content.add_folder(site_root, "docs", "Docs")
    dbsession.flush()  # the server's requests read through their own savepoint
    return user


def record_progress(page: Page) -> list[tuple[float, float]]:
    """The (value, max) pairs the page's progress bar shows, in order, as they change."""
    seen: list[tuple[float, float]] = []
    page.expose_function("chartertestProgress", lambda value, top: seen.append((value, top)))
    page.evaluate(
        """() => {
            const bar = document.getElementById('upload-progress');
            new MutationObserver(() => window.chartertestProgress(bar.value, bar.max))
                .observe(bar, {attributes: true});
        }"""
    )
    return seen


def drop(page: Page, *files: tuple[str, int]) -> None:
    """Drop ``files`` ((name, size in bytes)) on the drop zone, as a file manager would."""
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, size] of files) {
                transfer.items.add(new File([new Uint8Array(size).fill(120)], name,
                                            {type: 'application/octet-stream'}));
            }
            return transfer;
        }""",
        [list(item) for item in files],
    )
    page.dispatch_event("#upload-drop", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("#upload-drop", "drop", {"dataTransfer": transfer})


def shoot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def test_a_dropped_file_is_sent_with_a_progress_bar_then_the_folder_shows_it(eddie, log_in_as):
    page = log_in_as(eddie)
    page.goto("/docs/@@upload")
    expect(page.locator("#upload-drop")).to_be_visible()
    progress = record_progress(page)

    drop(page, ("survey-data.bin", LARGE))
    expect(page.locator("#upload-chosen")).to_have_text("survey-data.bin")
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.locator(".flash-message")).to_have_text("File “survey-data.bin” was uploaded.")
    expect(page).to_have_url(page.url.split("/docs")[0] + "/docs")
    # The bar followed the bytes of the request (the file and the form around it) to the end.
    sent = [value for value, top in progress if top >= LARGE]
    assert sent, progress
    assert sent[-1] == max(top for _, top in progress), progress
    assert progress[-1][0] == progress[-1][1], progress
    page.locator(".children").get_by_role("link", name="survey-data.bin").click()
    expect(page.locator("h1")).to_have_text("survey-data.bin")
    expect(page.locator("#file-details")).to_contain_text("3 MiB")


def test_a_file_over_the_limit_is_refused_in_the_error_area(eddie, log_in_as):
    page = log_in_as(eddie)
    page.goto("/docs/@@upload")

    drop(page, ("notes.txt", 100), ("huge.bin", LIMIT + 1))
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.locator("#upload-errors .alert")).to_have_text(
        ["“huge.bin” is larger than the limit of 4 MiB for one file; no file was uploaded."]
    )
    expect(page.locator("#upload-progress-area")).to_be_hidden()
    expect(page.get_by_role("button", name="Upload", exact=True)).to_be_enabled()
    expect(page.locator("h1")).to_have_text("Upload files")
    shoot(page, "upload-refused-1280")


def test_an_upload_no_longer_allowed_says_so(eddie, log_in_as, site_root, dbsession):
    page = log_in_as(eddie)
    page.goto("/docs/@@upload")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): []})
    dbsession.flush()

    drop(page, ("notes.txt", 100))
    page.get_by_role("button", name="Upload", exact=True).click()

    # The error page's heading and advice (charter.web.errors), on the page the person is on.
    expect(page.locator("#upload-errors .alert")).to_have_text(
        ["You may not see this", "Ask the people who manage this area for access."]
    )
    expect(page.locator("h1")).to_have_text("Upload files")


def test_without_javascript_the_form_posts_as_before(eddie, chromium_browser, live_server):
    context = chromium_browser.new_context(base_url=live_server, java_script_enabled=False)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Login", exact=True).fill(eddie.login)
    page.get_by_label("Password", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/docs/@@upload")
    expect(page.locator("#upload-drop")).to_be_hidden()

    page.get_by_label("Files").set_input_files(
        [{"name": "plain.txt", "mimeType": "text/plain", "buffer": b"Plain.\n"}]
    )
    page.get_by_role("button", name="Upload", exact=True).click()

    expect(page.locator(".flash-message")).to_have_text("File “plain.txt” was uploaded.")
    context.close()


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_the_upload_page_fits_the_window(eddie, log_in_as, page, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in_as(eddie)
    page.goto("/docs/@@upload")
    drop(page, ("a-file-with-a-rather-long-name-from-the-scanner-0001.pdf", 10))

    shoot(page, f"upload-{width}")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
