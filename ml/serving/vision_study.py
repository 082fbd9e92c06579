"""The small-ViT study's figures for the study page, without Keras.

``python -m ml.vision study`` writes its results under ``"study"`` in the artifacts'
``report.json``. ``make run`` never runs it (it takes a while), so the package carries the
figures of a reference run (``ml/vision/study_reference.json``: the same keys, plus the
date, the command and the machine); the page falls back on them and says so.
"""

from __future__ import annotations

import json
from importlib import resources

REFERENCE_NAME = "study_reference.json"


def reference_study() -> dict:
    """The committed reference run's study (figures only)."""
    text = resources.files("ml.vision").joinpath(REFERENCE_NAME).read_text(encoding="utf-8")
    return json.loads(text)


def study_results(report: dict) -> dict:
    """The study to show: the artifacts' own, else the reference run.

    The result carries ``"source"``: ``"artifacts"`` (run on these models) or
    ``"reference"`` (the committed run, with its ``created``, ``command`` and ``machine``).
    """
    if report.get("study"):
        return {**report["study"], "source": "artifacts"}
    return {**reference_study(), "source": "reference"}
