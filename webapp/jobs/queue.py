"""The queue that carries "run job N" from a web process to a worker: Huey.

Huey (``huey`` on PyPI) because one small, maintained library gives both deployments with
the same code: ``SqliteHuey`` keeps the queue in a SQLite file beside the database (what
``make run`` uses: no server to install or start), ``RedisHuey`` keeps it in Redis when
``REDIS_URL`` is set (web nodes and workers on several machines). Its consumer runs tasks in
threads, restarts a dead worker thread, stops on signals, and runs periodic tasks (the
housekeeping below). Celery would need a broker even on one machine; RQ has no embedded
backend. Huey's results store is off: the jobs table is the only record of a job.

Only the job's ID travels through the queue; the job itself (status, progress, settings) is a
``jobs`` row (``webapp.jobs.models``), so that every web process shows it and a lost message
loses nothing: housekeeping sends a job still pending after a lease again (a job delivered
twice is run once, see ``runner.claim``).

``PAD_QUEUE_IMMEDIATE`` (the tests only) runs each job at once in the thread that enqueues it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ..extensions import db
from .messages import message
from .models import Job
from .runner import MESSAGE_LIMIT, JobKind, lease_seconds, now, reap_dead_jobs, run_job

log = logging.getLogger(__name__)

def _kinds() -> dict[str, JobKind]:
    from .kinds import KINDS

    return KINDS


def build_huey(app: Flask) -> Huey:
    """The queue this app's configuration asks for (not connected until used)."""
    config = app.config
    name = config.get("PAD_QUEUE_NAME") or "pad"
    if config.get("PAD_QUEUE_IMMEDIATE"):
        return MemoryHuey(name, immediate=True, results=False)
    if config.get("REDIS_URL"):
        return RedisHuey(name, url=config["REDIS_URL"], results=False)
    path = Path(config.get("PAD_QUEUE_FILE") or Path(app.instance_path) / "queue.sqlite3")
    path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(path), results=False)


class JobQueue:
    """The app's queue: ``enqueue(job_id)`` from anywhere, ``huey`` for the worker."""

    def __init__(self, app: Flask):
        self.app = app
        self._huey: Huey | None = None
        self._run: Callable[..., Any] | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """``"redis"``, ``"sqlite"`` or ``"immediate"``: where jobs wait."""
        if self.app.config.get("PAD_QUEUE_IMMEDIATE"):
            return "immediate"
        return "redis" if self.app.config.get("REDIS_URL") else "sqlite"

    @property
    def huey(self) -> Huey:
        """The Huey instance with this app's tasks, built on first use (a SQLite queue
        creates its file then, not when the app is created)."""
        with self._lock:
            if self._huey is None:
                huey = build_huey(self.app)
                app = self.app

                @huey.task(name="pad.run_job")
                def run(job_id: int) -> None:
                    run_job(app, job_id, _kinds())

                @huey.periodic_task(crontab(minute="*"), name="pad.housekeeping")
                def housekeeping() -> None:
                    keep_house(app)

                self._run, self._huey = run, huey
            return self._huey

    def enqueue(self, job_id: int) -> None:
        """Ask a worker to run job ``job_id`` (recorded and committed beforehand)."""
        self.huey  # noqa: B018 - builds the tasks
        assert self._run is not None
        self._run(job_id)


def init_queue(app: Flask) -> None:
    """Attach the app's :class:`JobQueue` (``app.extensions["pad_queue"]``), and the
    ``job_message`` filter that words a job's stored message in the page's language."""
    from .messages import describe

    app.extensions["pad_queue"] = JobQueue(app)
    app.jinja_env.filters["job_message"] = describe


def job_queue(app: Flask | None = None) -> JobQueue:
    """The queue of ``app`` (default: the current app)."""
    return (app or current_app).extensions["pad_queue"]


def dispatch(session: Session, job: Job, app: Flask | None = None) -> bool:
    """Commit the new ``job`` and queue it; when the queue cannot be reached, the job is
    marked failed with the reason (committed) and False is returned."""
    session.commit()
    try:
        job_queue(app).enqueue(job.id)
    except Exception as exc:  # noqa: BLE001 - Redis down, SQLite queue unwritable, ...
        log.exception("job %s could not be queued", job.id)
        session.rollback()
        session.execute(update(Job).where(Job.id == job.id, Job.status == "pending")
                        .values(status="failed", finished_at=now(),
                                message=message("queue_unreachable",
                                                detail=type(exc).__name__)[:MESSAGE_LIMIT])
                        .execution_options(synchronize_session=False))
        session.commit()
        session.refresh(job)
        return False
    return True


def reap(app: Flask | None = None) -> list[int]:
    """Declare dead the running jobs silent for longer than the lease (see
    ``runner.reap_dead_jobs``); the safe ones are queued again. Needs an app context."""
    app = app or current_app._get_current_object()
    queue = job_queue(app)
    return reap_dead_jobs(db.session, lease_seconds(app), _kinds(), queue.enqueue)


def resend_stale_pending(app: Flask) -> list[int]:
    """Queue again the jobs pending for longer than a lease (their message was lost with a
    worker, or with the queue); a duplicate message is harmless (``runner.claim``)."""
    cutoff = now() - timedelta(seconds=lease_seconds(app))
    stale = list(db.session.scalars(select(Job.id).where(Job.status == "pending",
                                                         Job.created_at < cutoff)))
    db.session.commit()
    for job_id in stale:
        job_queue(app).enqueue(job_id)
    return stale


def keep_house(app: Flask) -> None:
    """Every minute on each worker (and once when it starts): dead jobs, lost messages, the
    portfolio scored by the served model, uploads and staged rows nobody will use."""
    from .housekeeping import remove_leftovers
    from .rescore import ensure_scored

    with app.app_context():
        try:
            reap(app)
            resend_stale_pending(app)
            remove_leftovers(db.session, app)
            job = ensure_scored(db.session, created_by="system")
            if job is not None:
                dispatch(db.session, job, app)
        finally:
            db.session.remove()
