"""The jobs' state, in the application's database so that every web process sees it.

The queue library (Huey) only carries "run job N" from the web process that recorded the job
to a worker; everything a user sees (status, progress, when it ran, why it failed) lives in
the ``jobs`` table. A running job's worker writes ``heartbeat_at`` every few seconds: a
running job whose heartbeat is older than the lease had its worker die, and is found by
``webapp.jobs.runner.reap_dead_jobs``.

A previewed CSV waits for its confirmation in ``uploads`` (compressed), not on the disk of
the web node that received it: the confirmation may reach another node, and the import runs
on a worker that may be another machine.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..accounts.models import utcnow
from ..extensions import db

#: What a job does; each kind has its handler in ``webapp.jobs.handlers``.
JOB_KINDS: tuple[str, ...] = ("import", "rescore", "train", "vision_eval")
JOB_STATUSES: tuple[str, ...] = ("pending", "running", "done", "failed")
ACTIVE_STATUSES: tuple[str, ...] = ("pending", "running")


class Job(db.Model):
    """One piece of long work: a CSV import, a portfolio re-scoring, a model training, the
    evaluation of the image models on a folder of labelled photos."""

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'running', 'done', 'failed')",
                        name="ck_jobs_status"),
        CheckConstraint("kind IN ('import', 'rescore', 'train', 'vision_eval')",
                        name="ck_jobs_kind"),
        Index("ix_jobs_status", "status"),
        Index("ix_jobs_kind_model_version", "kind", "model_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    #: Units of work: rows for an import, clients for a re-scoring; 0 when unknown (training).
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    #: The outcome for the user: what was done, or why it failed.
    message: Mapped[str | None] = mapped_column(Text)
    #: JSON: what the handler needs (the upload's token and file name, training settings).
    params: Mapped[str] = mapped_column(Text, default="{}")
    #: The credit model the job scores with (re-scoring: its target; training: the new one).
    model_version: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: ``host:pid:thread`` of the worker running it (it alone may move it on).
    worker: Mapped[str | None] = mapped_column(String(200))
    #: 1 for the first run; a job that is safe to retry runs again after a dead worker.
    attempt: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def options(self) -> dict[str, Any]:
        """``params`` decoded."""
        return json.loads(self.params or "{}")

    @property
    def active(self) -> bool:
        """Waiting for a worker or running."""
        return self.status in ACTIVE_STATUSES

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"


class StoredUpload(db.Model):
    """A previewed CSV waiting for the admin's confirmation, then for its import job."""

    __tablename__ = "uploads"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    #: The file, zlib-compressed (the 26 MB Kaggle CSV takes 7.6 MB).
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_by: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class JobResult(db.Model):
    """What a finished job produced for its reader (JSON), e.g. the figures and the
    misclassified photos of an image evaluation: in the database, so that every web process
    shows it. Removed with its job."""

    __tablename__ = "job_results"

    job_id: Mapped[int] = mapped_column(Integer, ForeignKey("jobs.id", ondelete="CASCADE",
                                                             name="fk_job_results_job_id"),
                                        primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def data(self) -> dict[str, Any]:
        """``content`` decoded."""
        return json.loads(self.content)
