"""``flask jobs ...`` and a queue that cannot be reached (the session app runs jobs at once)."""

from __future__ import annotations

import pytest

from webapp.jobs.models import Job

pytestmark = pytest.mark.db


def test_jobs_from_the_command_line(app, db, model):
    runner = app.test_cli_runner()
    queued = runner.invoke(args=["jobs", "rescore"])
    assert queued.exit_code == 0, queued.output
    job_id = int(queued.output.split()[1].rstrip(":"))
    db.session.expire_all()
    assert db.session.get(Job, job_id).status == "done"
    listed = runner.invoke(args=["jobs", "list", "--limit", "5"])
    assert listed.exit_code == 0 and f"{job_id:5d} rescore  done" in listed.output


def test_a_job_the_queue_cannot_take_is_failed_with_the_reason(database_url, credit_artifacts):
    from webapp import create_app
    from webapp.extensions import db
    from webapp.jobs.queue import dispatch
    from webapp.jobs.rescore import record_rescore

    node = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                       "PAD_ARTIFACTS_DIR": str(credit_artifacts), "PAD_LOAD_VISION": False,
                       "REDIS_URL": "redis://127.0.0.1:1/0"})  # nothing listens there
    with node.app_context():
        job = record_rescore(db.session, "any-model", "admin@example.com")
        assert dispatch(db.session, job) is False
        assert job.status == "failed" and "queue_unreachable" in job.message
        db.session.remove()
        db.engine.dispose()
