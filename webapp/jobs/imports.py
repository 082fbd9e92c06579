"""The CSV import as a job: the upload waits in the database, the worker stages the rows in
short transactions and publishes them in one statement.

1. The admin's upload is previewed (``clients.import_jobs.preview_import``) and, when valid,
   kept compressed in ``uploads`` (:func:`store_upload`): the confirmation may reach another
   web node, and the worker may run on another machine.
2. The confirmation records an ``import`` job (:func:`record_import`) and queues it.
3. The worker (:func:`run_import`) writes the file to its own temporary folder, validates and
   scores it (no write), stages the rows 2,000 per transaction with the job's progress in
   the same transaction, then publishes the batch into ``clients`` and marks the job done in
   one last transaction: all or nothing, and no write lock held for more than a moment.
4. Whatever happens, the upload, the staged rows and the temporary file are removed (by the
   job, or, when its worker died, by :func:`cleanup_import` through the reaper).

An import is not run again after a dead worker (its admin sees it failed and may send the file
again): the file is gone with the cleanup, and a partial retry cannot exist anyway.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..clients.importing import CHUNK_SIZE, ImportFileError, chunks, prepare_import
from ..clients.staging import publish_staged, stage_rows
from .housekeeping import discard_batch, work_folder
from .messages import message
from .models import Job, StoredUpload
from .runner import JobContext, JobFailed

#: zlib level for stored uploads: the 26 MB Kaggle CSV becomes 7.6 MB at level 1, in 0.2 s.
COMPRESSION = 1


def store_upload(session: Session, token: str, filename: str, path: Path, rows: int,
                 created_by: str) -> StoredUpload:
    """Keep a previewed file until its import (flushed; the caller commits)."""
    return store_content(session, token, filename, Path(path).read_bytes(), rows, created_by)


def store_content(session: Session, token: str, filename: str, content: bytes, units: int,
                  created_by: str) -> StoredUpload:
    """Keep an upload (compressed) in the database until its job reads it, whichever node
    the job runs on (flushed; the caller commits). ``units``: rows, photos."""
    upload = StoredUpload(token=token, filename=filename[:200], rows=int(units),
                          size=len(content), content=zlib.compress(content, COMPRESSION),
                          created_by=created_by[:254])
    session.add(upload)
    session.flush()
    return upload


def record_upload_job(session: Session, kind: str, upload: StoredUpload,
                      created_by: str) -> Job:
    """A pending job of ``kind`` that reads a stored upload, one unit per row or photo
    (flushed; ``queue.dispatch`` commits it)."""
    job = Job(kind=kind, status="pending", total=upload.rows, done=0,
              params=json.dumps({"upload": upload.token, "filename": upload.filename}),
              created_by=created_by[:254])
    session.add(job)
    session.flush()
    return job


def record_import(session: Session, upload: StoredUpload, created_by: str) -> Job:
    """A pending import job for a stored upload (flushed; ``queue.dispatch`` commits it)."""
    return record_upload_job(session, "import", upload, created_by)


def _source(filename: str) -> str:
    return f"import:{filename}"[:200]


def run_import(context: JobContext) -> None:
    """The job: stage every row in chunks, then publish them all and finish in one step."""
    session = context.session
    token = str(context.options.get("upload", ""))
    filename = str(context.options.get("filename") or "import.csv")
    upload = session.get(StoredUpload, token)
    if upload is None:
        raise JobFailed(message("upload_gone"))
    batch = staging_batch(context.job_id)
    path = work_folder(context.app) / f"job-{context.job_id}-{token}.csv"
    try:
        path.write_bytes(zlib.decompress(upload.content))
        session.expunge(upload)  # the file's bytes: not kept in the session's memory
        session.commit()
        try:
            prepared = prepare_import(session, path, context.model)
        except ImportFileError as exc:
            raise JobFailed(message("import_file",
                                         detail=str(exc).replace(str(path), filename))) from exc
        context.set_total(len(prepared.frame), prepared.model_version)
        for rows in chunks(prepared.rows(_source(filename)), CHUNK_SIZE):
            stage_rows(session, batch, rows)
            context.advance(len(rows))
            session.commit()
        try:
            published = publish_staged(session, batch)
            session.execute(delete(StoredUpload).where(StoredUpload.token == token))
            context.finish("", done=published, model_version=prepared.model_version)
            session.commit()  # the rows, the upload's removal and "done": together
        except IntegrityError as exc:
            session.rollback()
            raise JobFailed(message("import_clash")) from exc
    finally:
        path.unlink(missing_ok=True)
    discard_batch(session, batch)  # the staged copies, in short transactions


def staging_batch(job_id: int) -> str:
    """The staging batch of import job ``job_id``."""
    return f"job-{job_id}"


def _remove_leftovers(session: Session, job_id: int, token: str) -> None:
    session.execute(delete(StoredUpload).where(StoredUpload.token == token))
    session.commit()
    discard_batch(session, staging_batch(job_id))


def cleanup_import(session: Session, job: Job) -> None:
    """After a failure or a dead worker: the staged rows and the upload go (committed)."""
    _remove_leftovers(session, job.id, str(job.options.get("upload", "")))
