"""The data behind the fairness report: raw attribute values read as they come, what training
saves in the model folder, and the report of a model (on its own out-of-fold predictions) or
of a labelled CSV that the model scores.

The model never reads a protected field; the fairness report is the only place where one is
used, to measure how the decisions fall across groups. Raw values are read again from the
CSV rather than taken from the loaded frame, because loading turns ``XNA`` into a missing
value and the report keeps the two apart.

Files in the model folder:

- ``fairness.npz``: the out-of-fold probabilities, targets and ``SK_ID_CURR`` of the training
  split, and the raw values of the report's fields (``DAYS_BIRTH`` as days, text fields as
  group labels);
- ``fairness.json``: the report at the model's threshold, the threshold's effect per group
  (``curves``), and the same report for the comparison model given the protected fields
  (``with_protected``, ``null`` when nothing is protected).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import artifacts
from .fairness import (
    ATTRIBUTE_SOURCES,
    MIN_GROUP_SIZE,
    attribute_groups,
    fairness_report,
    group_labels,
    threshold_effects,
)
from .schema import CATEGORICAL_COLUMNS, ID_COLUMN, TARGET_COLUMN, SchemaError, load_applications

SOURCE = "out-of-fold predictions on the training split (each from a model that never saw it)"


def report_fields(protected: Iterable[str]) -> list[str]:
    """The raw fields the report needs: those of the reported attributes (``CODE_GENDER``,
    ``DAYS_BIRTH``, ``NAME_FAMILY_STATUS``), then any other protected text field."""
    fields = list(ATTRIBUTE_SOURCES.values())
    return fields + [f for f in protected if f in CATEGORICAL_COLUMNS and f not in fields]


def read_raw_attributes(path: Path, ids: Iterable[int],
                        fields: list[str]) -> dict[str, np.ndarray]:
    """``fields`` of a Kaggle-format CSV for the applications ``ids``, in that order: text
    fields as group labels (``XNA`` kept, ``"missing"`` when empty), numbers as float64."""
    header = pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
    absent = [f for f in [ID_COLUMN, *fields] if f not in header]
    if absent:
        raise SchemaError(f"{path}: missing required column(s): {', '.join(absent)}")
    raw = pd.read_csv(path, usecols=[ID_COLUMN, *fields], encoding="utf-8-sig",
                      dtype={f: object for f in fields if f in CATEGORICAL_COLUMNS},
                      low_memory=False)
    row_ids = pd.to_numeric(raw.pop(ID_COLUMN), errors="coerce")
    raw = raw[row_ids.notna().to_numpy()]
    raw.index = row_ids.dropna().astype("int64").to_numpy()
    raw = raw[~raw.index.duplicated()].reindex(np.asarray(list(ids), dtype="int64"))
    return {f: group_labels(raw[f].to_numpy(dtype=object)) if f in CATEGORICAL_COLUMNS
            else pd.to_numeric(raw[f], errors="coerce").to_numpy(dtype="float64")
            for f in fields}


def fairness_artifacts(ids: np.ndarray, target: np.ndarray, probability: np.ndarray,
                       threshold: float, raw: dict[str, np.ndarray], protected: Iterable[str],
                       with_protected: tuple[np.ndarray, float] | None = None,
                       min_group_size: int = MIN_GROUP_SIZE) -> dict[str, Any]:
    """What training saves: ``{"arrays": ... (fairness.npz), "json": ... (fairness.json)}``.

    ``with_protected``: the comparison model's out-of-fold probabilities and threshold.
    """
    groups = attribute_groups(raw)
    arrays = {"ids": np.asarray(ids, dtype="int64"), "target": np.asarray(target, dtype="int8"),
              "probability": np.asarray(probability, dtype="float64")}
    for field, values in raw.items():
        arrays[field] = (np.asarray(values, dtype=str) if values.dtype == object
                         else np.asarray(values, dtype="float64"))
    comparison = None
    if with_protected is not None:
        comparison = fairness_report(target, with_protected[0], with_protected[1], groups,
                                     min_group_size)
    return {
        "arrays": arrays,
        "json": {
            "source": SOURCE,
            "protected_attributes": list(protected),
            "raw_fields": list(raw),
            "min_group_size": min_group_size,
            "report": fairness_report(target, probability, threshold, groups, min_group_size),
            "curves": threshold_effects(target, probability, groups,
                                        min_group_size=min_group_size),
            "with_protected": comparison,
        },
    }


def saved_report(folder: Path, threshold: float) -> dict[str, Any]:
    """The report of a model folder's saved out-of-fold predictions at ``threshold``."""
    info = artifacts.read_json(folder, "fairness.json")
    with np.load(folder / "fairness.npz", allow_pickle=False) as arrays:
        raw = {field: arrays[field] for field in info["raw_fields"]}
        target, probability = arrays["target"], arrays["probability"]
    return fairness_report(target, probability, threshold, attribute_groups(raw),
                           int(info["min_group_size"]))


def csv_report(model: Any, path: Path) -> dict[str, Any]:
    """The report of ``model`` (a ``CreditModel``) on a labelled Kaggle-format CSV.

    Raises ``SchemaError`` when the file has no ``TARGET`` or does not follow the schema.
    """
    frame = load_applications(path, require_target=True)
    probability = model.score_frame(frame)
    raw = read_raw_attributes(path, frame[ID_COLUMN], report_fields(model.protected))
    min_group_size = int(model.fairness.get("min_group_size", MIN_GROUP_SIZE))
    return fairness_report(frame[TARGET_COLUMN].to_numpy(), probability, model.threshold,
                           attribute_groups(raw), min_group_size)
