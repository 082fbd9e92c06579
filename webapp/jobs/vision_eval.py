"""The image models evaluated on a ZIP of labelled photos, as a job.

1. A signed-in user's ZIP is checked in the request (``webapp.vision.evaluation``: its
   directory and its labels, nothing inflated but a CSV), kept compressed in ``uploads``
   (:func:`store_archive`, as a CSV import's file: the worker may be another machine), and a
   ``vision_eval`` job is queued (:func:`record_vision_evaluation`).
2. The worker (:func:`run_vision_evaluation`) loads the image classifiers if it has not yet
   (a worker starts without them), reads the photos one by one and classifies them in
   batches, its progress committed after each batch; then, in one last transaction, it writes
   the result (figures per model and the misclassified photos' thumbnails, JSON) to
   ``job_results``, removes the upload and marks the job done.
3. A photo that cannot be read, or no models, fails the job with its reason (a code worded
   in the reader's language); the upload goes with the cleanup.

It runs again after a dead worker (it changes nothing before its last transaction).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ..model_store import models
from .imports import record_upload_job, store_content
from .messages import message
from .models import Job, JobResult, StoredUpload
from .runner import JobContext, JobFailed

KIND = "vision_eval"


def evaluation_limits(config: Mapping[str, Any]):
    """What an archive may hold under this app's settings (``ArchiveLimits``)."""
    from ml.serving.vision_archive import ArchiveLimits

    return ArchiveLimits(max_archive_bytes=int(config["PAD_VISION_EVAL_MAX_BYTES"]),
                         max_photos=int(config["PAD_VISION_EVAL_MAX_PHOTOS"]),
                         max_pixels=int(config["PAD_VISION_MAX_PIXELS"]))


def store_archive(session: Session, token: str, filename: str, content: bytes, photos: int,
                  created_by: str) -> StoredUpload:
    """Keep a checked archive until its job reads it (flushed; the caller commits)."""
    return store_content(session, token, filename, content, photos, created_by)


def record_vision_evaluation(session: Session, upload: StoredUpload, created_by: str) -> Job:
    """A pending evaluation of a stored archive (flushed; ``queue.dispatch`` commits it)."""
    return record_upload_job(session, KIND, upload, created_by)


def run_vision_evaluation(context: JobContext) -> None:
    """The job: evaluate every served image model on the archive, keep the result."""
    from ml.serving.vision_batch import ArchiveError, evaluate_archive, json_ready

    from ..vision.categories import category_aliases

    session = context.session
    token = str(context.options.get("upload", ""))
    upload = session.get(StoredUpload, token)
    if upload is None:
        raise JobFailed(message("upload_gone"))
    content = zlib.decompress(upload.content)
    filename = upload.filename
    session.expunge(upload)  # the archive's bytes: not kept in the session's memory
    session.commit()
    loaded = models()
    vision = loaded.vision_on_demand()
    if vision is None:
        raise JobFailed(message("no_vision_models", detail=loaded.vision_error or "?"))
    reported = {"done": 0}

    def progress(done: int, total: int) -> None:
        if done == 0:
            context.set_total(total)
        else:
            context.advance(done - reported["done"])
        reported["done"] = done
        session.commit()

    try:
        result = evaluate_archive(content, vision, progress,
                                  evaluation_limits(context.app.config), category_aliases())
    except ArchiveError as refused:
        raise JobFailed(message("vision_archive", reason=refused.code,
                                **refused.params)) from refused
    del content
    stored = {**json_ready(result), "filename": filename, "models_version": vision.version}
    session.add(JobResult(job_id=context.job_id, content=json.dumps(stored,
                                                                    ensure_ascii=False)))
    session.execute(delete(StoredUpload).where(StoredUpload.token == token))
    context.finish(message("vision_evaluated", photos=result["n_photos"]),
                   done=result["n_photos"])
    session.commit()  # the result, the upload's removal and "done": together


def cleanup_vision_evaluation(session: Session, job: Job) -> None:
    """After a failure or a dead worker: the archive goes (committed)."""
    session.execute(delete(StoredUpload).where(
        StoredUpload.token == str(job.options.get("upload", ""))))
    session.commit()
