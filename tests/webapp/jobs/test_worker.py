"""Imports on real workers: the queue carries them (a SQLite file, or Redis), the progress is
in the database for every web process, and a worker killed mid-import leaves nothing behind."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import func, select

from tests.webapp.jobs.helpers import FIRST_ID, IMPORT_ROWS, TEST_LEASE_SECONDS, wait_until
from webapp.clients.models import Client, StagedClient
from webapp.extensions import db
from webapp.jobs.housekeeping import remove_leftovers, work_folder
from webapp.jobs.imports import record_import, store_upload
from webapp.jobs.models import Job, StoredUpload
from webapp.jobs.queue import dispatch, reap

pytestmark = pytest.mark.db


def _queue_import(app, path) -> tuple[int, str]:
    with app.app_context():
        upload = store_upload(db.session, "a" * 32, "applications.csv", path, IMPORT_ROWS,
                              "admin@example.com")
        job = record_import(db.session, upload, "admin@example.com")
        assert dispatch(db.session, job)
        return job.id, upload.token


def _job(app, job_id: int) -> Job:
    db.session.expire_all()
    return db.session.get(Job, job_id)


def _imported(app) -> int:
    return db.session.scalar(select(func.count()).select_from(Client)
                             .where(Client.sk_id_curr >= FIRST_ID))


def test_an_import_runs_on_a_worker_and_any_process_sees_it_progress(portal, start_worker,
                                                                     import_csv):
    job_id, token = _queue_import(portal.app, import_csv)
    start_worker(portal)
    seen: list[tuple[str, int]] = []
    with portal.app.app_context():
        def finished() -> bool:
            job = _job(portal.app, job_id)
            seen.append((job.status, job.done))
            if job.status == "running" and 0 < job.done < IMPORT_ROWS:
                # what a reader sees meanwhile: nothing of the import (all or nothing)
                assert _imported(portal.app) == 0
            return job.status in ("done", "failed")

        assert wait_until(finished, timeout=240), seen[-3:]
        job = _job(portal.app, job_id)
        assert (job.status, job.done, job.total) == ("done", IMPORT_ROWS, IMPORT_ROWS), \
            job.message
        assert job.model_version is not None and job.started_at and job.finished_at
        progress = [done for status, done in seen if status == "running"]
        assert progress == sorted(progress)  # never backwards
        assert any(0 < done < IMPORT_ROWS for done in progress)  # seen while it ran
        assert _imported(portal.app) == IMPORT_ROWS
        assert db.session.get(StoredUpload, token) is None
        assert wait_until(lambda: _staged() == 0, timeout=30)  # removed after publishing


def _staged() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(StagedClient))


def test_a_worker_killed_mid_import_fails_its_job_and_leaves_nothing(sqlite_portal,
                                                                    start_worker,
                                                                    import_csv):
    app = sqlite_portal.app
    job_id, token = _queue_import(app, import_csv)
    worker = start_worker(sqlite_portal)
    with app.app_context():
        assert wait_until(lambda: _job(app, job_id).done >= 4000, timeout=240), \
            _job(app, job_id)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
        assert _staged() > 0
        assert reap(app) == []  # not yet: silent for less than the lease
        assert wait_until(lambda: reap(app) == [job_id], timeout=TEST_LEASE_SECONDS * 5,
                          step=0.5)
        job = _job(app, job_id)
        assert job.status == "failed"
        assert "worker_lost" in job.message or "worker_stopped" in job.message
        assert _imported(app) == 0  # nothing half written
        assert _staged() == 0
        assert db.session.get(StoredUpload, token) is None  # the upload removed
        leftovers = list(work_folder(app).glob(f"job-{job_id}-*"))
        assert leftovers  # the dead worker's copy, removed by the next housekeeping:
        remove_leftovers(db.session, app)
        assert not any(path.exists() for path in leftovers)
