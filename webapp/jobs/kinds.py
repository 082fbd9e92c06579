"""Every kind of job and its handler (see ``runner.JobKind``)."""

from __future__ import annotations

from .imports import cleanup_import, run_import
from .rescore import run_rescore
from .runner import JobKind
from .training import run_training

KINDS: dict[str, JobKind] = {
    "import": JobKind(run=run_import, cleanup=cleanup_import, retry_safe=False),
    "rescore": JobKind(run=run_rescore, retry_safe=True),
    "train": JobKind(run=run_training, retry_safe=False),
}
