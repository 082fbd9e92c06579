"""Shared fixtures: a small real credit model, the app on a throwaway database built by the
migrations (SQLite, or PostgreSQL: ``tests/backends.py``), users of every role, and a seeded
set of real applications.

- ``credit_artifacts``: a small real model trained once per session (about a minute), or the
  model folder named by ``PAD_TEST_ARTIFACTS_DIR`` (to iterate faster locally).
- ``app``: session-wide, schema from ``flask_migrate.upgrade()``; ``SEEDED_CLIENTS`` rows of
  ``application_test_sample.csv`` imported through the real import service.
- ``client``: an anonymous test client; ``login_as(role)``: a signed-in one.
- ``db``: the SQLAlchemy handle inside an app context.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from flask.testing import FlaskClient

os.environ.setdefault("PAD_ENV", "testing")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")

# The database backend (SQLite, or PostgreSQL with PAD_TEST_DATABASE_URL): tests/backends.py.
pytest_plugins = ("tests.backends",)

SEEDED_CLIENTS = 300
PASSWORD = "correct horse battery staple"
USERS = {"advisor": "advisor@example.com", "admin": "admin@example.com"}
_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own app context (and so its own ``g``),
    as in production, even while a test holds an app context for the ``db`` fixture."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def credit_artifacts(tmp_path_factory) -> Path:
    """A real (small) credit model: trained once per session on a stratified subset."""
    configured = os.environ.get("PAD_TEST_ARTIFACTS_DIR")
    if configured:
        return Path(configured)
    from ml.credit.train import TrainConfig, train

    out = tmp_path_factory.mktemp("artifacts")
    train(None, out, TrainConfig(max_rows=3000, n_folds=2, search_trials=1, search_folds=2,
                                 importance_sample=300, max_rounds=200,
                                 early_stopping_rounds=20), progress=False)
    return out


@pytest.fixture(scope="session")
def seed_csv(tmp_path_factory) -> Path:
    """The first ``SEEDED_CLIENTS`` real applications awaiting a decision, as a CSV."""
    from ml.config import credit_data_dir

    source = credit_data_dir() / "application_test_sample.csv"
    path = tmp_path_factory.mktemp("seed") / "seed.csv"
    pd.read_csv(source, nrows=SEEDED_CLIENTS).to_csv(path, index=False)
    return path


@pytest.fixture(scope="session")
def app(credit_artifacts, seed_csv, database_url):
    """The application on a throwaway database built by the Alembic migrations."""
    import flask_migrate

    from webapp import create_app
    from webapp.extensions import db as database
    from webapp.models_registry import models
    from webapp.services.client_import import import_applications
    from webapp.services.users import create_user

    application = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "PAD_ARTIFACTS_DIR": str(credit_artifacts),
        "RATELIMIT_STORAGE_URI": "memory://",
    })
    application.test_client_class = IsolatedClient
    with application.app_context():
        flask_migrate.upgrade()
        for role, email in USERS.items():
            create_user(database.session, email, PASSWORD, role)
        database.session.commit()
        assert models().credit is not None, models().credit_error
        import_applications(database.session, seed_csv, models().credit)
    return application


@pytest.fixture
def db(app) -> Iterator:
    """The database handle, inside an app context."""
    from webapp.extensions import db as database

    with app.app_context():
        yield database
        database.session.remove()


@pytest.fixture(scope="session")
def user_emails() -> dict[str, str]:
    """Role -> e-mail of the seeded users (password ``PASSWORD``)."""
    return dict(USERS)


@pytest.fixture(scope="session")
def password() -> str:
    """The seeded users' password."""
    return PASSWORD


@pytest.fixture
def model(app):
    """The credit model the app loaded."""
    return app.extensions["pad_models"].credit


@pytest.fixture
def client(app):
    """An anonymous browser."""
    return app.test_client()


@pytest.fixture
def login_as(app) -> Callable:
    """``login_as("advisor")`` → a test client signed in with that role."""

    def sign_in(role: str):
        from webapp.extensions import db as database
        from webapp.models import User

        browser = app.test_client()
        with app.app_context():
            user = database.session.query(User).filter_by(email=USERS[role]).one()
            user_id = user.id
        with browser.session_transaction() as session:
            session["_user_id"] = str(user_id)
            session["_fresh"] = True
        return browser

    return sign_in


@pytest.fixture
def csrf_token() -> Callable:
    """``csrf_token(browser)`` → a valid CSRF token for that browser's session."""

    def fetch(browser, url: str = "/login") -> str:
        page = browser.get(url, follow_redirects=True).get_data(as_text=True)
        match = _CSRF.search(page) or re.search(r'"X-CSRFToken": "([^"]+)"', page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    return fetch


@pytest.fixture
def seeded_ids(db) -> list[int]:
    """IDs of the seeded clients, in order."""
    from webapp.models import Client

    return [row[0] for row in db.session.query(Client.sk_id_curr)
            .filter(Client.source == "import:seed.csv").order_by(Client.sk_id_curr)]


# --- vision (issue 5) -------------------------------------------------------------------

VISION_LABELS = ["Baby Care", "Beauty and Personal Care", "Computers",
                 "Home Decor & Festive Needs", "Home Furnishing", "Kitchen & Dining", "Watches"]


class _StubVisionSession:
    """Stands in for an onnxruntime session (same inputs and outputs, cheap arithmetic):
    the real serving code (preprocessing, top-5, occlusion, rollout/CAM maps) runs on it,
    without training a model in the web tests. Darker, redder photos lean to later labels."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def run(self, names, feeds):
        import numpy as np

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


@pytest.fixture(scope="session")
def vision_models(app):
    """Vision models installed into the session app: the real ``VisionModels`` serving code
    over stub sessions, with a real ``report.json`` (``tests/data/vision_report.json``)."""
    import json

    from ml.serving.vision import VisionModels

    report = json.loads((Path(__file__).parent / "data" / "vision_report.json").read_text())
    metadata = {"format_version": 1, "version": "test", "labels": VISION_LABELS,
                "models": {"vit": {"file": "vit.onnx", "saliency": "rollout",
                                   "architecture": "DINOv2 ViT-S/14 + DeiT token"},
                           "efficientnet": {"file": "efficientnet.onnx", "saliency": "cam",
                                            "architecture": "EfficientNet-Lite0"}}}
    models = VisionModels(version="test", labels=list(VISION_LABELS), report=report,
                          metadata=metadata,
                          sessions={"vit": _StubVisionSession("vit"),
                                    "efficientnet": _StubVisionSession("efficientnet")})
    loaded = app.extensions["pad_models"]
    loaded.vision, loaded.vision_error = models, None
    from ml.config import vision_data_dir

    images = vision_data_dir() / "images"
    loaded.extra["vision_gallery"] = sorted(p.name for p in images.glob("*.jpg"))[:4] \
        if images.is_dir() else []
    # The whole suite shares one address: a limit that only the rate-limit test reaches.
    app.config["PAD_VISION_RATE_LIMIT"] = "10000 per minute"
    app.config["PAD_VISION_OVERLAY_RATE_LIMIT"] = "10000 per minute"
    return models


@pytest.fixture(scope="session")
def tiny_vision_models(tmp_path_factory) -> tuple[Path, dict]:
    """Both real classifiers trained for one epoch on 56 real photos (8 per class) and
    exported to ONNX, once per test session (tens of seconds): ``(folder, report)``. Shared by
    the serving tests and the end-to-end test over real models; skipped without the Flipkart
    data or the training dependencies."""
    import warnings

    from ml.config import vision_data_dir

    pytest.importorskip("keras")
    pytest.importorskip("onnxruntime")
    import ml.vision  # noqa: F401  (sets KERAS_BACKEND=torch before keras loads)
    from ml.vision import pipeline, train
    from ml.vision.data import CSV_NAME

    directory = vision_data_dir()
    if not (directory / CSV_NAME).is_file():
        pytest.skip("Flipkart data not available")
    out = tmp_path_factory.mktemp("vision-artifacts")
    config = train.TopConfig(epochs=1, head_epochs=2, vit_epochs=1, vit_mirror=False)
    with warnings.catch_warnings():
        # Keras 3.15's Variable.numpy() goes through an ``__array__`` without ``copy`` (numpy
        # 2.4 warns); torch's exporter warns about its own internals. Neither is ours to fix.
        warnings.filterwarnings("ignore", "__array__ implementation doesn't accept a copy "
                                "keyword", DeprecationWarning)
        warnings.filterwarnings("ignore", category=FutureWarning, module="torch")
        report = pipeline.run(directory, out, limit=8, config=config)
    return out, report


def _png_bomb(width: int, height: int) -> bytes:
    """A valid greyscale PNG of ``width``×``height`` black pixels, compressed to ~100 kB."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    compressor = zlib.compressobj(9)
    row = b"\x00" * (width + 1)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


@pytest.fixture(scope="session")
def photo_bytes():
    """``photo_bytes(mode, size, fmt, **save)``: an in-memory picture of a product-like
    shape (a dark disc on white)."""
    import io

    from PIL import Image, ImageDraw

    def make(mode: str = "RGB", size: tuple[int, int] = (320, 240), fmt: str = "JPEG",
             **save) -> bytes:
        image = Image.new("RGB", size, (255, 255, 255))
        ImageDraw.Draw(image).ellipse((size[0] // 4, size[1] // 4, 3 * size[0] // 4,
                                       3 * size[1] // 4), fill=(150, 40, 30))
        if mode != "RGB":
            image = image.convert(mode)
        buffer = io.BytesIO()
        image.save(buffer, fmt, **save)
        return buffer.getvalue()

    return make


@pytest.fixture(scope="session")
def hostile_files(photo_bytes):
    """name -> (bytes, file name, expected refusal reason) for the upload tests."""
    import io

    import numpy as np
    from PIL import Image

    jpeg = photo_bytes()
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    gif = io.BytesIO()
    frames[0].save(gif, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    rng = np.random.default_rng(0)
    return {
        "truncated_jpeg": (jpeg[: len(jpeg) // 2], "cut.jpg", "corrupt"),
        "empty": (b"", "empty.jpg", "empty"),
        "noise_20mb": (rng.integers(0, 256, 20 * 1024 * 1024, dtype=np.uint8).tobytes(),
                       "noise.jpg", "too_large"),
        "png_bomb_90mp": (_png_bomb(9500, 9500), "bomb.png", "too_many_pixels"),
        "svg_with_script": (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
                            b"<script>alert(1)</script></svg>", "image.svg", "svg"),
        "pdf_renamed_jpg": (b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n",
                            "photo.jpg", "pdf"),
        "gif_animation": (gif.getvalue(), "anim.gif", "gif"),
        "one_pixel": (photo_bytes(size=(1, 1), fmt="PNG"), "dot.png", "too_small"),
        "text_named_png": (b"just some text, not a picture at all", "notes.png", "unknown"),
    }
