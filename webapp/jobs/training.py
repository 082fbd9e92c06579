"""Training a new credit model as a job, then re-scoring the portfolio with it.

The worker runs ``ml.credit.train`` in its own process (never a web worker), into the
artifacts folder the portal serves from. Training writes the new model folder completely
before it moves ``<artifacts>/credit/CURRENT`` to it, so that no process ever loads half a
model; every process of the machine then picks it up within ``PAD_MODEL_CHECK_SECONDS``
(``webapp.model_store``). The job ends by queueing the re-scoring of the portfolio with the new
model. With several machines, ``PAD_ARTIFACTS_DIR`` must be a folder they share (the workers
write it, the web nodes read it), or the models must be copied to every node.

Training is not run again after a dead worker: it takes minutes of both cores, and an admin
can start it again.
"""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from ml import config as ml_config

from ..model_store import models
from .messages import message
from .models import Job
from .runner import JobContext, JobFailed

#: The training settings a job may change (small runs for tests and demonstrations).
TUNABLE = ("max_rows", "n_folds", "search_trials", "search_folds", "max_rounds",
           "early_stopping_rounds", "importance_sample")


def record_training(session: Session, created_by: str,
                    settings: dict[str, Any] | None = None) -> Job:
    """A pending training job (flushed; ``queue.dispatch`` commits). ``settings``: some of
    :data:`TUNABLE`, as whole numbers."""
    chosen = {name: int(value) for name, value in (settings or {}).items()
              if name in TUNABLE and value is not None}
    job = Job(kind="train", status="pending", total=0, done=0,
              params=json.dumps({"settings": chosen}), created_by=created_by[:254])
    session.add(job)
    session.flush()
    return job


def artifacts_root(app: Flask) -> Path:
    """The artifacts folder the portal serves from."""
    configured = app.config.get("PAD_ARTIFACTS_DIR")
    return Path(configured) if configured else ml_config.artifacts_dir()


def run_training(context: JobContext) -> None:
    """The job: train, serve the new model in this process, queue the re-scoring."""
    from ml.credit.train import TrainConfig, train

    from .queue import dispatch
    from .rescore import record_rescore

    known = {f.name for f in fields(TrainConfig)}
    settings = {name: value for name, value in context.options.get("settings", {}).items()
                if name in known and name in TUNABLE}
    loaded = models()
    config = TrainConfig(**settings)
    if loaded.credit is not None:  # the same protected attributes as the served model
        config.protected = tuple(loaded.credit.protected)
    context.note("training")
    context.session.commit()

    def fitted(done: int, total: int) -> None:  # each fit, seen at once by every process
        context.progress(done, total)
        context.session.commit()

    folder = train(None, artifacts_root(context.app), config, progress=False, on_step=fitted)
    loaded.refresh_credit(force=True)
    card = json.loads((folder / "model_card.json").read_text())
    version = str(card["version"])
    if loaded.credit is None or str(loaded.credit.version) != version:
        raise JobFailed(message("trained_not_served", version=version, folder=str(folder)))
    auc = loaded.credit.metrics.get("test", {}).get("roc_auc")
    rescore = record_rescore(context.session, version, created_by="system")
    context.finish(message("trained", version=version,
                           auc=float(auc) if isinstance(auc, float) else "—", job=rescore.id),
                   model_version=version)
    dispatch(context.session, rescore, context.app)
