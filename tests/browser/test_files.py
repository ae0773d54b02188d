"""Files in a real browser: upload two through the form, open an image (its preview loads) and
download it; a PDF is previewed in a frame the page's policy allows."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from charter.security.principals import user_principal
from charter.security.sharing import SharingService
from charter.testing.samples import png_image

pytestmark = pytest.mark.browser

NOTES = b"Minutes of the meeting.\nEveryone agreed.\n"


def pdf_document():
    """A valid one-page PDF (with the cross-reference table its readers look for)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    document = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    document += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    return document


PNG = png_image(40, 30)
PDF = pdf_document()


@pytest.fixture
def site(site_root, content, make_user, dbsession):
    """An empty Docs folder; Eddie holds Editor on the site."""
    content.add_folder(site_root, "docs", "Docs")
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    dbsession.flush()  # the server's requests read through their own savepoint
    return eddie


@pytest.fixture
def editor_page(site, log_in_as):
    """The tab after Eddie logged in through the login form."""
    return log_in_as(site)


def upload(page, *files):
    """From a folder's page, upload ``files`` ((name, MIME type, bytes)) through the form."""
    page.locator("#add-menu summary").click()
    page.locator("#add-menu").get_by_role("link", name="Upload files").click()
    expect(page.locator("h1")).to_have_text("Upload files")
    page.get_by_label("Files").set_input_files(
        [{"name": name, "mimeType": kind, "buffer": data} for name, kind, data in files]
    )
    page.get_by_role("button", name="Upload", exact=True).click()


def test_upload_two_files_then_preview_and_download_the_image(editor_page, tmp_path):
    page = editor_page
    page.goto("/docs")

    upload(page, ("chart.png", "image/png", PNG), ("notes.txt", "text/plain", NOTES))

    expect(page.locator("h1")).to_have_text("Docs")
    expect(page.locator(".flash-message")).to_have_text(
        "2 files were uploaded: “chart.png”, “notes.txt”."
    )
    expect(page.locator("ul.children li a")).to_have_text(["chart.png", "notes.txt"])

    page.locator("ul.children").get_by_role("link", name="chart.png").click()
    expect(page.locator("h1")).to_have_text("chart.png")
    expect(page.locator("#file-type")).to_have_text("image/png")
    preview = page.locator("#file-preview img")
    expect(preview).to_be_visible()
    # The browser fetched and decoded the image: it knows its real size.
    page.wait_for_function("document.querySelector('#file-preview img').complete")
    assert preview.evaluate("image => [image.naturalWidth, image.naturalHeight]") == [40, 30]

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download").click()
    download = waiting.value
    assert download.suggested_filename == "chart.png"
    saved = tmp_path / "downloaded.png"
    download.save_as(saved)
    assert saved.read_bytes() == PNG


def test_a_pdf_is_previewed_in_a_frame(editor_page):
    page = editor_page
    # How Chromium reports a frame kept out by a Content-Security-Policy or X-Frame-Options.
    refusals = []

    def keep_refusals(message):
        if message.text.startswith("Refused to"):
            refusals.append(message.text)

    page.on("console", keep_refusals)
    page.goto("/docs")
    upload(page, ("report.pdf", "application/pdf", PDF))
    expect(page.locator(".flash-message")).to_have_text("File “report.pdf” was uploaded.")

    with page.expect_response(re.compile(r"/docs/report.pdf/@@download$")) as framed:
        page.locator("ul.children").get_by_role("link", name="report.pdf").click()
    # The page's load event waits for its frame.
    page.wait_for_load_state("load")

    assert framed.value.status == 200
    assert framed.value.header_value("Content-Type") == "application/pdf"
    assert framed.value.header_value("Content-Disposition").startswith("inline")
    expect(page.locator("#file-preview iframe")).to_be_visible()
    # Neither the page's policy nor the download's headers kept the PDF out of the frame.
    assert refusals == []
    assert any(frame.url.endswith("/docs/report.pdf/@@download") for frame in page.frames)


@pytest.mark.parametrize("width", [390, 768, 1280])
def test_the_contents_table_shows_an_images_thumbnail_its_size_and_author(editor_page, width):
    page = editor_page
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/docs")
    upload(page, ("chart.png", "image/png", PNG), ("notes.txt", "text/plain", NOTES))
    expect(page.locator(".flash-message")).to_contain_text("2 files were uploaded")

    page.goto("/docs/@@contents")

    thumbnail = page.locator("#contents-table img.content-thumbnail")
    expect(thumbnail).to_have_count(1)
    thumbnail.scroll_into_view_if_needed()
    # Loaded (the page's policy and the download view let it through), drawn in its square.
    expect(thumbnail).to_have_js_property("naturalWidth", 40)
    box = thumbnail.bounding_box()
    assert box is not None
    assert (box["width"], box["height"]) == (48, 48)
    notes = page.locator(".content-row", has_text="notes.txt")
    if width >= 576:
        expect(notes.locator(".content-size")).to_have_text(f"{len(NOTES)} bytes")
    else:
        expect(notes.locator(".phone-details")).to_contain_text(f"{len(NOTES)} bytes")
    if width >= 768:
        expect(notes.locator(".content-author")).to_have_text("Eddie Editor")
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the contents page scrolls sideways by {overflow}px at {width}px"
    if os.environ.get("CHARTER_SCREENSHOTS"):
        page.screenshot(
            path=str(Path(os.environ["CHARTER_SCREENSHOTS"]) / f"{width}-contents-thumbnail.png"),
            full_page=True,
        )
