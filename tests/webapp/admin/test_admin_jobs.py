"""``/admin/jobs``: every job with its progress, for admins only; an admin starts the
re-scoring of the portfolio there (the session app runs jobs at once)."""

from __future__ import annotations

import pytest

from webapp.jobs.models import Job

pytestmark = pytest.mark.db


def test_the_admin_starts_a_rescoring_and_follows_it(admin_browser, db, model):
    admin, token = admin_browser
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert f"Modèle en service : {model.version}" in page
    assert "Recalculer les scores du portefeuille" in page
    started = admin.post("/admin/jobs/rescore", data={"csrf_token": token})
    assert started.status_code == 303
    job_id = int(started.headers["Location"].rsplit("/", 1)[1])
    job = db.session.get(Job, job_id)
    assert (job.kind, job.status, job.model_version) == ("rescore", "done", str(model.version))
    shown = admin.get(started.headers["Location"]).get_data(as_text=True)
    assert "Scores recalculés" in shown and str(model.version) in shown
    assert "hx-trigger" not in shown  # ended: no more polling
    table = admin.get("/admin/jobs", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in table and f'data-job="{job_id}"' in table
    assert "Recalcul des scores" in table and "terminé" in table


def test_jobs_are_for_admins_and_need_a_csrf_token(admin_browser, advisor_browser):
    advisor, advisor_token = advisor_browser
    assert advisor.get("/admin/jobs").status_code == 403
    assert advisor.post("/admin/jobs/train", data={"csrf_token": advisor_token}).status_code \
        == 403
    admin, _ = admin_browser
    assert admin.post("/admin/jobs/rescore").status_code == 400
    assert admin.post("/admin/jobs/train").status_code == 400


def test_a_training_must_be_confirmed(admin_browser, db):
    admin, token = admin_browser
    before = db.session.query(Job).filter_by(kind="train").count()
    response = admin.post("/admin/jobs/train", data={"csrf_token": token})
    assert response.status_code == 422
    assert "Cochez la case pour confirmer" in response.get_data(as_text=True)
    assert db.session.query(Job).filter_by(kind="train").count() == before


def test_a_running_training_shows_how_many_fits_are_done(admin_browser, db):
    """A training counts its fits (cross-validation folds, the final model): the page says
    where it stands and draws the bar, from whichever web process the admin reaches."""
    from webapp.jobs.runner import now, worker_name

    admin, _ = admin_browser
    job = Job(kind="train", status="running", total=17, done=5, created_by="chef@example.com",
              started_at=now(), heartbeat_at=now(), worker=worker_name())
    db.session.add(job)
    db.session.commit()
    try:
        shown = admin.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
        assert "5 ajustements sur 17" in shown
        assert '<progress max="17" value="5"' in shown
        assert "hx-trigger" in shown  # still running: the page keeps polling
        table = admin.get("/admin/jobs", headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "5 / 17" in table
    finally:
        db.session.delete(job)
        db.session.commit()
