"""``/image``: classify a product photo with both models, side by side; ``/image/etude``: the
comparison study; ``POST /api/v1/vision/classify``: the same classification as JSON.

The page answers in two steps when htmx sends the photo: the predictions and the overlays
that come with the forward pass (ViT attention rollout, EfficientNet CAM) at once, then each
model's occlusion overlay (25 more forward passes, most of the time) in a request of its own
to ``POST /image/occlusion``, which the result partial makes by itself. Uploads are never
stored, so that request posts the photo back, as the models see it (the 224 px PNG the
result already shows), with the model and the predicted class. A plain form post (no
JavaScript) still gets everything in one page.

Public (no login) and rate-limited per address (``webapp/settings.py``):
``PAD_VISION_RATE_LIMIT`` (default ``30 per minute``) is shared by the page's uploads and the
JSON API; ``PAD_VISION_OVERLAY_RATE_LIMIT`` (default ``60 per minute``: the two occlusion
overlays of each of those 30 photos) is the occlusion requests' own budget, so that the
second step neither eats the visitors' photos nor goes unlimited (it is the costly step).
Uploads are read in memory and never stored. On top of the per-address limits,
``PAD_VISION_GLOBAL_RATE_LIMIT`` bounds what all visitors together may ask for, and at most
``PAD_VISION_CONCURRENCY`` photos are decoded and classified at once in a worker (the others
wait their turn, then get a 503), so that a worker's memory stays bounded whatever the number
of uploaders; after each photo request the freed memory is handed back to the system.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
)
from flask_babel import gettext as _

from ml.serving.vision import IMAGE_SIZE

from ..accounts.access import public
from ..extensions import csrf, limiter
from ..model_store import models
from ..ui.htmx import render, wants_partial
from .categories import category_name, category_names
from .gallery import gallery_items, gallery_path, thumbnail
from .memory import release_freed_memory
from .overlays import png_data_uri
from .photo_input import PhotoError, read_model_input, read_photo
from .presentation import classification_view, overlay_view, refusal_message, refusal_status
from .study import study_view
from .study_small_vit import small_vit_view

bp = Blueprint("vision", __name__)


def rate_limit() -> str:
    """The shared limit of the upload endpoints."""
    return current_app.config["PAD_VISION_RATE_LIMIT"]


def overlay_rate_limit() -> str:
    """The occlusion overlays' own limit."""
    return current_app.config["PAD_VISION_OVERLAY_RATE_LIMIT"]


def global_rate_limit() -> str:
    """The limit of every visitor together (all addresses)."""
    return current_app.config["PAD_VISION_GLOBAL_RATE_LIMIT"]


_limited = limiter.shared_limit(rate_limit, scope="vision-classify", methods=["POST"])
_overlay_limited = limiter.shared_limit(overlay_rate_limit, scope="vision-overlay",
                                        methods=["POST"])
_globally_limited = limiter.shared_limit(global_rate_limit, scope="vision-all",
                                         key_func=lambda: "everyone", methods=["POST"])
_slots: dict[int, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()
#: How long a photo waits for a free slot before the answer is "busy, retry".
SLOT_WAIT_SECONDS = 20


class Busy(RuntimeError):
    """Every slot of this worker stayed taken for :data:`SLOT_WAIT_SECONDS`."""


@contextmanager
def _photo_slot() -> Iterator[None]:
    """One of the worker's ``PAD_VISION_CONCURRENCY`` slots for decoding and classifying."""
    size = max(1, int(current_app.config["PAD_VISION_CONCURRENCY"]))
    with _slots_lock:
        slot = _slots.setdefault(size, threading.BoundedSemaphore(size))
    if not slot.acquire(timeout=SLOT_WAIT_SECONDS):
        raise Busy()
    try:
        yield
    finally:
        slot.release()


@bp.after_request
def _hand_memory_back(response: Response) -> Response:
    """The photo's buffers are freed by now: return them to the system (glibc keeps freed
    memory in its arenas otherwise, 0.6 GB per worker after a few large photos)."""
    if request.method == "POST":
        release_freed_memory()
    return response


def _busy_message() -> str:
    return _("Le service d'image est très sollicité : réessayez dans quelques secondes.")


def _limits() -> dict[str, int]:
    config = current_app.config
    return {"max_bytes": int(config["PAD_VISION_MAX_BYTES"]),
            "max_pixels": int(config["PAD_VISION_MAX_PIXELS"]),
            "max_decoded_pixels": int(config["PAD_VISION_MAX_FULL_DECODE_PIXELS"])}


def _photo_from_request() -> tuple[bytes, str]:
    """The uploaded bytes (field ``photo``) or a gallery photo's (field ``gallery``)."""
    upload = request.files.get("photo")
    if upload is not None and upload.filename:
        return upload.read(), upload.filename
    name = request.form.get("gallery", "")
    if name:
        return gallery_path(name).read_bytes(), name
    if upload is not None:  # a file field sent empty
        return b"", ""
    raise PhotoError("missing")


def _page_context(**extra: Any) -> dict[str, Any]:
    loaded = models()
    gallery = [{"name": name, "label": label,
                "label_shown": category_name(label) if label else None}
               for name, label in gallery_items()]
    return {"gallery": gallery, "available": loaded.vision is not None,
            "limits": _limits(), "result": None, "error": None, **extra}


@bp.get("/image")
@public
def image_page():
    """The upload form and the gallery; 503 when the models are not loaded."""
    context = _page_context()
    return render("vision/image.html", "vision/_result.html",
                  status=200 if context["available"] else 503, **context)


@bp.post("/image")
@public
@_globally_limited
@_limited
def classify_page():
    """Classify the photo; htmx gets the result partial at once, its occlusion overlays to
    follow (:func:`occlusion_overlay`); a plain form post gets the whole page, complete."""
    loaded = models()
    if loaded.vision is None:
        return render("vision/image.html", "vision/_result.html", status=503,
                      **_page_context(error=_("Les modèles d'image ne sont pas chargés. "
                                              "Réessayez plus tard.")))
    try:
        with _photo_slot():
            data, name = _photo_from_request()
            photo = read_photo(data, **_limits())
            del data
            outcome = loaded.vision.classify(photo.image, saliency=True,
                                             occlusion=not wants_partial())
            view = classification_view(loaded.vision, photo.image, outcome, name)
    except PhotoError as refused:
        return render("vision/image.html", "vision/_result.html",
                      status=refusal_status(refused.reason),
                      **_page_context(error=refusal_message(refused.reason, _limits())))
    except Busy:
        return render("vision/image.html", "vision/_result.html", status=503,
                      **_page_context(error=_busy_message()))
    return render("vision/image.html", "vision/_result.html", **_page_context(result=view))


@bp.post("/image/occlusion")
@public
@_globally_limited
@_overlay_limited
def occlusion_overlay():
    """One model's occlusion overlay (a figure partial) for the photo a result posts back.

    Form fields: ``photo`` (the 224 px PNG data URI of the result), ``model`` and ``label``
    (the predicted class). Everything is checked as an upload is; a refusal is a 4xx with
    its message in place of the overlay.
    """
    loaded = models()
    if loaded.vision is None:
        return _overlay_refused(503, _("Les modèles d'image ne sont pas chargés. "
                                       "Réessayez plus tard."))
    model, label = request.form.get("model", ""), request.form.get("label", "")
    if model not in loaded.vision.sessions:  # an allow-list, like every field below
        return _overlay_refused(400, _("Modèle inconnu : la carte d'occlusion ne peut pas "
                                       "être calculée."))
    if label not in loaded.vision.labels:
        return _overlay_refused(400, _("Catégorie inconnue : la carte d'occlusion ne peut "
                                       "pas être calculée."))
    try:
        with _photo_slot():
            photo = read_model_input(request.form.get("photo", ""), IMAGE_SIZE, **_limits())
            saliency = loaded.vision.occlusion(photo.image, model, label)
    except PhotoError as refused:
        return _overlay_refused(refusal_status(refused.reason),
                                refusal_message(refused.reason, _limits()))
    except Busy:
        return _overlay_refused(503, _busy_message())
    overlay = overlay_view("occlusion", saliency, label, model)
    return render_template("vision/_overlay.html", overlay=overlay,
                           photo=png_data_uri(photo.image), model_id=model)


def _overlay_refused(status: int, message: str) -> tuple[str, int]:
    return render_template("vision/_overlay.html", error=message), status


@bp.get("/image/galerie/<name>")
@public
def gallery_photo(name: str):
    """A gallery photo as a small JPEG thumbnail."""
    response: Response = send_file(thumbnail(gallery_path(name)), mimetype="image/jpeg",
                                   max_age=86400)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/image/etude")
@public
def study_page():
    """The comparison study of the two classifiers, from ``report.json``."""
    loaded = models()
    if loaded.vision is None or not loaded.vision.report:
        return render("vision/study.html", "vision/study.html", status=503, study=None)
    return render("vision/study.html", "vision/study.html",
                  study=study_view(loaded.vision.report, loaded.vision.metadata),
                  small_vit=small_vit_view(loaded.vision.report))


@bp.post("/api/v1/vision/classify")
@public
@_globally_limited
@_limited
def api_classify():
    """JSON: ``{"models": {name: {"label", "label_text", "top5", "ms"}}, "agree",
    "uncertain", "uncertainty": {"reasons", "rule"}}``; 4xx ``{"error"}``. ``label_text`` is
    the category in the language of ``?lang=`` (``fr``, the default, or ``en``)."""
    loaded = models()
    if loaded.vision is None:
        return jsonify({"error": "the image models are not loaded", "status": 503}), 503
    upload = request.files.get("photo")
    if upload is None:
        return jsonify({"error": "send the photo as the multipart field 'photo'",
                        "status": 400}), 400
    language = "en" if request.args.get("lang") == "en" else "fr"
    try:
        with _photo_slot():
            photo = read_photo(upload.read(), **_limits())
            outcome = loaded.vision.classify(photo.image, saliency=False,
                                             label_names=category_names(language))
    except PhotoError as refused:
        status = refusal_status(refused.reason)
        return jsonify({"error": refusal_message(refused.reason, _limits()),
                        "reason": refused.reason, "status": status}), status
    except Busy:
        return jsonify({"error": "the image service is busy: retry in a few seconds",
                        "status": 503}), 503
    return jsonify({
        "models": {name: {"label": entry["label"], "label_text": entry["label_text"],
                          "top5": [[label, round(float(p), 6)] for label, p in entry["top5"]],
                          "ms": round(float(entry["ms"]), 2)}
                   for name, entry in outcome["models"].items()},
        "agree": bool(outcome["agree"]),
        "uncertain": bool(outcome["uncertain"]),
        "uncertainty": outcome["uncertainty"],
    })


csrf.exempt(api_classify)  # no session, no cookie-borne authority: nothing to forge


# The evaluation of a folder of photos (its own module, on this blueprint).
from . import evaluation as _evaluation  # noqa: E402,F401
