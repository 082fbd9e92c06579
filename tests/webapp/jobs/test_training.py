"""Training as a job: a new model is trained into the served artifacts, every process serves
it, and the portfolio is re-scored with it (a real, small training: tens of seconds)."""

from __future__ import annotations

import shutil

import flask_migrate
import pytest
from sqlalchemy import select

from webapp.clients.importing import import_applications
from webapp.clients.models import Client
from webapp.extensions import db
from webapp.jobs.models import Job
from webapp.jobs.queue import dispatch
from webapp.jobs.training import record_training
from webapp.model_store import models

pytestmark = pytest.mark.slow

SMALL = {"max_rows": 2000, "n_folds": 2, "search_trials": 1, "search_folds": 2,
         "max_rounds": 60, "early_stopping_rounds": 10, "importance_sample": 200}


def test_a_training_job_serves_its_model_and_rescores_the_portfolio(credit_artifacts,
                                                                    make_database, seed_csv,
                                                                    tmp_path):
    from webapp import create_app

    artifacts = tmp_path / "artifacts"
    shutil.copytree(credit_artifacts / "credit", artifacts / "credit")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": make_database("training"),
                      "PAD_ARTIFACTS_DIR": str(artifacts), "PAD_QUEUE_IMMEDIATE": True,
                      "PAD_MODEL_CHECK_SECONDS": 0, "PAD_LOAD_VISION": False})
    with app.app_context():
        flask_migrate.upgrade()
        before = str(models().credit.version)
        import_applications(db.session, seed_csv, models().credit)
        job = record_training(db.session, "admin@example.com", SMALL)
        assert dispatch(db.session, job)  # trains, then queues (and here runs) the re-scoring
        db.session.expire_all()
        job = db.session.get(Job, job.id)
        assert job.status == "done", job.message
        assert job.model_version != before and "trained" in job.message
        # its progress counted every fit, so the admin saw it move from any process
        assert job.total > 0 and job.done == job.total
        assert str(models().credit.version) == job.model_version
        rescore = db.session.scalar(select(Job).where(Job.kind == "rescore",
                                                      Job.model_version == job.model_version))
        assert rescore is not None and rescore.status == "done" and rescore.done > 0
        assert set(db.session.scalars(select(Client.model_version))) == {job.model_version}
        assert app.test_client().get("/healthz").get_json()["models"]["credit"]["version"] \
            == job.model_version
        db.session.remove()
        db.engine.dispose()
