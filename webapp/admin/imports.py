"""``/admin/import``: upload a Kaggle-format CSV, see a preview with every bad row, then
import it as a background job whose page polls its progress. All or nothing."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..accounts.access import roles_required
from ..clients.import_jobs import create_job, preview_import, progress_of, start_job
from ..clients.models import ImportJob
from ..extensions import db
from ..model_store import models
from ..ui.htmx import render
from .blueprint import bp
from .forms import ConfirmForm, ImportForm

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
STALE_UPLOAD_SECONDS = 24 * 3600


def _folder() -> Path:
    configured = current_app.config.get("PAD_IMPORT_DIR")
    folder = Path(configured) if configured else Path(current_app.instance_path) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _max_bytes() -> int:
    return int(current_app.config["PAD_MAX_IMPORT_BYTES"])


def _forget_stale_uploads(folder: Path) -> None:
    limit = time.time() - STALE_UPLOAD_SECONDS
    for path in folder.glob("*.csv"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _too_large() -> RequestEntityTooLarge:
    error = RequestEntityTooLarge()
    error.pad_message = _("Le fichier dépasse la taille maximale de %(mb)s Mo : rien n'a été "
                          "importé. Découpez-le en plusieurs fichiers.",
                          mb=_max_bytes() // (1024 * 1024))
    return error


def allow_large_import() -> None:
    """``before_request`` (after the access check, before CSRF reads the form): the import
    upload may be up to ``PAD_MAX_IMPORT_BYTES``; other requests keep the usual limit."""
    if request.endpoint == "admin.import_upload" and request.method == "POST":
        request.max_content_length = _max_bytes()


@bp.route("/import", methods=["GET", "POST"], endpoint="import_upload")
@roles_required("admin")
def import_upload():
    """Upload a file and see its preview; nothing is written at this step."""
    form = ImportForm()
    limit_mb = _max_bytes() // (1024 * 1024)
    if request.method == "GET":
        return render_template("admin/import.html", form=form, limit_mb=limit_mb)
    try:
        upload = request.files.get("file")
        form = ImportForm()
        valid_form = form.validate()
    except RequestEntityTooLarge:
        raise _too_large() from None
    if not valid_form:  # the CSRF token
        return render_template("admin/import.html", form=form, limit_mb=limit_mb), 400
    if upload is None or not upload.filename:
        error = _("Choisissez un fichier CSV à importer.")
        return render_template("admin/import.html", form=form, limit_mb=limit_mb,
                               error=error), 422
    folder = _folder()
    _forget_stale_uploads(folder)
    token = secrets.token_hex(16)
    stored = folder / f"{token}.csv"
    upload.save(stored)
    if stored.stat().st_size > _max_bytes():  # a chunked upload without Content-Length
        stored.unlink(missing_ok=True)
        raise _too_large()
    name = Path(upload.filename).name[:200]
    preview = preview_import(db.session, stored)
    if not preview.valid:
        stored.unlink(missing_ok=True)
    return render_template("admin/import_preview.html", preview=preview, filename=name,
                           token=token, confirm=ConfirmForm(), limit_mb=limit_mb), \
        (200 if preview.valid else 422)


@bp.post("/import/<token>", endpoint="import_confirm")
@roles_required("admin")
def import_confirm(token: str):
    """Start the import of a previewed file, as a background job."""
    if not _TOKEN.match(token):
        abort(404)
    stored = _folder() / f"{token}.csv"
    if not stored.is_file():
        error = _("Ce fichier n'est plus disponible (déjà importé ou expiré) : envoyez-le de "
                  "nouveau.")
        return render_template("admin/import.html", form=ImportForm(), error=error,
                               limit_mb=_max_bytes() // (1024 * 1024)), 410
    filename = Path(request.form.get("filename", "") or "import.csv").name[:200] or "import.csv"
    rows = request.form.get("rows", "0")
    total = int(rows) if rows.isascii() and rows.isdigit() and len(rows) < 10 else 0
    job = create_job(db.session, filename, stored, total, current_user.email)
    db.session.commit()
    app = current_app._get_current_object()

    def in_context(work) -> None:
        with app.app_context():
            work()

    start_job(in_context, job.id, _folder(), models().credit, lambda: db.session)
    return redirect(url_for("admin.import_job", job_id=job.id), code=303)


@bp.get("/import/jobs/<int:job_id>", endpoint="import_job")
@roles_required("admin")
def import_job(job_id: int):
    """The job's progress (a partial that polls itself while the job runs)."""
    job = db.session.get(ImportJob, job_id)
    if job is None:
        abort(404)
    done = progress_of(job) if job.status in ("pending", "running") else job.done
    return render("admin/import_job.html", "admin/_import_job.html", job=job, done=done)
