"""Finding the Home Credit files in a data directory.

Accepts the sample in ``shared/`` (``application_train_sample.csv``) and the full original
Kaggle download (``application_train.csv``), in ``<data>/home-credit/`` or in the folder
itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ml import config

from .schema import SchemaError

APPLICATION_FILES = {
    "train": ("application_train.csv", "application_train_sample.csv"),
    "test": ("application_test.csv", "application_test_sample.csv"),
}
DESCRIPTIONS_FILE = "HomeCredit_columns_description.csv"


def find_application_file(kind: str, data_dir: Path | None = None) -> Path:
    """The train or test application file: the full Kaggle file if present, else the sample."""
    folder = config.credit_data_dir(data_dir)
    for name in APPLICATION_FILES[kind]:
        if (folder / name).is_file():
            return folder / name
    raise SchemaError(
        f"no application_{kind} file in {folder} (looked for "
        f"{' or '.join(APPLICATION_FILES[kind])}); set PAD_DATA_DIR or pass --data"
    )


def find_descriptions(data_dir: Path | None = None) -> Path | None:
    """Home Credit's column descriptions, when present."""
    path = config.credit_data_dir(data_dir) / DESCRIPTIONS_FILE
    return path if path.is_file() else None


def file_fingerprint(path: Path) -> str:
    """SHA-256 of a file, to record exactly which data a model was trained on."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
