"""Every kind of job and its handler (see ``runner.JobKind``)."""

from __future__ import annotations

from .imports import cleanup_import, run_import
from .rescore import run_rescore
from .runner import JobKind
from .training import run_training
from .vision_eval import cleanup_vision_evaluation, run_vision_evaluation

KINDS: dict[str, JobKind] = {
    "import": JobKind(run=run_import, cleanup=cleanup_import, retry_safe=False),
    "rescore": JobKind(run=run_rescore, retry_safe=True),
    "train": JobKind(run=run_training, retry_safe=False),
    # Reads its upload, writes its result and removes the upload in one last transaction:
    # running it again after a dead worker gives the same result.
    "vision_eval": JobKind(run=run_vision_evaluation, cleanup=cleanup_vision_evaluation,
                           retry_safe=True),
}
