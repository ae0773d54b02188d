"""An image file's thumbnail (``@@thumbnail``): scaled once by the server, upright, no
larger than 128 px; 404 (never 500) for what it cannot or may not decode; conditional with
an ETag naming the bytes; viewable by exactly those who may view the file."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
import transaction
import webtest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from charter.blobs.thumbnails import THUMBNAIL_SIZE
from charter.content.registry import types_of
from charter.content.services import ContentService, Uploads
from charter.db.session import TEST_CONNECTION_ENVIRON_KEY
from charter.security.sharing import SharingService
from charter.testing.content import reviewed_types
from charter.testing.sessions import login_as
from charter.trash.services import TrashService

SITE = "http://example.com"


def encoded(image: Image.Image, kind: str, **options) -> bytes:
    """``image`` saved as ``kind`` (PNG, JPEG, GIF, WEBP)."""
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG announcing ``width`` x ``height`` pixels with almost no data: a header bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def opened(response: webtest.TestResponse) -> Image.Image:
    """The image a response holds."""
    return Image.open(io.BytesIO(response.body))


@pytest.fixture
def docs(site_root, content, dbsession):
    """/docs, a folder every logged-in person may view."""
    folder = content.add_folder(site_root, "docs", "Docs")
    dbsession.flush()
    return folder


@pytest.fixture
def store(charter_app):
    """The test app's blob store."""
    return charter_app.registry["charter.blobs.store"]


@pytest.fixture
def thumbnails(charter_app):
    """The test app's thumbnails."""
    return charter_app.registry["charter.blobs.thumbnails"]


@pytest.fixture
def stored_file(dbsession, store, charter_app):
    """``stored_file(parent, filename, data)``: a published File whose bytes are committed
    to the store."""
    types = reviewed_types(types_of(charter_app.registry))

    def make(parent, filename, data):
        manager = transaction.TransactionManager(explicit=True)
        manager.begin()
        uploads = Uploads(store, manager, max_size=1 << 24)
        node = ContentService(dbsession, types=types, uploads=uploads).upload(
            parent, io.BytesIO(data), filename
        )
        manager.commit()  # only the blob store joined this transaction
        dbsession.flush()
        return node

    return make


def test_a_png_is_scaled_to_fit_128_pixels_once(testapp, docs, stored_file, thumbnails):
    wide = Image.new("RGBA", (300, 200), (200, 30, 30, 128))
    node = stored_file(docs, "wide.png", encoded(wide, "PNG"))

    answer = testapp.get("/docs/wide.png/@@thumbnail")

    assert answer.content_type == "image/png"
    assert opened(answer).size == (128, 85)
    assert opened(answer).mode == "RGBA"  # transparency is kept
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "private, no-cache"
    assert answer.etag == f"{node.blob_sha256}-{THUMBNAIL_SIZE}"
    stored = thumbnails.path(node.blob_sha256)
    assert stored.read_bytes() == answer.body
    # The second request reads the stored copy: a changed file would be served as it is.
    stored.write_bytes(b"\x89PNG marker")
    assert testapp.get("/docs/wide.png/@@thumbnail").body == b"\x89PNG marker"


def test_an_image_smaller_than_the_box_keeps_its_size(testapp, docs, stored_file):
    stored_file(docs, "dot.png", encoded(Image.new("L", (40, 30), 128), "PNG"))

    assert opened(testapp.get("/docs/dot.png/@@thumbnail")).size == (40, 30)


def test_a_jpeg_is_turned_upright_by_its_exif_orientation(testapp, docs, stored_file):
    # Stored 200 wide and 100 high, left half red; orientation 6: shown turned a quarter
    # clockwise, so upright it is 100 wide and 200 high, red on top.
    photo = Image.new("RGB", (200, 100), (0, 0, 255))
    photo.paste((255, 0, 0), (0, 0, 100, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    stored_file(docs, "photo.jpg", encoded(photo, "JPEG", exif=exif, quality=95))

    answer = testapp.get("/docs/photo.jpg/@@thumbnail")

    assert answer.content_type == "image/jpeg"
    thumbnail = opened(answer)
    assert thumbnail.size == (64, 128)
    red, _, blue = thumbnail.getpixel((32, 20))
    assert (red > 200, blue < 60) == (True, True)
    red, _, blue = thumbnail.getpixel((32, 108))
    assert (red < 60, blue > 200) == (True, True)


def test_an_animated_gif_shows_its_first_frame(testapp, docs, stored_file):
    frames = [Image.new("RGB", (160, 160), colour) for colour in ((0, 255, 0), (255, 0, 0))]
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    stored_file(docs, "blink.gif", data)

    answer = testapp.get("/docs/blink.gif/@@thumbnail")

    assert answer.content_type == "image/png"
    thumbnail = opened(answer).convert("RGB")
    assert thumbnail.size == (128, 128)
    assert thumbnail.getpixel((64, 64)) == (0, 255, 0)


def test_a_webp_is_scaled_to_png(testapp, docs, stored_file):
    stored_file(docs, "tall.webp", encoded(Image.new("RGB", (100, 400), (9, 9, 9)), "WEBP"))

    answer = testapp.get("/docs/tall.webp/@@thumbnail")

    assert (answer.content_type, opened(answer).size) == ("image/png", (32, 128))


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        # Cut off in the middle of its pixels.
        ("cut.png", encoded(Image.effect_noise((300, 300), 50), "PNG")[:600]),
        ("cut.jpg", encoded(Image.effect_noise((300, 300), 50).convert("RGB"), "JPEG")[:500]),
        # A signature and then nothing sensible.
        ("junk.png", b"\x89PNG\r\n\x1a\n" + b"\xff" * 200),
        ("junk.gif", b"GIF89a" + b"\x00" * 40),
        # A header announcing 2.5 billion pixels, and 64 bytes of them.
        ("bomb.png", png_header_only(50_000, 50_000)),
        # Just above the configured limit (40 million pixels), without a single pixel.
        ("big.png", png_header_only(8_000, 5_001)),
        ("notes.txt", b"Minutes of the meeting.\n"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'),
        ("report.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"),
    ],
)
def test_what_cannot_be_scaled_is_not_found_again_and_again(
    testapp, docs, stored_file, thumbnails, filename, data
):
    node = stored_file(docs, filename, data)

    testapp.get(f"/docs/{filename}/@@thumbnail", status=404)
    testapp.get(f"/docs/{filename}/@@thumbnail", status=404)

    path = thumbnails.path(node.blob_sha256)
    if node.mime_type.startswith("image/") and node.mime_type != "image/svg+xml":
        # Remembered as "no thumbnail", so the bytes are not decoded on every request.
        assert path.read_bytes() == b""
    else:
        assert not path.exists()


SIGNATURES = [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    b"\xff\xd8\xff\xe1\x00\x20Exif\x00\x00",
    b"GIF89a",
    b"RIFF\x00\x01\x00\x00WEBPVP8 ",
]


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(signature=st.sampled_from(SIGNATURES), tail=st.binary(max_size=300))
@example(signature=SIGNATURES[0], tail=png_header_only(1, 1)[16:])
def test_any_bytes_uploaded_as_an_image_never_break_the_thumbnail(
    testapp, docs, stored_file, signature, tail
):
    node = stored_file(docs, "upload.png", signature + tail)

    answer = testapp.get(f"{node.path}/@@thumbnail", status="*")

    assert answer.status_int in (200, 404)
    if answer.status_int == 200:
        thumbnail = opened(answer)
        assert max(thumbnail.size) <= THUMBNAIL_SIZE
        assert answer.content_type in ("image/png", "image/jpeg")


def test_a_folder_or_a_document_has_no_thumbnail(testapp, docs, content, dbsession):
    content.add_document(docs, "guide", "User guide", "Read this first.")
    dbsession.flush()

    testapp.get("/docs/@@thumbnail", status=404)
    testapp.get("/docs/guide/@@thumbnail", status=404)


def test_the_etag_names_the_bytes_and_a_current_copy_gets_304(testapp, docs, stored_file):
    stored_file(docs, "dot.png", encoded(Image.new("L", (10, 10)), "PNG"))
    first = testapp.get("/docs/dot.png/@@thumbnail")

    again = testapp.get(
        "/docs/dot.png/@@thumbnail", headers={"If-None-Match": f'"{first.etag}"'}, status=304
    )
    other = testapp.get("/docs/dot.png/@@thumbnail", headers={"If-None-Match": '"abc-128"'})

    assert again.body == b""
    assert again.etag == first.etag
    assert again.headers["Cache-Control"] == "private, no-cache"
    assert other.body == first.body


def test_head_answers_without_a_body(testapp, docs, stored_file):
    stored_file(docs, "dot.png", encoded(Image.new("L", (10, 10)), "PNG"))

    answer = testapp.head("/docs/dot.png/@@thumbnail")

    assert (answer.status_int, answer.content_type, answer.body) == (200, "image/png", b"")


def test_those_who_may_not_view_the_file_get_what_they_get_for_the_file(
    charter_app, db_connection, make_user, docs, stored_file, dbsession, testapp
):
    secret = stored_file(docs, "secret.png", encoded(Image.new("L", (10, 10)), "PNG"))
    SharingService(dbsession).update(secret, {}, inherit=False)
    dbsession.flush()
    anonymous = webtest.TestApp(
        charter_app,
        extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
    )
    outsider = login_as(
        webtest.TestApp(
            charter_app,
            extra_environ={TEST_CONNECTION_ENVIRON_KEY: db_connection, "HTTP_HOST": "example.com"},
        ),
        make_user("olga"),
    )

    for app in (outsider, testapp, anonymous):
        download = app.get("/docs/secret.png/@@download", status="*")
        thumbnail = app.get("/docs/secret.png/@@thumbnail", status="*")
        assert download.status_int in (302, 403, 404)
        assert thumbnail.status_int == download.status_int
        # Someone not logged in is sent to log in, and back to what they asked for.
        location = download.headers.get("Location", "").replace("download", "thumbnail")
        assert thumbnail.headers.get("Location", "") == location
        assert not thumbnail.content_type.startswith("image/")


def test_a_trashed_file_has_no_thumbnail_and_a_purged_ones_goes(
    testapp, docs, stored_file, content, dbsession, thumbnails
):
    node = stored_file(docs, "chart.png", encoded(Image.new("L", (13, 7), 99), "PNG"))
    testapp.get("/docs/chart.png/@@thumbnail")
    sha256 = node.blob_sha256

    entry = TrashService(dbsession).trash(node)
    dbsession.flush()

    testapp.get("/docs/chart.png/@@thumbnail", status=404)
    assert thumbnails.path(sha256).exists()  # restoring brings it back as it was
    # The store is shared by the tests: only this thumbnail's fate is looked at.
    assert sha256 not in dict(thumbnails.collect_garbage({sha256}, dry_run=True))

    TrashService(dbsession).purge(entry.id)
    dbsession.flush()

    # What charter-blobs gc does once no file or revision names the blob.
    assert sha256 in dict(thumbnails.collect_garbage(set(), dry_run=True))
    assert thumbnails.path(sha256).exists()
    assert sha256 in dict(thumbnails.collect_garbage(set()))
    assert not thumbnails.path(sha256).exists()


def test_the_contents_table_shows_thumbnails_of_images_only(testapp, docs, stored_file):
    stored_file(docs, "chart.png", encoded(Image.new("L", (10, 10)), "PNG"))
    stored_file(docs, "drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>')
    stored_file(docs, "notes.txt", b"Minutes.\n")

    page = testapp.get("/docs/@@contents")

    images = page.html.select("#contents-table img.content-thumbnail")
    assert [image["src"] for image in images] == [SITE + "/docs/chart.png/@@thumbnail"]
    image = images[0]
    assert (image["width"], image["height"], image["loading"], image["alt"]) == (
        "48",
        "48",
        "lazy",
        "Thumbnail of “chart.png”",
    )


def test_a_thumbnail_costs_the_queries_a_download_costs(testapp, docs, stored_file, query_recorder):
    stored_file(docs, "dot.png", encoded(Image.new("L", (10, 10), 7), "PNG"))

    with query_recorder.record() as first:
        testapp.get("/docs/dot.png/@@thumbnail")
    with query_recorder.record() as again:
        testapp.get("/docs/dot.png/@@thumbnail")
    with query_recorder.record() as download:
        testapp.get("/docs/dot.png/@@download")

    # The lineage (with the file's own columns) and the identity.
    assert len(first) == len(again) == len(download) == 2
