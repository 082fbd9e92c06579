"""What nobody will use any more: uploads never confirmed, rows staged by imports that ended
without cleaning up (their worker died), temporary files of this machine's dead jobs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..clients.staging import discard_staged, staged_batches
from .models import ACTIVE_STATUSES, Job, StoredUpload
from .runner import now

#: An upload previewed but never confirmed is removed after this long.
UPLOAD_MAX_AGE = timedelta(hours=24)
#: The kinds of job that read an upload (``params["upload"]``).
UPLOAD_KINDS = ("import", "vision_eval")
DISCARD_CHUNK = 5000


def work_folder(app: Flask) -> Path:
    """This machine's folder for the jobs' temporary files (``PAD_JOBS_DIR``)."""
    folder = Path(app.config.get("PAD_JOBS_DIR") or Path(app.instance_path) / "jobs")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def active_uploads(session: Session) -> set[str]:
    """The uploads that a pending or running import or image evaluation will read."""
    jobs = session.scalars(select(Job).where(Job.kind.in_(UPLOAD_KINDS),
                                             Job.status.in_(ACTIVE_STATUSES)))
    return {str(job.options.get("upload")) for job in jobs}


def discard_batch(session: Session, batch: str) -> int:
    """Remove a staged batch in short transactions (committed); returns the rows removed."""
    removed = 0
    while True:
        count = discard_staged(session, batch, limit=DISCARD_CHUNK)
        session.commit()
        removed += count
        if count == 0:
            return removed


def remove_leftovers(session: Session, app: Flask) -> dict[str, int]:
    """Remove stale uploads, orphan staged batches and this machine's orphan temporary files
    (committed); returns how many of each."""
    in_use = active_uploads(session)
    stale = [token for token, created in session.execute(
        select(StoredUpload.token, StoredUpload.created_at)
        .where(StoredUpload.created_at < now() - UPLOAD_MAX_AGE)) if token not in in_use]
    if stale:
        session.execute(delete(StoredUpload).where(StoredUpload.token.in_(stale)))
    session.commit()
    batches = staged_batches(session)  # first: a batch staged after this belongs to a job
    running = {int(job_id) for job_id in session.scalars(  # that runs by the next query
        select(Job.id).where(Job.status.in_(ACTIVE_STATUSES)))}
    orphans = [batch for batch in batches if batch not in {f"job-{n}" for n in running}]
    session.commit()
    for batch in orphans:
        discard_batch(session, batch)
    # Files first: a job's file exists only once the job runs, so a job not active in the
    # query that follows will never need a file listed before it.
    listed = list(work_folder(app).glob("job-*"))
    active = {str(job_id) for job_id in session.scalars(
        select(Job.id).where(Job.status.in_(ACTIVE_STATUSES)))}
    session.commit()
    files = 0
    for path in listed:
        if path.name.split("-")[1] not in active:
            path.unlink(missing_ok=True)
            files += 1
    return {"uploads": len(stale), "batches": len(orphans), "files": files}
