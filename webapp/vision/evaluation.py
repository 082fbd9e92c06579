"""``/image/evaluer``: a signed-in user evaluates the image models on a ZIP of labelled
photos (one folder per category, French or dataset names, or a CSV ``image,label`` inside).

The upload is checked in the request (``ml.serving.vision_archive``: size, member count,
zip bombs, paths leaving the folder, links, encryption, labels), before anything is stored;
a refused archive gets a 4xx and a message saying what to change. An accepted one is kept in
the database and evaluated by a job (``webapp.jobs.vision_eval``) on a worker; its page
(``/image/evaluer/<job>``) polls the progress, then shows the results, which are stored with
the job so that any web process shows them. Only the user who sent the archive and the
admins see an evaluation. Signed-in users only, and rate-limited: each archive costs minutes
of the worker's CPU. Limits: ``PAD_VISION_EVAL_MAX_BYTES``, ``PAD_VISION_EVAL_MAX_PHOTOS``,
``PAD_VISION_EVAL_RATE_LIMIT`` (``webapp/settings.py``).
"""

from __future__ import annotations

import secrets
from pathlib import PurePath

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from ..accounts.access import roles_required
from ..extensions import db, limiter
from ..jobs.models import ACTIVE_STATUSES, Job, JobResult
from ..jobs.queue import dispatch, job_queue, reap
from ..jobs.vision_eval import (
    KIND,
    evaluation_limits,
    record_vision_evaluation,
    store_archive,
)
from ..model_store import models
from ..ui.htmx import render
from .archive_messages import archive_message, archive_status
from .categories import CATEGORIES, category_aliases, category_name
from .evaluation_view import evaluation_view
from .routes import bp

#: An evaluation's own page lists the user's latest ones.
LISTED = 10
#: Room for the multipart envelope around the archive.
ENVELOPE_BYTES = 64 * 1024


def _rate_limit() -> str:
    return current_app.config["PAD_VISION_EVAL_RATE_LIMIT"]


def _max_bytes() -> int:
    return int(current_app.config["PAD_VISION_EVAL_MAX_BYTES"])


def _too_large() -> RequestEntityTooLarge:
    error = RequestEntityTooLarge()
    error.pad_message = _("L'archive dépasse %(mb)s Mo : rien n'a été enregistré. Envoyez "
                          "moins de photos à la fois.", mb=_max_bytes() // (1024 * 1024))
    return error


def allow_large_archive() -> None:
    """``before_request`` (after the access check, before CSRF reads the form): the archive
    may be up to ``PAD_VISION_EVAL_MAX_BYTES``; other requests keep the usual limit."""
    if request.endpoint == "vision.evaluate_upload" and request.method == "POST":
        limit = _max_bytes() + ENVELOPE_BYTES
        if request.content_length is not None and request.content_length > limit:
            raise _too_large()
        request.max_content_length = limit


def _may_see(job: Job) -> bool:
    return current_user.role == "admin" or job.created_by == current_user.email


def _latest() -> list[Job]:
    return list(db.session.scalars(
        select(Job).where(Job.kind == KIND, Job.created_by == current_user.email)
        .order_by(Job.id.desc()).limit(LISTED)))


def _form_page(status: int = 200, error: str | None = None, active: Job | None = None):
    loaded = models()
    limits = evaluation_limits(current_app.config)
    categories = [(label, category_name(label)) for label in CATEGORIES]
    return render_template("vision/evaluate.html", available=loaded.vision is not None,
                           error=error, active=active, jobs=_latest(), categories=categories,
                           max_mb=limits.max_archive_bytes // (1024 * 1024),
                           max_photos=limits.max_photos), status


def _active_job() -> Job | None:
    return db.session.scalar(select(Job).where(
        Job.kind == KIND, Job.created_by == current_user.email,
        Job.status.in_(ACTIVE_STATUSES)).order_by(Job.id.desc()).limit(1))


@bp.get("/image/evaluer")
@roles_required()
def evaluate_page():
    """The upload form, how to lay out the folder, and the user's latest evaluations."""
    reap()
    return _form_page(200 if models().vision is not None else 503)


@bp.post("/image/evaluer")
@roles_required()
@limiter.shared_limit(_rate_limit, scope="vision-evaluate", methods=["POST"])
def evaluate_upload():
    """Check the archive now; store it and queue its evaluation, or say why it is refused."""
    from ml.serving.vision_archive import ArchiveError, list_photos, open_archive

    loaded = models()
    if loaded.vision is None:
        return _form_page(503, _("Les modèles d'image ne sont pas chargés. Réessayez plus "
                                 "tard."))
    try:
        upload = request.files.get("archive")
    except RequestEntityTooLarge:  # a body without Content-Length that grew past the limit
        raise _too_large() from None
    if upload is None or not upload.filename:
        return _form_page(400, _("Choisissez une archive ZIP à évaluer."))
    active = _active_job()
    if active is not None:  # one at a time per user: the worker's CPU is shared
        return _form_page(409, _("Votre évaluation n° %(id)s n'est pas terminée : attendez "
                                 "qu'elle finisse avant d'en lancer une autre.",
                                 id=active.id), active=active)
    limits = evaluation_limits(current_app.config)
    stream = upload.stream
    try:
        with open_archive(stream, limits) as archive:
            contents = list_photos(archive, loaded.vision.labels, category_aliases(), limits)
    except ArchiveError as refused:
        return _form_page(archive_status(refused.code),
                          archive_message(refused.code, refused.params))
    stream.seek(0)
    content = stream.read()
    name = PurePath(upload.filename.replace("\\", "/")).name[:200] or "photos.zip"
    stored = store_archive(db.session, secrets.token_hex(16), name, content,
                           len(contents.entries), current_user.email)
    del content
    job = record_vision_evaluation(db.session, stored, current_user.email)
    dispatch(db.session, job)
    return redirect(url_for("vision.evaluation", job_id=job.id), code=303)


@bp.get("/image/evaluer/<int:job_id>")
@roles_required()
def evaluation(job_id: int):
    """One evaluation: its progress (a partial that polls itself), then its results. Only
    its owner and the admins see it (404 for anyone else: its existence is not revealed)."""
    reap()
    job = db.session.get(Job, job_id)
    if job is None or job.kind != KIND or not _may_see(job):
        abort(404)
    view = None
    if job.status == "done":
        stored = db.session.get(JobResult, job.id)
        view = evaluation_view(stored.data) if stored is not None else None
    return render("vision/evaluation.html", "vision/_evaluation.html", job=job, view=view,
                  backend=job_queue().backend)
