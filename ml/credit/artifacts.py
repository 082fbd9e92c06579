"""The model folder: writing it, reading it, and refusing incompatible ones.

One folder per trained model, ``<artifacts>/credit/<version>/``:

- ``model.ubj``: the XGBoost booster (universal binary JSON);
- ``feature_schema.json``: feature names, category codes, auxiliary columns;
- ``decision.json``: threshold and cost ratio;
- ``metrics.json``: out-of-fold and test metrics, ROC / cost / calibration curves;
- ``importance.json``: global importance (mean |SHAP|);
- ``reference.npz`` + ``reference.json``: distributions, population, neighbour search;
- ``labels.json``: Home Credit's column descriptions;
- ``fairness.npz`` + ``fairness.json``: out-of-fold predictions with the raw values of the
  reported and protected attributes, and the fairness report built from them (see
  ``fairness_data``);
- ``model_card.json``: format version, data fingerprint, parameters, protected attributes
  and the price of leaving them out, libraries, time.

``<artifacts>/credit/CURRENT`` names the folder in use.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from ml import config

#: Bumped whenever a folder written by this code could be misread by older or newer code.
#: 2: protected attributes (the card's ``protected_attributes``), ``fairness.npz/json``.
FORMAT_VERSION = 2
CURRENT_FILE = "CURRENT"
REQUIRED_FILES = ("model.ubj", "feature_schema.json", "decision.json", "metrics.json",
                  "importance.json", "reference.npz", "reference.json", "fairness.npz",
                  "fairness.json", "model_card.json")


class ModelNotFoundError(FileNotFoundError):
    """No trained model where one was expected."""


class IncompatibleModelError(RuntimeError):
    """A model folder written by a version of this code that cannot be read by this one."""


def iteration_range(booster: xgb.Booster) -> tuple[int, int]:
    """The trees to use: up to the best iteration when early stopping set one."""
    best = booster.attr("best_iteration")
    if best is not None:
        return 0, int(best) + 1
    return 0, booster.num_boosted_rounds()


def _write_json(path: Path, payload: Any) -> None:
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=1, allow_nan=False))


def save(out_dir: Path | None, *, booster: xgb.Booster, schema, card: dict, metrics: dict,
         importance: list, reference: dict, descriptions: dict, decision: dict,
         fairness: dict) -> Path:
    """Write a complete model folder atomically and make it the current one."""
    root = config.credit_artifacts_dir(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    version = "credit-" + datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + \
        "-" + card["data"]["sha256"][:8]
    card = card | {"version": version}
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    booster.save_model(staging / "model.ubj")
    _write_json(staging / "feature_schema.json", schema.to_json())
    _write_json(staging / "decision.json", decision)
    _write_json(staging / "metrics.json", metrics)
    _write_json(staging / "importance.json", [[n, round(v, 6)] for n, v in importance])
    np.savez_compressed(staging / "reference.npz", **reference["arrays"])
    _write_json(staging / "reference.json", reference["json"])
    _write_json(staging / "labels.json", descriptions)
    np.savez_compressed(staging / "fairness.npz", **fairness["arrays"])
    _write_json(staging / "fairness.json", fairness["json"])
    _write_json(staging / "model_card.json", card)
    folder = root / version
    suffix = 1
    while folder.exists():
        folder = root / f"{version}-{suffix}"
        suffix += 1
    staging.rename(folder)
    set_current(root, folder.name)
    return folder


def set_current(root: Path, name: str) -> None:
    """Point ``CURRENT`` at a model folder (atomic replace)."""
    tmp = root / f".{CURRENT_FILE}.tmp"
    tmp.write_text(name + "\n")
    os.replace(tmp, root / CURRENT_FILE)


def resolve(path: Path | None) -> Path:
    """A model folder from a folder or from the credit artifacts root (via ``CURRENT``)."""
    path = Path(path) if path is not None else config.credit_artifacts_dir()
    if (path / "model_card.json").exists() or (path / "model.ubj").exists():
        return path
    current = path / CURRENT_FILE
    if current.is_file():
        folder = path / current.read_text().strip()
        if folder.is_dir():
            return folder
    raise ModelNotFoundError(
        f"no credit model in {path}: train one with `python -m ml.credit train`"
    )


def read_card(folder: Path) -> dict:
    """The model card, after checking that this code can read the folder."""
    card_path = folder / "model_card.json"
    if not card_path.is_file():
        raise IncompatibleModelError(f"{folder} has no model_card.json: not a credit model folder")
    card = json.loads(card_path.read_text())
    found = card.get("format_version")
    if found != FORMAT_VERSION:
        raise IncompatibleModelError(
            f"{folder} was written in model format {found}, and this version of the code reads "
            f"format {FORMAT_VERSION}: retrain with `python -m ml.credit train`, or use the "
            f"version of the code that wrote it"
        )
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise IncompatibleModelError(f"{folder} is incomplete: missing {', '.join(missing)}")
    return card


def read_json(folder: Path, name: str) -> Any:
    """One JSON file of a model folder."""
    return json.loads((folder / name).read_text())
