"""Safe decoding of uploaded photos: every hostile file is refused with its reason, every
real photo comes out upright, 8-bit RGB."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from webapp.vision.photo_input import PhotoError, read_photo, sniff_format


@pytest.mark.parametrize("name", ["truncated_jpeg", "empty", "noise_20mb", "png_bomb_90mp",
                                  "svg_with_script", "pdf_renamed_jpg", "gif_animation",
                                  "one_pixel", "text_named_png"])
def test_hostile_file_is_refused_with_its_reason(hostile_files, name):
    data, _, reason = hostile_files[name]
    with pytest.raises(PhotoError) as refused:
        read_photo(data)
    assert refused.value.reason == reason


def test_bomb_is_refused_from_the_header_before_decoding(hostile_files, monkeypatch):
    data, _, _ = hostile_files["png_bomb_90mp"]
    monkeypatch.setattr(Image.Image, "load", lambda self: pytest.fail("decoded a bomb"))
    with pytest.raises(PhotoError, match="too_many_pixels"):
        read_photo(data)


def test_pixel_limit_is_a_parameter(photo_bytes):
    with pytest.raises(PhotoError, match="too_many_pixels"):
        read_photo(photo_bytes(size=(400, 300)), max_pixels=100_000)


def test_type_comes_from_the_content_not_the_name(photo_bytes):
    assert sniff_format(photo_bytes(fmt="PNG")) == "PNG"
    assert sniff_format(photo_bytes(fmt="WEBP")) == "WEBP"
    assert sniff_format(b"%PDF-1.7 ...") == "pdf"


@pytest.mark.parametrize("mode,fmt", [("RGB", "JPEG"), ("L", "JPEG"), ("CMYK", "JPEG"),
                                      ("RGBA", "PNG"), ("P", "PNG"), ("LA", "PNG"),
                                      ("RGB", "WEBP"), ("RGBA", "WEBP")])
def test_every_mode_becomes_rgb(photo_bytes, mode, fmt):
    photo = read_photo(photo_bytes(mode=mode, fmt=fmt))
    assert photo.image.mode == "RGB" and photo.image.size == (320, 240)
    assert photo.format == fmt


def test_sixteen_bit_png_is_scaled_not_clipped():
    grey = (np.linspace(0, 65535, 64 * 64).reshape(64, 64)).astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(grey).save(buffer, "PNG")
    photo = read_photo(buffer.getvalue())
    pixels = np.asarray(photo.image)
    assert photo.image.mode == "RGB"
    assert pixels.min() == 0 and pixels.max() == 255  # the full range, not all white


def test_transparency_is_laid_over_white():
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 40), (0, 0, 0, 0)).save(buffer, "PNG")
    assert np.asarray(read_photo(buffer.getvalue()).image).min() == 255


def test_exif_orientation_is_applied(photo_bytes):
    image = Image.open(io.BytesIO(photo_bytes(size=(320, 240))))
    exif = image.getexif()
    exif[0x0112] = 6  # rotated 90° clockwise
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert read_photo(buffer.getvalue()).image.size == (240, 320)


def test_byte_limit(photo_bytes):
    with pytest.raises(PhotoError, match="too_large"):
        read_photo(photo_bytes(), max_bytes=100)
