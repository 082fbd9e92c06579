"""Import raw Kaggle-format applications into the ``clients`` table, all or nothing.

The file is read and validated in full first (types, duplicates, plausible ranges, IDs
already in the database): the first problem is reported with its line and column and nothing
is written. The applications are then scored in one batch by the credit model (when one is
loaded; the version is recorded beside each score). :func:`import_applications` then inserts
them in chunks inside the caller's transaction, which the caller commits (all or nothing); the
browser's import job stages them in short transactions and publishes them in one statement
instead (``webapp.clients.staging``), so that it never holds the write lock for long.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ml.credit.schema import ID_COLUMN, SchemaError, load_applications
from ml.serving.credit import CreditModel

from .models import Client
from .storage import client_columns, compact_record, encode_record
from .validation import check_frame_bounds

CHUNK_SIZE = 2000


class ImportFileError(ValueError):
    """The file cannot be imported; the message names the line and column."""


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    path: Path
    inserted: int
    skipped: bool
    model_version: str | None
    seconds: float


def existing_ids(session: Session, ids: np.ndarray) -> set[int]:
    """The IDs among ``ids`` already stored (looked up 500 at a time)."""
    found: set[int] = set()
    values = [int(v) for v in ids]
    for start in range(0, len(values), 500):
        chunk = values[start:start + 500]
        found.update(session.scalars(select(Client.sk_id_curr)
                                     .where(Client.sk_id_curr.in_(chunk))))
    return found


def read_applications(path: Path) -> pd.DataFrame:
    """Load and fully validate the file (raises :class:`ImportFileError`)."""
    try:
        frame = load_applications(path)
        check_frame_bounds(frame, str(path))
    except SchemaError as exc:
        raise ImportFileError(str(exc)) from exc
    return frame


def score_applications(model: CreditModel, frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Probabilities and decisions of every row (refused when probability >= threshold)."""
    probabilities = np.asarray(model.score_frame(frame), dtype="float64")
    decisions = np.where(probabilities >= model.threshold, "refused", "accepted").tolist()
    return probabilities, decisions


def client_rows(frame: pd.DataFrame, probabilities: np.ndarray | None,
                decisions: list[str] | None, model_version: str | None,
                source: str) -> Iterable[dict[str, Any]]:
    """The rows to insert, built lazily (one dict per application)."""
    now = datetime.now(UTC)
    columns = list(frame.columns)
    for index, values in enumerate(frame.itertuples(index=False, name=None)):
        record = compact_record(dict(zip(columns, values, strict=True)))
        row = client_columns(record)
        row.update(
            sk_id_curr=int(record[ID_COLUMN]),
            raw_record=encode_record(record),
            probability=None if probabilities is None else float(probabilities[index]),
            decision=None if decisions is None else decisions[index],
            final_decision=None if decisions is None else decisions[index],  # no review yet
            model_version=model_version,
            source=source,
            imported_at=now,
        )
        yield row


@dataclass(frozen=True)
class PreparedImport:
    """A file read, validated, checked against the stored IDs and scored: nothing written."""

    frame: pd.DataFrame
    probabilities: np.ndarray | None
    decisions: list[str] | None
    model_version: str | None

    def rows(self, source: str) -> Iterable[dict[str, Any]]:
        """The client rows to write, built lazily (see :func:`client_rows`)."""
        return client_rows(self.frame, self.probabilities, self.decisions, self.model_version,
                           source)


def prepare_import(session: Session, path: Path, model: CreditModel | None) -> PreparedImport:
    """Read and validate ``path``, refuse IDs already stored, score every row (no write).

    Raises :class:`ImportFileError` naming the first problem's line and column.
    """
    path = Path(path)
    frame = read_applications(path)
    if "TARGET" in frame:
        frame = frame.drop(columns=["TARGET"])
    ids = frame[ID_COLUMN].to_numpy()
    clashes = existing_ids(session, ids)
    if clashes:
        first = int(np.flatnonzero(np.isin(ids, list(clashes)))[0])
        raise ImportFileError(f"{path}: line {first + 2}, column {ID_COLUMN}: application "
                              f"{int(ids[first])} is already in the database "
                              f"({len(clashes)} such row(s)); nothing was imported")
    probabilities = decisions = None
    version = None
    if model is not None:
        probabilities, decisions = score_applications(model, frame)
        version = str(model.version)
    return PreparedImport(frame, probabilities, decisions, version)


def import_source(path: Path) -> str:
    """The ``source`` recorded on the clients of an import."""
    return f"import:{Path(path).name}"[:200]


def chunks(rows: Iterable[dict[str, Any]], size: int = CHUNK_SIZE) -> Iterator[list[dict]]:
    """``rows`` in lists of ``size``."""
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def import_applications(session: Session, path: Path, model: CreditModel | None, *,
                        if_empty: bool = False,
                        progress: Callable[[int], Any] | None = None) -> ImportReport:
    """Import ``path`` into the caller's transaction (flushed, not committed): the caller
    commits, or rolls back when this raises. One transaction: for the command line and the
    tests; the browser's import job writes in chunks (``webapp.jobs.imports``)."""
    started = time.perf_counter()
    path = Path(path)
    if if_empty and session.scalar(select(func.count()).select_from(Client)):
        return ImportReport(path, 0, True, None, time.perf_counter() - started)
    prepared = prepare_import(session, path, model)
    inserted = 0
    for batch in chunks(prepared.rows(import_source(path))):
        session.execute(insert(Client), batch)
        inserted += len(batch)
        if progress:
            progress(len(batch))
    return ImportReport(path, inserted, False, prepared.model_version,
                        time.perf_counter() - started)
