"""MIME sniffing: the bytes decide, the file name at most breaks a tie."""

import io
import struct
import zipfile
import zlib

import pytest

from charter.blobs.sniffing import SNIFF_BYTES, looks_like_text, sniff


def png_image():
    """A valid 1x1 grey PNG."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def jpeg_image():
    """The start of a JFIF JPEG: SOI, then the APP0 segment."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xdb\x00C\x00"


def pdf_document():
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def zip_archive():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "filename", "expected"),
    [
        (png_image(), "photo.png", "image/png"),
        (png_image(), None, "image/png"),
        (jpeg_image(), "photo.jpg", "image/jpeg"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00", "anim.gif", "image/gif"),
        (pdf_document(), "report.pdf", "application/pdf"),
        (pdf_document(), None, "application/pdf"),
        ("Grüße aus Köln\nZeile zwei\n".encode(), "notes.txt", "text/plain"),
        (b"name,amount\nalice,3\n", "data.csv", "text/plain"),
        (bytes(range(256)) * 8, "data.bin", "application/octet-stream"),
        (bytes(range(256)) * 8, None, "application/octet-stream"),
    ],
)
def test_the_bytes_decide(content, filename, expected):
    assert sniff(content, filename) == expected


def test_a_png_named_txt_is_still_a_png():
    assert sniff(png_image(), "innocent.txt") == "image/png"


def test_text_named_png_is_text():
    assert sniff(b"just some words", "picture.png") == "text/plain"


def test_binary_junk_named_pdf_is_not_a_pdf():
    assert sniff(bytes(range(256)) * 8, "report.pdf") == "application/octet-stream"


def test_html_is_recognised_whatever_its_name():
    # The download view decides how to serve it; the sniffer only tells the truth.
    assert sniff(b"<!DOCTYPE html><html><script>alert(1)</script>", "notes.txt") == "text/html"


def test_the_name_chooses_among_formats_with_the_same_signature():
    archive = zip_archive()

    assert sniff(archive, "backup.zip") == "application/zip"
    assert sniff(archive, "budget.xlsx") == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )


def test_a_short_signature_in_text_is_a_coincidence():
    # "BM" starts a Windows bitmap, and "ID3" an MP3, but these are letters.
    assert sniff(b"BM: the board meeting moves to Friday.", "memo") == "text/plain"
    assert sniff(b"ID3 is our third idea.", None) == "text/plain"


def test_a_nul_byte_makes_it_binary():
    assert sniff(b"looks like text\x00but is not", "x.txt") == "application/octet-stream"


def test_text_cut_in_the_middle_of_a_character_is_still_text():
    text = ("é" * SNIFF_BYTES).encode()

    assert len(text) > SNIFF_BYTES
    assert sniff(text[: SNIFF_BYTES - 1], None) == "text/plain"
    assert sniff(text, None) == "text/plain"


def test_only_the_first_bytes_are_looked_at():
    assert sniff(b"a" * SNIFF_BYTES + b"\x00\xff\xfe", None) == "text/plain"


def test_empty_content_is_text():
    assert sniff(b"", "empty.bin") == "text/plain"


@pytest.mark.parametrize(
    ("head", "textual"),
    [
        (b"plain ascii\r\n\tindented\x0c", True),
        ("naïve café".encode(), True),
        (b"\x1b[31mred log line\x1b[0m", True),
        ("Latin-1 café au lait".encode("latin-1"), False),
        (b"bell\x07", False),
        ("utf-16".encode("utf-16"), False),
    ],
)
def test_looks_like_text(head, textual):
    assert looks_like_text(head) is textual
