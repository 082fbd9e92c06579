"""Stand-ins of the vision domain: onnxruntime sessions replaced by cheap arithmetic, so that
the real serving code (preprocessing, top-5, occlusion, rollout/CAM maps) runs in the web
tests without training a model; and the pictures the upload tests send."""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

VISION_LABELS = ["Baby Care", "Beauty and Personal Care", "Computers",
                 "Home Decor & Festive Needs", "Home Furnishing", "Kitchen & Dining", "Watches"]
REPORT = Path(__file__).resolve().parents[2] / "data" / "vision_report.json"


class StubVisionSession:
    """Stands in for an onnxruntime session (same inputs and outputs, cheap arithmetic).
    Darker, redder photos lean to later labels."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def run(self, names, feeds):
        pixels = feeds["image"].astype(np.float64) / 255.0  # (N, 224, 224, 3)
        darkness = 1.0 - pixels.mean(axis=(1, 2, 3))
        red = pixels[..., 0].mean(axis=(1, 2)) - pixels[..., 2].mean(axis=(1, 2))
        ranks = np.arange(len(VISION_LABELS), dtype=np.float64)
        shift = 0.5 if self.kind == "efficientnet" else 0.0
        logits = -((ranks[None] - 6.0 * darkness[:, None] - 3.0 * red[:, None] - shift) ** 2)
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities = (probabilities / probabilities.sum(axis=1, keepdims=True))
        probabilities = probabilities.astype(np.float32)
        if names == ["probabilities"]:
            return [probabilities]
        grid = 16 if self.kind == "vit" else 7
        coarse = 1.0 - pixels.mean(axis=3)[:, ::224 // grid, ::224 // grid][:, :grid, :grid]
        if self.kind == "vit":
            return [probabilities, coarse.astype(np.float32)]
        cam = np.repeat(coarse[..., None], len(VISION_LABELS), axis=3).astype(np.float32)
        return [probabilities, cam]


def install_stub_models(app):
    """Install into ``app`` the real ``VisionModels`` serving code over stub sessions, with a
    real ``report.json`` (``tests/data/vision_report.json``) and a gallery of 4 real photos."""
    from ml.config import vision_data_dir
    from ml.serving.vision import VisionModels
    from webapp.vision.gallery import set_gallery

    report = json.loads(REPORT.read_text())
    metadata = {"format_version": 1, "version": "test", "labels": VISION_LABELS,
                "models": {"vit": {"file": "vit.onnx", "saliency": "rollout",
                                   "architecture": "DINOv2 ViT-S/14 + DeiT token"},
                           "efficientnet": {"file": "efficientnet.onnx", "saliency": "cam",
                                            "architecture": "EfficientNet-Lite0"}}}
    models = VisionModels(version="test", labels=list(VISION_LABELS), report=report,
                          metadata=metadata,
                          sessions={"vit": StubVisionSession("vit"),
                                    "efficientnet": StubVisionSession("efficientnet")})
    loaded = app.extensions["pad_models"]
    loaded.vision, loaded.vision_error = models, None
    images = vision_data_dir() / "images"
    set_gallery(app, sorted(p.name for p in images.glob("*.jpg"))[:4] if images.is_dir()
                else [])
    # The whole suite shares one address: a limit that only the rate-limit test reaches.
    app.config["PAD_VISION_RATE_LIMIT"] = "10000 per minute"
    app.config["PAD_VISION_OVERLAY_RATE_LIMIT"] = "10000 per minute"
    return models


def png_bomb(width: int, height: int) -> bytes:
    """A valid greyscale PNG of ``width``×``height`` black pixels, compressed to ~100 kB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def photo(mode: str = "RGB", size: tuple[int, int] = (320, 240), fmt: str = "JPEG",
          **save) -> bytes:
    """An in-memory picture of a product-like shape (a dark disc on white)."""
    image = Image.new("RGB", size, (255, 255, 255))
    ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, 3 * size[0] // 4,
                                   3 * size[1] // 4), fill=(150, 40, 30))
    if mode != "RGB":
        image = image.convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save)
    return buffer.getvalue()


def hostile_files() -> dict[str, tuple[bytes, str, str]]:
    """name -> (bytes, file name, expected refusal reason) for the upload tests."""
    jpeg = photo()
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    rng = np.random.default_rng(0)
    return {
        "truncated_jpeg": (jpeg[: len(jpeg) // 2], "cut.jpg", "corrupt"),
        "empty": (b"", "empty.jpg", "empty"),
        "noise_20mb": (rng.integers(0, 256, 20 * 1024 * 1024, dtype=np.uint8).tobytes(),
                       "noise.jpg", "too_large"),
        "png_bomb_90mp": (png_bomb(9500, 9500), "bomb.png", "too_many_pixels"),
        "svg_with_script": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
                            b"<script>alert(1)</script></svg>", "image.svg", "svg"),
        "pdf_renamed_jpg": (b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
                            "photo.jpg", "pdf"),
        "gif_animation": (gif.getvalue(), "anim.gif", "gif"),
        "one_pixel": (photo(size=(1, 1), fmt="PNG"), "dot.png", "too_small"),
        "text_named_png": (b"just some text, not a picture at all", "notes.png", "unknown"),
    }
