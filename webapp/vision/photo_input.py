"""Turn untrusted uploaded bytes into a safe RGB photo, or refuse them with a reason.

The type is read from the content (magic bytes), never from the file name or the declared
content type. Only JPEG, PNG and WebP are accepted. The pixel count is checked from the
header, before any pixel is decoded, so that a decompression bomb costs nothing. Animated
images (GIF, APNG, animated WebP) are refused rather than silently cut to one frame: the
user learns the classifier sees one still photo. EXIF orientation is applied; grayscale,
16-bit, palette, RGBA and CMYK photos become plain 8-bit RGB (transparency over white, the
background of the catalogue's photos). Nothing is written to disk.

Bounded cost: the models see 224 px, so a photo is brought down to :data:`WORK_SIDE` px (its
longest side) as it is decoded. A JPEG is decoded at a reduced scale by libjpeg itself
(``draft``: 1/2, 1/4 or 1/8), so a 40-megapixel JPEG costs about what a 2-megapixel one does;
PNG and WebP cannot be decoded at a reduced scale, so their pixel count has its own, lower
ceiling (``max_decoded_pixels``): a 6300×6300 PNG of 38 kB used to hold a worker's gigabyte.
Every later step (orientation, colour conversion, the models' preprocessing) works on the
reduced photo.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ml.serving.vision_archive import sniff_format as accepted_format

from .overlays import PNG_DATA_URI_PREFIX

#: Default limits (the web app reads its own from the environment).
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
#: The most pixels decoded at full scale (PNG, WebP; a JPEG after its reduced-scale decoding):
#: 16 MP is 64 MB at Pillow's 4 bytes a pixel (twice that while a transparent photo is
#: reduced, Pillow premultiplying its alpha on a copy).
MAX_DECODED_PIXELS = 16_000_000
#: The longest side of the photo handed on (the models see 224 px; the page shows 224 px).
WORK_SIDE = 1024
MIN_SIDE = 16

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP")
WHITE = (255, 255, 255)


class PhotoError(ValueError):
    """An upload that is not a usable photo; ``reason`` is a stable code for the message."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Photo:
    """A decoded, upright, 8-bit RGB photo and what it was."""

    image: Image.Image
    format: str
    width: int
    height: int


def sniff_format(data: bytes) -> str:
    """The format named by the first bytes: ``JPEG``, ``PNG``, ``WEBP`` or what it is not.

    Returns one of the accepted formats, or a refusal code (``empty``, ``gif``, ``pdf``,
    ``svg``, ``unknown``).
    """
    if not data:
        return "empty"
    accepted = accepted_format(data)
    if accepted is not None:
        return accepted
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data.lstrip()[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return "pdf"
    head = data[:4096].lower()
    if b"<svg" in head or (b"<?xml" in head and b"svg" in head):
        return "svg"
    return "unknown"


def _to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode as 8-bit RGB; transparency is laid over white."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        pixels = np.asarray(image, dtype=np.float64)
        peak = 65535.0 if image.mode.startswith("I;16") or pixels.max() > 255 else 255.0
        grey = np.clip(pixels / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(grey, mode="L").convert("RGB")
    if image.mode == "F":
        pixels = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L").convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, WHITE)
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    if image.mode == "CMYK":
        return image.convert("RGB")  # Pillow's naive conversion; inverted Adobe JPEGs are rare
    return image.convert("RGB")


def _scaled_request(width: int, height: int, side: int) -> tuple[int, int]:
    """The size to ask libjpeg for: the longest side at least ``side``, same proportions."""
    longest = max(width, height)
    if longest <= side:
        return width, height
    return max(1, round(width * side / longest)), max(1, round(height * side / longest))


def _shrink(image: Image.Image, side: int) -> Image.Image:
    """``image`` with its longest side at most ``side`` (unchanged when already smaller)."""
    if max(image.size) <= side:
        return image
    if image.mode in ("P", "PA", "1"):  # palettes cannot be averaged: to colours first
        image = image.convert("L") if image.mode == "1" else _to_rgb(image)
    factor = max(image.size) // side
    if factor >= 2 and not image.mode.startswith("I;16"):  # reduce() refuses 16-bit modes
        image = image.reduce(factor)  # a box average: fast, and no aliasing
    width, height = _scaled_request(*image.size, side)
    return image.resize((width, height), Image.Resampling.BICUBIC)  # at most 2x left


def _upright(image: Image.Image, orientation: int) -> Image.Image:
    """Apply the EXIF orientation read before the photo was reduced."""
    transposes = {2: [Image.Transpose.FLIP_LEFT_RIGHT], 3: [Image.Transpose.ROTATE_180],
                  4: [Image.Transpose.FLIP_TOP_BOTTOM], 5: [Image.Transpose.TRANSPOSE],
                  6: [Image.Transpose.ROTATE_270], 7: [Image.Transpose.TRANSVERSE],
                  8: [Image.Transpose.ROTATE_90]}
    for method in transposes.get(orientation, []):
        image = image.transpose(method)
    return image


def read_photo(data: bytes, max_bytes: int = MAX_BYTES, max_pixels: int = MAX_PIXELS,
               min_side: int = MIN_SIDE, max_decoded_pixels: int = MAX_DECODED_PIXELS,
               work_side: int = WORK_SIDE) -> Photo:
    """Decode ``data`` into a :class:`Photo` (longest side at most ``work_side``), or raise
    :class:`PhotoError`.

    Reasons: ``empty``, ``too_large`` (bytes), ``gif``, ``pdf``, ``svg``, ``unknown``
    (not an accepted type), ``too_many_pixels`` (bomb, checked before decoding),
    ``too_many_pixels_full`` (more than ``max_decoded_pixels`` that cannot be decoded at a
    reduced scale: PNG, WebP, an extreme JPEG), ``too_small``, ``animated``, ``corrupt``
    (truncated or unreadable).
    """
    if len(data) > max_bytes:
        raise PhotoError("too_large", f"{len(data)} bytes > {max_bytes}")
    kind = sniff_format(data)
    if kind not in ACCEPTED_FORMATS:
        raise PhotoError(kind)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise PhotoError("too_many_pixels", str(error)) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise PhotoError("corrupt", str(error)) from error
    width, height = image.size  # from the header: nothing decoded yet
    if width * height > max_pixels:
        raise PhotoError("too_many_pixels", f"{width}x{height}")
    if min(width, height) < min_side:
        raise PhotoError("too_small", f"{width}x{height}")
    if getattr(image, "is_animated", False) and getattr(image, "n_frames", 1) > 1:
        raise PhotoError("animated")
    try:
        if kind == "JPEG":  # libjpeg decodes at 1/2, 1/4 or 1/8 scale: nothing more is read
            image.draft(image.mode, _scaled_request(width, height, work_side))
        if image.size[0] * image.size[1] > max_decoded_pixels:
            raise PhotoError("too_many_pixels_full", f"{width}x{height} {kind}")
        image.load()
        # After load: reading a PNG's EXIF decodes it (its eXIf chunk may follow the pixels).
        orientation = int(image.getexif().get(0x0112, 1) or 1)
        rgb = _to_rgb(_upright(_shrink(image, work_side), orientation))
    except PhotoError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, TypeError) as error:
        # Pillow reports a truncated file as OSError("image file is truncated ...").
        raise PhotoError("corrupt", str(error)) from error
    finally:
        image.close()
    return Photo(image=rgb, format=kind, width=rgb.width, height=rgb.height)


def read_model_input(data_uri: str, size: int, max_bytes: int = MAX_BYTES,
                     max_pixels: int = MAX_PIXELS,
                     max_decoded_pixels: int = MAX_DECODED_PIXELS) -> Photo:
    """The photo a result page posts back (the models' ``size``×``size`` input, a PNG data
    URI), decoded with the same checks as any upload, or :class:`PhotoError`.

    Reasons, besides :func:`read_photo`'s: ``malformed`` (not a base64 PNG data URI, or
    bytes that are not a PNG), ``input_too_large`` (more bytes than any ``size``×``size``
    PNG of 8 bytes a pixel needs, checked before decoding: a huge string costs nothing) and
    ``wrong_size`` (not ``size``×``size``).
    """
    if not data_uri:
        raise PhotoError("missing")
    if not data_uri.startswith(PNG_DATA_URI_PREFIX):
        raise PhotoError("malformed", "not a PNG data URI")
    encoded = data_uri[len(PNG_DATA_URI_PREFIX):]
    largest = min(max_bytes, 8 * size * size + 4096)  # 16-bit RGBA, uncompressed, and chunks
    if len(encoded) > 4 * (largest // 3 + 1):
        raise PhotoError("input_too_large", f"{len(encoded)} base64 characters")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise PhotoError("malformed", str(error)) from error
    if sniff_format(data) not in ("PNG", "empty"):  # the page only ever sends PNG
        raise PhotoError("malformed", f"{sniff_format(data)} bytes")
    photo = read_photo(data, max_bytes=largest, max_pixels=max_pixels,
                       max_decoded_pixels=max_decoded_pixels)
    if (photo.width, photo.height) != (size, size):
        raise PhotoError("wrong_size", f"{photo.width}x{photo.height}")
    return photo
