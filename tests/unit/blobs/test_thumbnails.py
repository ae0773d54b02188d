"""Scaling an image blob to its thumbnail (charter.blobs.thumbnails.scale): the pixel limit
is checked from the header, before decoding; only the allow-listed decoders are used."""

import io

import pytest
from PIL import Image

from charter.blobs.thumbnails import scale


def encoded(image, kind):
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def test_an_image_of_exactly_the_limit_is_scaled_one_pixel_more_is_not():
    data = encoded(Image.new("RGB", (200, 100), "red"), "PNG")

    assert scale(io.BytesIO(data), "image/png", max_source_pixels=20_000) is not None
    assert scale(io.BytesIO(data), "image/png", max_source_pixels=19_999) is None


def test_the_limit_is_checked_before_anything_is_decoded(monkeypatch):
    data = encoded(Image.new("RGB", (200, 100), "red"), "PNG")

    def never(*args, **kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(Image.Image, "load", never)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", never)

    assert scale(io.BytesIO(data), "image/png", max_source_pixels=19_999) is None


@pytest.mark.parametrize(
    ("kind", "claimed"),
    [
        ("BMP", "image/png"),  # a format Pillow reads, under a type it is not
        ("TIFF", "image/jpeg"),
        ("PNG", "image/gif"),
        ("PNG", "image/svg+xml"),  # not on the list at all
        ("PNG", "image/bmp"),
    ],
)
def test_only_the_decoder_of_the_sniffed_type_is_used(kind, claimed):
    data = encoded(Image.new("RGB", (20, 10), "red"), kind)

    assert scale(io.BytesIO(data), claimed, max_source_pixels=10_000) is None


def test_a_palette_png_with_transparency_keeps_it():
    image = Image.new("P", (40, 40), 0)
    image.info["transparency"] = 0
    data = encoded(image, "PNG")

    thumbnail = Image.open(io.BytesIO(scale(io.BytesIO(data), "image/png", 10_000)))

    assert (thumbnail.mode, thumbnail.getpixel((0, 0))[3]) == ("RGBA", 0)
