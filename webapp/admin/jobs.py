"""``/admin/jobs``: the long work (imports, portfolio re-scoring, model training) with its
progress, read from the database so that any web process shows it; an admin starts a
re-scoring or a training here. Each view first declares dead the jobs whose worker stopped
beating (``webapp.jobs.queue.reap``), so that a killed worker's job shows as failed (or
queued again) within a lease of someone looking."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..accounts.access import roles_required
from ..extensions import db
from ..jobs.models import ACTIVE_STATUSES, Job
from ..jobs.queue import dispatch, job_queue, reap
from ..jobs.rescore import record_rescore, rescore_for
from ..jobs.training import record_training
from ..model_store import models
from ..ui.htmx import render
from .blueprint import bp
from .forms import ConfirmForm

LISTED = 50


def _active(kind: str) -> Job | None:
    return db.session.scalar(select(Job).where(Job.kind == kind,
                                               Job.status.in_(ACTIVE_STATUSES))
                             .order_by(Job.id.desc()).limit(1))


def _jobs_page(status: int = 200, error: str | None = None):
    reap()
    jobs = list(db.session.scalars(select(Job).order_by(Job.id.desc()).limit(LISTED)))
    model = models().credit
    scored = rescore_for(db.session, str(model.version)) if model is not None else None
    return render("admin/jobs.html", "admin/_jobs_table.html", status=status, jobs=jobs,
                  model=model, scored=scored, backend=job_queue().backend, error=error,
                  polling=any(job.active for job in jobs))


@bp.get("/jobs", endpoint="jobs")
@roles_required("admin")
def jobs_list():
    """The latest jobs, newest first; the table polls itself while one is active."""
    return _jobs_page()


@bp.get("/jobs/<int:job_id>", endpoint="job")
@roles_required("admin")
def job_view(job_id: int):
    """One job's progress (a partial that polls itself while the job is active)."""
    reap()
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    return render("admin/job.html", "admin/_job.html", job=job, backend=job_queue().backend)


@bp.post("/jobs/rescore", endpoint="jobs_rescore")
@roles_required("admin")
def start_rescore():
    """Queue the re-scoring of the clients another model scored (one at a time)."""
    if not ConfirmForm().validate():
        abort(400)
    model = models().credit
    if model is None:
        flash(_("Aucun modèle de crédit n'est chargé : rien à recalculer."), "error")
        return redirect(url_for("admin.jobs"), code=303)
    job = _active("rescore")
    if job is None:
        job = record_rescore(db.session, str(model.version), current_user.email)
        dispatch(db.session, job)
    return redirect(url_for("admin.job", job_id=job.id), code=303)


@bp.post("/jobs/train", endpoint="jobs_train")
@roles_required("admin")
def start_training():
    """Queue the training of a new credit model (one at a time); it queues the re-scoring."""
    if not ConfirmForm().validate():
        abort(400)
    if request.form.get("confirm") != "yes":  # minutes of both cores: asked for explicitly
        return _jobs_page(422, _("Cochez la case pour confirmer l'entraînement."))
    job = _active("train")
    if job is None:
        job = record_training(db.session, current_user.email)
        dispatch(db.session, job)
    return redirect(url_for("admin.job", job_id=job.id), code=303)
