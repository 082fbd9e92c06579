"""``/admin/import``: upload a Kaggle-format CSV, see a preview with every bad row, then
import it as a job on the queue (``webapp.jobs.imports``) whose page polls its progress. All
or nothing. A valid file waits for its confirmation in the database, so that the
confirmation and the import may run on other machines than the upload."""

from __future__ import annotations

import re
import secrets
import tempfile
from pathlib import Path

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..accounts.access import roles_required
from ..clients.import_jobs import preview_import
from ..extensions import db
from ..jobs.housekeeping import active_uploads
from ..jobs.imports import record_import, store_upload
from ..jobs.models import StoredUpload
from ..jobs.queue import dispatch
from .blueprint import bp
from .forms import ConfirmForm, ImportForm

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _max_bytes() -> int:
    return int(current_app.config["PAD_MAX_IMPORT_BYTES"])


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
    token = secrets.token_hex(16)
    name = Path(upload.filename).name[:200]
    with tempfile.TemporaryDirectory(prefix="pad-upload-") as folder:
        stored = Path(folder) / f"{token}.csv"
        upload.save(stored)
        if stored.stat().st_size > _max_bytes():  # a chunked upload without Content-Length
            raise _too_large()
        preview = preview_import(db.session, stored)
        if preview.valid:  # kept until confirmed (any web node may receive the confirmation)
            store_upload(db.session, token, name, stored, preview.rows, current_user.email)
            db.session.commit()
    return render_template("admin/import_preview.html", preview=preview, filename=name,
                           token=token, confirm=ConfirmForm(), limit_mb=limit_mb), \
        (200 if preview.valid else 422)


@bp.post("/import/<token>", endpoint="import_confirm")
@roles_required("admin")
def import_confirm(token: str):
    """Queue the import of a previewed file; its job page follows the progress."""
    if not _TOKEN.match(token):
        abort(404)
    upload = db.session.get(StoredUpload, token)
    if upload is None or token in active_uploads(db.session):
        error = _("Ce fichier n'est plus disponible (déjà importé ou expiré) : envoyez-le de "
                  "nouveau.")
        return render_template("admin/import.html", form=ImportForm(), error=error,
                               limit_mb=_max_bytes() // (1024 * 1024)), 410
    job = record_import(db.session, upload, current_user.email)
    dispatch(db.session, job)
    return redirect(url_for("admin.job", job_id=job.id), code=303)
