"""Portfolio re-scoring as a job: every client scored by another model gets the served one's
probability, decision and version, so that the list, its filters, the client page and the API
agree again.

When: a training job ends with a new model (it queues one), an admin asks for it, or the
workers' housekeeping (every minute, and when a worker starts) finds that no re-scoring job
exists yet for the model ``CURRENT`` names, which covers a model installed by hand
(:func:`ensure_scored`). One job per model version: housekeeping does not start another after
a failure (the admin can).

How: see ``webapp.clients.rescoring``: chunks of 5,000 clients by ID, scored in a pool of
processes while this one reads the next chunk and writes the last, one short transaction per
chunk with the job's progress. A pass over the stale rows is repeated while rows remain
stale (a concurrent edit won, or an import scored with the previous model), up to
:data:`MAX_PASSES`. A re-scoring is safe to run again: a dead worker's job goes back to the
queue and resumes with the rows still stale.
"""

from __future__ import annotations

from collections import deque

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clients.rescoring import (
    RESCORE_CHUNK,
    BatchScorer,
    count_stale,
    stale_chunk,
    write_scores,
)
from ..model_store import models
from .messages import message
from .models import Job
from .runner import JobContext, JobFailed

MAX_PASSES = 3
#: Below this many stale clients, scoring in this process beats starting a pool.
POOL_THRESHOLD = 20_000


def record_rescore(session: Session, model_version: str, created_by: str) -> Job:
    """A pending re-scoring job for ``model_version`` (flushed; ``queue.dispatch`` commits)."""
    job = Job(kind="rescore", status="pending", total=0, done=0, params="{}",
              model_version=model_version[:64], created_by=created_by[:254])
    session.add(job)
    session.flush()
    return job


def rescore_for(session: Session, model_version: str) -> Job | None:
    """The latest re-scoring job for ``model_version``, whatever its status."""
    return session.scalar(select(Job).where(Job.kind == "rescore",
                                            Job.model_version == model_version)
                          .order_by(Job.id.desc()).limit(1))


def ensure_scored(session: Session, created_by: str = "system") -> Job | None:
    """A new re-scoring job when the served model has none yet (flushed, to dispatch), else
    None. Needs an app context (the served model)."""
    model = models().credit
    if model is None or rescore_for(session, str(model.version)) is not None:
        return None
    return record_rescore(session, str(model.version), created_by)


def run_rescore(context: JobContext) -> None:
    """The job: re-score every stale client with the served model, chunk by chunk."""
    session = context.session
    model = context.model
    if model is None:
        raise JobFailed(message("no_model"))
    version = str(model.version)
    stale = count_stale(session, version)
    context.set_total(stale, version)
    session.commit()
    processes = int(context.app.config.get("PAD_RESCORE_PROCESSES", 1))
    processes = processes if stale >= POOL_THRESHOLD else 1
    scored = remaining = 0
    with BatchScorer(model, processes) as scorer:
        for number in range(MAX_PASSES):
            passed = _one_pass(context, scorer, version, count_progress=number == 0)
            scored += passed
            if passed == 0:
                break
        else:  # still finding stale rows: say how many are left
            remaining = count_stale(session, version)
    context.finish(message("rescored_partly", scored=scored, version=version,
                           remaining=remaining) if remaining
                   else message("rescored", scored=scored, version=version),
                   model_version=version)
    session.commit()


def _one_pass(context: JobContext, scorer: BatchScorer, version: str,
              count_progress: bool) -> int:
    """Score the rows stale now, reading ahead while the pool scores; returns how many."""
    session = context.session
    pending: deque = deque()
    after, seen = 0, 0
    depth = scorer.processes + 1
    while True:
        rows = stale_chunk(session, version, after, RESCORE_CHUNK)
        session.commit()  # end the read: no transaction stays open while the pool works
        if rows:
            after = rows[-1].sk_id_curr
            pending.append((rows, scorer.submit([row.raw_record for row in rows])))
        while pending and (len(pending) >= depth or not rows):
            chunk, future = pending.popleft()
            write_scores(session, chunk, future.result(), scorer.model)
            context.advance(len(chunk), beyond_total=not count_progress)
            session.commit()
            seen += len(chunk)
        if not rows:
            return seen
