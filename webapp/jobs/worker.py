"""A job worker: Huey's consumer with this app's tasks, a few threads, lower priority.

Started by ``python -m webapp.jobs`` (``scripts/serve.py`` does it for ``make run``), on as
many machines as needed with ``REDIS_URL``. It cleans up once when it starts (dead jobs, lost
messages, leftovers, the portfolio's scores) and then every minute.

Stopping: SIGTERM (what ``scripts/serve.py`` sends) stops at once; the jobs it was running are
given back (a re-scoring goes back to the queue, an import fails and its leftovers go) instead
of waiting for the lease. SIGINT waits for the running jobs to end; a second SIGINT stops now.
"""

from __future__ import annotations

import logging
import os

from flask import Flask
from huey.signals import SIGNAL_INTERRUPTED

from ..extensions import db
from .messages import message
from .queue import job_queue, keep_house
from .runner import abandon, worker_name

log = logging.getLogger(__name__)


def _give_back(app: Flask, job_id: int) -> None:
    """A job this process was running when it was told to stop."""
    from .kinds import KINDS

    prefix = worker_name().rsplit(":", 1)[0] + ":"
    with app.app_context():
        try:
            from .models import Job

            job = db.session.get(Job, job_id)
            if job is not None and (job.worker or "").startswith(prefix):
                abandon(db.session, job_id, job.worker, message("worker_stopped"), KINDS,
                        job_queue(app).enqueue)
        finally:
            db.session.remove()


def run_worker(app: Flask, threads: int | None = None, nice: int = 10) -> None:
    """Run the consumer until a signal stops it (this call blocks)."""
    if nice:
        os.nice(nice)  # web requests first: the jobs take the cores they leave
    threads = threads or int(app.config.get("PAD_WORKER_THREADS", 2))
    queue = job_queue(app)
    huey = queue.huey

    @huey.signal(SIGNAL_INTERRUPTED)
    def interrupted(signal: str, task, *args) -> None:
        if task.name == "pad.run_job" and task.args:
            _give_back(app, int(task.args[0]))

    log.info("job worker: %s thread(s), queue on %s", threads, queue.backend)
    keep_house(app)
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=True,
                                    initial_delay=0.1, backoff=1.15, max_delay=1.0,
                                    check_worker_health=True)
    consumer.run()
