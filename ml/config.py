"""Where the data and the trained artifacts live.

Both places come from the environment so that a user can point the project at the full
original Kaggle files, or keep the artifacts outside the checkout:

- ``PAD_DATA_DIR``: the data directory (default ``../shared/data`` next to the repository).
  It holds ``home-credit/`` and ``flipkart/``; a directory that directly contains
  ``application_train.csv`` (the full Kaggle download) is accepted as well.
- ``PAD_ARTIFACTS_DIR``: where trained models go (default ``artifacts/`` at the repository
  root, ignored by git).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

DATA_DIR_ENV = "PAD_DATA_DIR"
ARTIFACTS_DIR_ENV = "PAD_ARTIFACTS_DIR"


def data_dir() -> Path:
    """The data directory: ``$PAD_DATA_DIR`` or ``../shared/data`` beside the repository."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return (REPO_ROOT.parent / "shared" / "data").resolve()


def artifacts_dir() -> Path:
    """The artifacts directory: ``$PAD_ARTIFACTS_DIR`` or ``artifacts/`` at the repository root."""
    configured = os.environ.get(ARTIFACTS_DIR_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return REPO_ROOT / "artifacts"


def credit_data_dir(base: Path | None = None) -> Path:
    """The folder holding the Home Credit CSVs.

    ``base`` may be the data directory (with a ``home-credit/`` sub-folder) or the folder
    with the CSVs itself, as a user who downloaded Kaggle's archive would have it.
    """
    base = Path(base) if base is not None else data_dir()
    nested = base / "home-credit"
    return nested if nested.is_dir() else base


def credit_artifacts_dir(base: Path | None = None) -> Path:
    """Where the credit models are written: ``<artifacts>/credit``."""
    return (Path(base) if base is not None else artifacts_dir()) / "credit"


def vision_data_dir(base: Path | None = None) -> Path:
    """The folder holding the Flipkart CSV and ``images/``."""
    base = Path(base) if base is not None else data_dir()
    nested = base / "flipkart"
    return nested if nested.is_dir() else base


def vision_artifacts_dir(base: Path | None = None) -> Path:
    """Where the vision models are written: ``<artifacts>/vision``."""
    return (Path(base) if base is not None else artifacts_dir()) / "vision"
