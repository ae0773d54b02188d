"""The contents table's thumbnails in a browser: each image row loads its server-scaled
thumbnail (no more than 128 px, whatever the original's size) and draws it in its 48 px
square; a file that gets none shows its type's icon."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from charter.security.principals import user_principal
from charter.security.sharing import SharingService

pytestmark = pytest.mark.browser


def picture(size: tuple[int, int], kind: str, colour: str) -> bytes:
    """A picture of ``size``: a coloured field with a white disc, encoded as ``kind``."""
    image = Image.new("RGB", size, colour)
    width, height = size
    ImageDraw.Draw(image).ellipse(
        (width // 4, height // 4, 3 * width // 4, 3 * height // 4), fill="white"
    )
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


FILES = [
    ("harbour.jpg", "image/jpeg", picture((2400, 1600), "JPEG", "steelblue")),
    ("chart.png", "image/png", picture((900, 1200), "PNG", "darkorange")),
    ("badge.gif", "image/gif", picture((64, 64), "GIF", "seagreen")),
    ("notes.txt", "text/plain", b"Minutes of the meeting.\n"),
    # A PNG cut off after its header: the server makes no thumbnail of it (404).
    ("damaged.png", "image/png", picture((300, 300), "PNG", "purple")[:60]),
]


@pytest.fixture
def editor_page(site_root, content, make_user, dbsession, log_in_as):
    """Eddie (Editor of the site) logged in, with /docs holding three images and a note."""
    content.add_folder(site_root, "docs", "Docs")
    eddie = make_user("eddie", "Eddie Editor")
    SharingService(dbsession).update(site_root, {user_principal(eddie.id): ["Editor"]})
    dbsession.flush()  # the server's requests read through their own savepoint
    page = log_in_as(eddie)
    page.goto("/docs/@@upload")
    page.get_by_label("Files").set_input_files(
        [{"name": name, "mimeType": kind, "buffer": data} for name, kind, data in FILES]
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator(".flash-message")).to_contain_text("5 files were uploaded")
    return page


@pytest.mark.parametrize("width", [390, 1280])
def test_each_image_row_loads_its_scaled_thumbnail(editor_page, width):
    page = editor_page
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/docs/@@contents")

    page.wait_for_load_state("load")
    thumbnails = page.locator("#contents-table img.content-thumbnail")
    expect(thumbnails).to_have_count(3)
    sizes = {}
    for index in range(3):
        image = thumbnails.nth(index)
        image.scroll_into_view_if_needed()
        assert image.get_attribute("src").endswith("/@@thumbnail")
        expect(image).not_to_have_js_property("naturalWidth", 0)
        alt = image.get_attribute("alt")
        sizes[alt] = image.evaluate("image => [image.naturalWidth, image.naturalHeight]")
        box = image.bounding_box()
        assert box is not None
        assert (box["width"], box["height"]) == (48, 48)
    # Fitted into 128 x 128 by the server, not sent whole and shrunk by the browser.
    assert sizes == {
        "Thumbnail of “harbour.jpg”": [128, 85],
        "Thumbnail of “chart.png”": [96, 128],
        "Thumbnail of “badge.gif”": [64, 64],
    }
    notes = page.locator(".content-row", has_text="notes.txt")
    expect(notes.locator("img")).to_have_count(0)
    expect(notes.locator(".type-icon")).to_have_count(1)
    # The damaged image's thumbnail failed: charter.js put the file icon in its place.
    served = page.request.get(page.url).text()
    assert "/docs/damaged.png/@@thumbnail" in served
    assert page.request.get("/docs/damaged.png/@@thumbnail").status == 404
    damaged = page.locator(".content-row", has_text="damaged.png")
    expect(damaged.locator(".type-icon-file")).to_have_count(1)
    if os.environ.get("CHARTER_SCREENSHOTS"):
        page.screenshot(
            path=str(Path(os.environ["CHARTER_SCREENSHOTS"]) / f"{width}-contents-thumbnails.png"),
            full_page=True,
        )


def test_thumbnails_below_the_fold_load_when_scrolled_to(editor_page):
    page = editor_page
    page.set_viewport_size({"width": 390, "height": 300})
    page.goto("/docs/@@contents")
    page.wait_for_load_state("load")

    thumbnails = page.locator("#contents-table img.content-thumbnail")
    # None given up for broken before it was even asked for.
    expect(thumbnails).to_have_count(3)
    last = thumbnails.nth(2)
    assert last.evaluate("image => image.getBoundingClientRect().top") > 300
    last.scroll_into_view_if_needed()
    expect(last).to_have_js_property("naturalWidth", 64)
