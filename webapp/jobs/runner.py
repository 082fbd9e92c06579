"""Running one job on a worker, and finding the jobs whose worker died.

A worker *claims* a pending job (``UPDATE ... WHERE status = 'pending'``: a message delivered
twice runs the job once), then a heartbeat thread writes ``heartbeat_at`` every lease / 6
seconds while the handler works. The handler reports its progress with
:meth:`JobContext.advance` inside its own transactions, so that progress is visible to every
web process as soon as each chunk commits; it ends the job with :meth:`JobContext.finish` in
its last transaction, so that "done" and the work it describes commit together.

Every change of a running job is conditional on ``worker`` still being this worker: if the
job was declared dead meanwhile (its heartbeat stalled past the lease), the handler's next
step raises :class:`JobLost` and its transaction rolls back, so a job is never both failed
and done.

:func:`reap_dead_jobs` finds running jobs silent for longer than the lease (the worker was
killed, its machine lost): a job that is safe to run again goes back to the queue (up to
:data:`MAX_ATTEMPTS` runs), any other is marked failed with a message, and its leftovers
(staged rows, upload) are removed. Workers call it every minute, and web processes whenever
they show a job, so a dead job is found within a lease of someone looking.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from ..extensions import db
from .messages import message
from .models import Job

if TYPE_CHECKING:
    from ml.serving.credit import CreditModel

log = logging.getLogger(__name__)

#: Runs of a retry-safe job before a dead worker makes it fail for good.
MAX_ATTEMPTS = 3
MESSAGE_LIMIT = 2000


class JobFailed(Exception):
    """The job cannot be done; the message is for the admin who started it."""


class JobLost(RuntimeError):
    """This worker no longer owns the job (declared dead meanwhile): stop, change nothing."""


@dataclass(frozen=True)
class JobKind:
    """How to run one kind of job, and what to remove when one fails or dies."""

    run: Callable[[JobContext], None]
    cleanup: Callable[[Session, Job], None] | None = None
    #: Running it again after a dead worker gives the same result (no duplicate, no loss).
    retry_safe: bool = False


def now() -> datetime:
    """The time jobs are stamped with (UTC)."""
    return datetime.now(UTC)


def worker_name() -> str:
    """``host:pid:thread`` of the calling thread."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:200]


def _owned(job_id: int, worker: str):
    return (Job.id == job_id) & (Job.status == "running") & (Job.worker == worker)


@dataclass
class JobContext:
    """What a handler gets: the job's settings, the session, progress and the finish line."""

    app: Flask
    job_id: int
    kind: str
    options: dict[str, Any]
    attempt: int
    worker: str
    session: Session
    finished: bool = False
    lost: threading.Event = field(default_factory=threading.Event)

    @property
    def model(self) -> CreditModel | None:
        """The credit model this process serves now (``CURRENT``)."""
        from ..model_store import models

        return models().credit

    def _update(self, **values: Any) -> None:
        if self.lost.is_set():
            raise JobLost(f"job {self.job_id} is no longer run by {self.worker}")
        result = self.session.execute(update(Job).where(_owned(self.job_id, self.worker))
                                      .values(**values)
                                      .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            self.lost.set()
            raise JobLost(f"job {self.job_id} is no longer run by {self.worker}")

    def progress(self, done: int, total: int) -> None:
        """Where work of a known size stands (``done`` of ``total``), in the caller's
        transaction: for work that counts its own steps (a training's fits)."""
        self._update(done=int(done), total=int(total), heartbeat_at=now())

    def set_total(self, total: int, model_version: str | None = None) -> None:
        """The units of work (rows, clients); in the caller's transaction."""
        values: dict[str, Any] = {"total": int(total), "heartbeat_at": now()}
        if model_version is not None:
            values["model_version"] = model_version[:64]
        self._update(**values)

    def advance(self, units: int, *, beyond_total: bool = False) -> None:
        """``units`` more done: call it in the transaction that did them, before its commit.
        ``beyond_total``: work found after the total was set (the total grows as much)."""
        values: dict[str, Any] = {"done": Job.done + int(units), "heartbeat_at": now()}
        if beyond_total:
            values["total"] = Job.total + int(units)
        self._update(**values)

    def note(self, message: str) -> None:
        """What the job is doing now, for the admin (in the caller's transaction)."""
        self._update(message=message[:MESSAGE_LIMIT], heartbeat_at=now())

    def finish(self, message: str, *, done: int | None = None,
               model_version: str | None = None) -> None:
        """Mark the job done in the caller's last transaction (it commits the work too)."""
        values: dict[str, Any] = {"status": "done", "message": message[:MESSAGE_LIMIT],
                                  "finished_at": now(), "heartbeat_at": now()}
        if done is not None:
            values["done"] = int(done)
        if model_version is not None:
            values["model_version"] = model_version[:64]
        self._update(**values)
        self.finished = True


class Heartbeat(threading.Thread):
    """Writes the job's ``heartbeat_at`` every ``interval`` seconds, in its own transactions;
    sets ``lost`` when the job is no longer this worker's."""

    def __init__(self, app: Flask, context: JobContext, interval: float):
        super().__init__(name=f"heartbeat-{context.job_id}", daemon=True)
        self.app, self.context, self.interval = app, context, interval
        self._halt = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            engine = db.engine
            while not self._halt.wait(self.interval):
                try:
                    with engine.begin() as connection:
                        result = connection.execute(
                            update(Job).where(_owned(self.context.job_id, self.context.worker))
                            .values(heartbeat_at=now()))
                except OperationalError as exc:  # busy for a moment: try again next beat
                    log.warning("job %s: heartbeat not written: %s", self.context.job_id, exc)
                    continue
                if result.rowcount != 1:
                    self.context.lost.set()
                    return

    def stop(self) -> None:
        """End the thread (and wait for it)."""
        self._halt.set()
        self.join(5)


def lease_seconds(app: Flask) -> float:
    """How long a running job may stay silent before it is declared dead."""
    return float(app.config.get("PAD_JOB_LEASE_SECONDS", 30))


def claim(session: Session, job_id: int, worker: str) -> bool:
    """Make a pending job this worker's (committed); False when it is not pending."""
    stamp = now()
    result = session.execute(update(Job).where(Job.id == job_id, Job.status == "pending")
                             .values(status="running", worker=worker, started_at=stamp,
                                     heartbeat_at=stamp, message=None)
                             .execution_options(synchronize_session=False))
    session.commit()
    return result.rowcount == 1


def failure_message(exc: BaseException) -> str:
    """What the admin reads about a failure: the job's own words, or, for an unexpected
    error, that one happened (its details, SQL and paths included, go to the log only)."""
    if isinstance(exc, JobFailed):
        return str(exc)[:MESSAGE_LIMIT]
    return message("internal")


def run_job(app: Flask, job_id: int, kinds: dict[str, JobKind]) -> str | None:
    """Claim and run job ``job_id`` in this thread; returns its final status (None when it was
    not pending: another worker has it, or it ended)."""
    with app.app_context():
        session = db.session
        worker = worker_name()
        try:
            if not claim(session, job_id, worker):
                log.info("job %s is not pending: skipped", job_id)
                return None
            job = session.get(Job, job_id)
            kind = kinds[job.kind]
            context = JobContext(app, job_id, job.kind, job.options, job.attempt, worker,
                                 session)
            heartbeat = Heartbeat(app, context, max(lease_seconds(app) / 6, 0.2))
            heartbeat.start()
            try:
                kind.run(context)
                if not context.finished:
                    context.finish("")
                    session.commit()
                return "done"
            except JobLost:
                session.rollback()
                log.warning("job %s was declared dead while it ran: its work is dropped",
                            job_id)
                return None
            except Exception as exc:  # noqa: BLE001 - every job ends in a visible state
                session.rollback()
                log.exception("job %s failed", job_id)
                return "failed" if fail(session, job_id, worker, failure_message(exc),
                                        kind) else None
            finally:
                heartbeat.stop()
        finally:
            session.remove()


def _still(job_id: int, worker: str | None, heartbeat_at: datetime | None):
    condition = (Job.id == job_id) & (Job.status == "running")
    if worker is not None:
        condition = condition & (Job.worker == worker)
    if heartbeat_at is not None:  # unchanged since it was found silent
        condition = condition & (Job.heartbeat_at == heartbeat_at)
    return condition


def fail(session: Session, job_id: int, worker: str | None, message: str,
         kind: JobKind | None, heartbeat_at: datetime | None = None) -> bool:
    """Mark a running job failed (only if ``worker`` still owns it, any worker when None;
    only if its heartbeat is still ``heartbeat_at`` when given), remove its leftovers,
    commit. False when it was no longer running so."""
    condition = _still(job_id, worker, heartbeat_at)
    result = session.execute(update(Job).where(condition)
                             .values(status="failed", message=message[:MESSAGE_LIMIT],
                                     finished_at=now())
                             .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.rollback()
        return False
    session.commit()
    if kind is not None and kind.cleanup is not None:
        job = session.get(Job, job_id)
        try:
            kind.cleanup(session, job)
            session.commit()
        except Exception:  # noqa: BLE001 - the failure is recorded; leftovers are retried
            session.rollback()
            log.exception("job %s: cleanup failed (housekeeping will retry)", job_id)
    return True


def abandon(session: Session, job_id: int, worker: str | None, reason: str,
            kinds: dict[str, JobKind], enqueue: Callable[[int], None],
            heartbeat_at: datetime | None = None) -> bool:
    """The running job ``job_id`` lost its worker (``worker``: only if it still runs there;
    ``heartbeat_at``: only if it stayed silent since): queue it again when that is safe (up to
    :data:`MAX_ATTEMPTS` runs), else fail it with ``reason`` and remove its leftovers.
    Commits; False when the job was not in that state."""
    job = session.get(Job, job_id)
    if job is None or job.status != "running" or (worker is not None and job.worker != worker):
        session.rollback()
        return False
    kind = kinds.get(job.kind)
    attempt, owner = job.attempt, job.worker
    session.rollback()
    if kind is not None and kind.retry_safe and attempt < MAX_ATTEMPTS:
        result = session.execute(
            update(Job).where(_still(job_id, owner, heartbeat_at))
            .values(status="pending", worker=None, heartbeat_at=None, attempt=Job.attempt + 1,
                    message=message("retry", reason=reason, attempt=attempt + 1,
                                    attempts=MAX_ATTEMPTS)[:MESSAGE_LIMIT])
            .execution_options(synchronize_session=False))
        session.commit()
        if result.rowcount != 1:
            return False
        enqueue(job_id)
        return True
    return fail(session, job_id, owner, message("nothing_kept", reason=reason), kind,
                heartbeat_at)


def reap_dead_jobs(session: Session, lease: float, kinds: dict[str, JobKind],
                   enqueue: Callable[[int], None], *, at: datetime | None = None) -> list[int]:
    """Find running jobs silent for longer than ``lease`` seconds and :func:`abandon` them.
    Commits; returns the jobs handled."""
    cutoff = (at or now()) - timedelta(seconds=lease)
    dead = list(session.execute(select(Job.id, Job.worker, Job.heartbeat_at)
                                .where(Job.status == "running", Job.heartbeat_at < cutoff)))
    session.commit()
    handled = []
    for job_id, worker, heartbeat_at in dead:
        silent = f"{heartbeat_at:%Y-%m-%d %H:%M:%S} UTC" if heartbeat_at else "?"
        reason = message("worker_lost", worker=worker, since=silent)
        if abandon(session, job_id, worker, reason, kinds, enqueue, heartbeat_at):
            handled.append(job_id)
    return handled
